// Tests for SLA timers: an incident not handled by its deadline goes up to a supervisor at
// exactly the deadline; a handling action at the deadline is in time, one after is not.
#include <gtest/gtest.h>

#include "people/people.h"
#include "people_fixture.h"

namespace og::people {
namespace {

using testing::actions_of;
using testing::assignee_of;
using testing::error_of;
using testing::kT0;
using testing::make_agent;
using testing::make_case;

EscalatedCase high_case(std::string id) {
  return make_case(std::move(id), IncidentType::kDuplicatePayment, Severity::kHigh, 80);
}

// An agent A (payment) and an on-duty supervisor SUP (no skills, capacity 0): a high case
// escalated at kT0 goes to A and is due at kT0 + 1 min.
class SlaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 3), kT0));
    OG_OK(desk.add_agent(make_agent("SUP", {}, 0, /*on_duty=*/true, /*supervisor=*/true), kT0));
    OG_OK(desk.escalate(high_case("dup-1"), kT0));
    ASSERT_EQ(assignee_of(desk, "dup-1"), "A");
    ASSERT_EQ(desk.find_case("dup-1")->sla_deadline_ms, deadline);
  }
  PeopleDesk desk;
  const TimeMs deadline = kT0 + kMinuteMs;
};

TEST_F(SlaTest, AnAcknowledgementExactlyAtTheDeadlineIsInTime) {
  OG_OK(desk.acknowledge("dup-1", "A", deadline));
  const auto fired = desk.advance(deadline + kHourMs);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(*fired, 0U);
  EXPECT_EQ(assignee_of(desk, "dup-1"), "A");
  EXPECT_FALSE(desk.find_case("dup-1")->sla_breached);
  EXPECT_TRUE(actions_of(desk, ActionKind::kSlaBreached).empty());
}

TEST_F(SlaTest, AnAcknowledgementOneMillisecondLateFindsTheCaseWithTheSupervisor) {
  EXPECT_EQ(error_of(desk.acknowledge("dup-1", "A", deadline + 1)),
            "incident dup-1 is assigned to SUP, not to you (A)");
  const auto breaches = actions_of(desk, ActionKind::kSlaBreached);
  ASSERT_EQ(breaches.size(), 1U);
  EXPECT_EQ(breaches[0].at, deadline);  // recorded at the deadline itself
  EXPECT_EQ(breaches[0].target, "SUP");
  EXPECT_EQ(breaches[0].incident_id, "dup-1");
  EXPECT_TRUE(desk.find_case("dup-1")->sla_breached);
  EXPECT_EQ(desk.free_capacity("A"), 3);   // A's capacity is free again
  EXPECT_EQ(desk.free_capacity("SUP"), -1);  // over capacity: an overdue case must land somewhere
  OG_OK(desk.acknowledge("dup-1", "SUP", deadline + 2));
}

TEST_F(SlaTest, AdvanceToTheDeadlineFiresNothingAndPastItFiresOnce) {
  auto fired = desk.advance(deadline);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(*fired, 0U);
  fired = desk.advance(deadline + 1);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(*fired, 1U);
  fired = desk.advance(deadline + kHourMs);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(*fired, 0U);  // a deadline fires once
  EXPECT_EQ(assignee_of(desk, "dup-1"), "SUP");
}

TEST_F(SlaTest, ResolvingOrEscalatingInTimeAlsoStopsTheTimer) {
  OG_OK(desk.escalate(high_case("dup-2"), kT0 + 1));
  OG_OK(desk.resolve("dup-1", "A", "refunded", "refunded txn T2", deadline));
  OG_OK(desk.advance(deadline + kMinuteMs));
  EXPECT_FALSE(desk.find_case("dup-1")->sla_breached);
  EXPECT_TRUE(desk.find_case("dup-2")->sla_breached);  // due at kT0 + 1 + 1 min
}

TEST_F(SlaTest, CommentsAndReassignmentDoNotStopTheTimer) {
  OG_OK(desk.add_agent(make_agent("B", {Skill::kPayment}, 3), kT0 + 1));
  OG_OK(desk.comment("dup-1", "A", "looking", kT0 + 2));
  OG_OK(desk.reassign("dup-1", "A", "B", kT0 + 3));
  OG_OK(desk.advance(deadline + 1));
  EXPECT_EQ(assignee_of(desk, "dup-1"), "SUP");
}

TEST_F(SlaTest, ACaseAlreadyWithASupervisorRecordsTheMissAndStays) {
  OG_OK(desk.add_agent(make_agent("SUP2", {Skill::kPayment}, 2, true, true), kT0 + 1));
  OG_OK(desk.reassign("dup-1", "A", "SUP2", kT0 + 2));
  OG_OK(desk.advance(deadline + 1));
  const auto breaches = actions_of(desk, ActionKind::kSlaBreached);
  ASSERT_EQ(breaches.size(), 1U);
  EXPECT_EQ(breaches[0].target, "SUP2");
  EXPECT_EQ(assignee_of(desk, "dup-1"), "SUP2");
}

TEST(Sla, AWaitingCaseGoesUpToTheSupervisorWithTheMostFreeCapacity) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("SUP-B", {}, 2, true, true), kT0));
  OG_OK(desk.add_agent(make_agent("SUP-A", {}, 2, true, true), kT0));
  OG_OK(desk.add_agent(make_agent("SUP-C", {}, 1, true, true), kT0));
  OG_OK(desk.escalate(high_case("h1"), kT0));  // nobody has the payment skill: waits
  OG_OK(desk.escalate(high_case("h2"), kT0));
  OG_OK(desk.escalate(high_case("h3"), kT0));
  OG_OK(desk.advance(kT0 + kMinuteMs + 1));
  EXPECT_EQ(assignee_of(desk, "h1"), "SUP-A");  // free 2 vs 2: lowest id
  EXPECT_EQ(assignee_of(desk, "h2"), "SUP-B");
  EXPECT_EQ(assignee_of(desk, "h3"), "SUP-A");  // A 1, B 1, C 1: lowest id
  EXPECT_TRUE(desk.waiting().empty());
}

TEST(Sla, WithNoSupervisorOnDutyTheMissIsRecordedAndTheFirstSupervisorOnDutyTakesIt) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 1), kT0));
  OG_OK(desk.add_agent(make_agent("SUP", {}, 0, /*on_duty=*/false, /*supervisor=*/true), kT0));
  OG_OK(desk.escalate(high_case("h1"), kT0));
  OG_OK(desk.advance(kT0 + kMinuteMs + 1));
  const auto breaches = actions_of(desk, ActionKind::kSlaBreached);
  ASSERT_EQ(breaches.size(), 1U);
  EXPECT_EQ(breaches[0].target, "");
  EXPECT_EQ(assignee_of(desk, "h1"), "A");  // stays where it is meanwhile
  EXPECT_TRUE(desk.find_case("h1")->awaiting_supervisor);
  OG_OK(desk.set_duty("SUP", true, kT0 + 2 * kMinuteMs));
  EXPECT_EQ(assignee_of(desk, "h1"), "SUP");
  EXPECT_FALSE(desk.find_case("h1")->awaiting_supervisor);
  const Action last_assigned = actions_of(desk, ActionKind::kAssigned).back();
  EXPECT_EQ(last_assigned.target, "SUP");
  EXPECT_EQ(last_assigned.text, "SLA missed at 2026-11-21T02:01:00.000Z");
}

TEST(Sla, HandlingAfterAMissWithNoSupervisorStopsItGoingUpLater) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 1), kT0));
  OG_OK(desk.add_agent(make_agent("SUP", {}, 0, false, true), kT0));
  OG_OK(desk.escalate(high_case("h1"), kT0));
  OG_OK(desk.acknowledge("h1", "A", kT0 + 2 * kMinuteMs));  // late, but handled
  OG_OK(desk.set_duty("SUP", true, kT0 + 3 * kMinuteMs));
  EXPECT_EQ(assignee_of(desk, "h1"), "A");
}

TEST(Sla, ACaseEscalatedAfterItsDeadlineGoesUpAtOnce) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 1), kT0));
  OG_OK(desk.add_agent(make_agent("SUP", {}, 0, true, true), kT0));
  EscalatedCase overdue = high_case("h1");
  overdue.sla_deadline_ms = kT0 - 1;
  OG_OK(desk.escalate(overdue, kT0));
  EXPECT_EQ(assignee_of(desk, "h1"), "SUP");
  EXPECT_EQ(actions_of(desk, ActionKind::kSlaBreached).at(0).at, kT0);
}

TEST(Sla, ASupervisorGoingOffDutyPassesOverdueCasesToAnother) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("SUP1", {}, 0, true, true), kT0));
  OG_OK(desk.add_agent(make_agent("SUP2", {}, 0, false, true), kT0));
  OG_OK(desk.escalate(high_case("h1"), kT0));
  OG_OK(desk.advance(kT0 + kMinuteMs + 1));
  ASSERT_EQ(assignee_of(desk, "h1"), "SUP1");
  OG_OK(desk.set_duty("SUP2", true, kT0 + 2 * kMinuteMs));
  OG_OK(desk.set_duty("SUP1", false, kT0 + 3 * kMinuteMs));
  EXPECT_EQ(assignee_of(desk, "h1"), "SUP2");
}

}  // namespace
}  // namespace og::people

namespace og::people::testing {
namespace {

// A case that leaves the desk without a person (its incident cleared itself) has no
// deadline left: it must not come back to a supervisor, nor unbalance the open count.
TEST(SlaWithdrawn, AWithdrawnCaseMissesNoDeadlineAndStaysClosed) {
  PeopleDesk desk(Limits{.max_open_cases = 1});
  OG_OK(desk.add_agent(make_agent("SUP", {}, 5, true, true), kT0));
  OG_OK(desk.escalate(payment_case("inc-1"), kT0));
  OG_OK(desk.withdraw("inc-1", "cleared", kT0 + kMinuteMs));
  OG_OK(desk.advance(kT0 + kHourMs));
  EXPECT_TRUE(actions_of(desk, ActionKind::kSlaBreached).empty());
  EXPECT_EQ(desk.find_case("inc-1")->status, CaseStatus::kResolved);
  EXPECT_EQ(assignee_of(desk, "inc-1"), "");
  // The desk's one open slot is free again.
  OG_OK(desk.escalate(payment_case("inc-2"), kT0 + kHourMs));
  // A person acting on it is told it left without one (not "resolved by" nobody).
  EXPECT_EQ(error_of(desk.acknowledge("inc-1", "SUP", kT0 + kHourMs)),
            "incident inc-1 left the desk at 2026-11-21T02:01:00.000Z (cleared by the engine): there is nothing left to act on");
}

}  // namespace
}  // namespace og::people::testing
