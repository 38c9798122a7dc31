// Determinism: the same calls give the same log, and what the desk decides does not
// depend on the order agents joined in.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "people/measures.h"
#include "people/people.h"
#include "people_fixture.h"

namespace og::people {
namespace {

using testing::assignee_of;
using testing::kT0;
using testing::make_agent;
using testing::make_case;
using testing::payment_case;
using testing::run_handling_day;

std::vector<std::string> lines_of(const PeopleDesk& desk) {
  std::vector<std::string> lines;
  for (const Action& action : desk.log()) lines.push_back(describe(action));
  return lines;
}

TEST(Determinism, TheSameCallsTwiceGiveIdenticalLogs) {
  PeopleDesk first;
  PeopleDesk second;
  run_handling_day(first);
  run_handling_day(second);
  ASSERT_FALSE(first.log().empty());
  EXPECT_EQ(first.log(), second.log());
  EXPECT_EQ(lines_of(first), lines_of(second));
}

TEST(Determinism, TheHandCheckedDayLogIsPinned) {
  PeopleDesk desk;
  run_handling_day(desk);
  const std::vector<std::string> expected = {
      "2026-11-21T02:00:00.000Z #1 agent_joined by A: skills=payment capacity=5 on_duty",
      "2026-11-21T02:00:00.000Z #2 agent_joined by D: skills=delivery capacity=5 on_duty",
      "2026-11-21T02:00:00.000Z #3 agent_joined by SUP: skills=none capacity=5 supervisor on_duty",
      "2026-11-21T02:00:00.000Z #4 escalated p1 (PAYMENT_FAILED medium) due 2026-11-21T02:05:00.000Z",
      "2026-11-21T02:00:00.000Z #5 assigned p1 (PAYMENT_FAILED medium) to A",
      "2026-11-21T02:00:00.000Z #6 escalated d1 (DELIVERY_LATE high) due 2026-11-21T02:01:00.000Z",
      "2026-11-21T02:00:00.000Z #7 assigned d1 (DELIVERY_LATE high) to D",
      "2026-11-21T02:01:00.000Z #8 escalated p2 (PAYMENT_FAILED medium) due 2026-11-21T02:06:00.000Z",
      "2026-11-21T02:01:00.000Z #9 assigned p2 (PAYMENT_FAILED medium) to A",
      "2026-11-21T02:01:00.000Z #10 sla_breached d1 (DELIVERY_LATE high) to SUP",
      "2026-11-21T02:02:00.000Z #11 acknowledged p1 (PAYMENT_FAILED medium) by A",
      "2026-11-21T02:03:00.000Z #12 false_positive p2 (PAYMENT_FAILED medium) by A",
      "2026-11-21T02:04:00.000Z #13 resolved d1 (DELIVERY_LATE high) by SUP code=redelivered: sent a new rider",
      "2026-11-21T02:05:00.000Z #14 escalated d2 (DELIVERY_LATE low) due 2026-11-21T02:35:00.000Z",
      "2026-11-21T02:05:00.000Z #15 assigned d2 (DELIVERY_LATE low) to D",
      "2026-11-21T02:06:00.000Z #16 escalated p3 (PAYMENT_FAILED medium) due 2026-11-21T02:11:00.000Z",
      "2026-11-21T02:06:00.000Z #17 assigned p3 (PAYMENT_FAILED medium) to A",
      "2026-11-21T02:06:00.000Z #18 commented d2 (DELIVERY_LATE low) by D: rider is 10 min away",
      "2026-11-21T02:07:00.000Z #19 escalated_further p3 (PAYMENT_FAILED medium) by A to SUP: bank needs a "
      "supervisor's approval",
      "2026-11-21T02:10:00.000Z #20 resolved p1 (PAYMENT_FAILED medium) by A code=retried: payment retried by phone",
      "2026-11-21T02:20:00.000Z #21 resolved p3 (PAYMENT_FAILED medium) by SUP code=refunded: approved a manual "
      "refund",
  };
  EXPECT_EQ(lines_of(desk), expected);
}

TEST(Determinism, AssignmentsDoNotDependOnTheOrderAgentsJoined) {
  const std::vector<Agent> agents = {
      make_agent("zed", {Skill::kPayment}, 2), make_agent("amy", {Skill::kPayment}, 2),
      make_agent("kim", {Skill::kPayment, Skill::kSenior}, 1), make_agent("bob", {Skill::kDelivery}, 3)};
  const auto run = [&agents](const std::vector<std::size_t>& join_order) {
    PeopleDesk desk;
    for (const std::size_t i : join_order) EXPECT_TRUE(desk.add_agent(agents[i], kT0).has_value());
    for (int i = 0; i < 8; ++i) {
      EscalatedCase escalated = i % 3 == 0 ? make_case("d" + std::to_string(i), IncidentType::kDeliveryFailed,
                                                       Severity::kMedium, 30 + i)
                                           : payment_case("p" + std::to_string(i), 30 + i);
      escalated.vip = i == 4;
      EXPECT_TRUE(desk.escalate(escalated, kT0 + i).has_value());
    }
    std::vector<std::string> assignment;
    for (int i = 0; i < 8; ++i) {
      const std::string id = (i % 3 == 0 ? "d" : "p") + std::to_string(i);
      assignment.push_back(id + "->" + assignee_of(desk, id));
    }
    return assignment;
  };
  const auto forward = run({0, 1, 2, 3});
  EXPECT_EQ(forward, run({3, 2, 1, 0}));
  EXPECT_EQ(forward, run({2, 0, 3, 1}));
  EXPECT_EQ(forward, (std::vector<std::string>{"d0->bob", "p1->amy", "p2->zed", "d3->bob", "p4->kim", "p5->amy",
                                               "d6->bob", "p7->zed"}));
}

}  // namespace
}  // namespace og::people
