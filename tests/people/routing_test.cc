// Tests for PeopleDesk routing: skill, capacity, free capacity, VIP to senior, duty, and the
// order of the waiting queue as urgency grows.
#include <gtest/gtest.h>

#include "people/people.h"
#include "people_fixture.h"

namespace og::people {
namespace {

using testing::actions_of;
using testing::assignee_of;
using testing::error_of;
using testing::ids_of;
using testing::kT0;
using testing::make_agent;
using testing::make_case;
using testing::payment_case;

TEST(NeededSkill, FollowsTheDocumentedTable) {
  EXPECT_EQ(needed_skill(IncidentType::kPaymentFailed), Skill::kPayment);
  EXPECT_EQ(needed_skill(IncidentType::kRefundFailed), Skill::kPayment);
  EXPECT_EQ(needed_skill(IncidentType::kStockNotReleased), Skill::kInventory);
  EXPECT_EQ(needed_skill(IncidentType::kOutOfStock), Skill::kInventory);
  EXPECT_EQ(needed_skill(IncidentType::kDamagedGoods), Skill::kAftersale);
  EXPECT_EQ(needed_skill(IncidentType::kNegativeReview), Skill::kAftersale);
  EXPECT_EQ(needed_skill(IncidentType::kDeliveryLate), Skill::kDelivery);
  EXPECT_EQ(needed_skill(IncidentType::kRiderFrequentCancel), Skill::kDelivery);
  EXPECT_EQ(needed_skill(IncidentType::kAmountAnomaly), Skill::kRisk);
  EXPECT_EQ(needed_skill(IncidentType::kStateInconsistent), Skill::kRisk);
  // A hotspot needs the skill of the type it groups; unknown: delivery (zone operations).
  EXPECT_EQ(needed_skill(IncidentType::kCommunityHotspot, IncidentType::kDamagedGoods), Skill::kAftersale);
  EXPECT_EQ(needed_skill(IncidentType::kCommunityHotspot), Skill::kDelivery);
}

TEST(Skills, NamesRoundTrip) {
  for (std::size_t i = 0; i < kSkillCount; ++i) {
    const auto skill = static_cast<Skill>(i);
    EXPECT_EQ(skill_from_name(skill_name(skill)), skill);
  }
  EXPECT_FALSE(skill_from_name("cooking").has_value());
  EXPECT_EQ(skills_text(Skills{Skill::kSenior, Skill::kPayment}), "payment,senior");
  EXPECT_EQ(skills_text(Skills{}), "");
}

TEST(Routing, GoesToAnAgentWithTheNeededSkill) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A1-delivery", {Skill::kDelivery}, 5), kT0));
  OG_OK(desk.add_agent(make_agent("A2-payment", {Skill::kPayment}, 1), kT0));
  OG_OK(desk.escalate(payment_case("pay-1"), kT0 + 1));
  OG_OK(desk.escalate(make_case("late-1", IncidentType::kDeliveryLate, Severity::kMedium, 40), kT0 + 2));
  EXPECT_EQ(assignee_of(desk, "pay-1"), "A2-payment");
  EXPECT_EQ(assignee_of(desk, "late-1"), "A1-delivery");
}

TEST(Routing, MostFreeCapacityWinsAndTiesGoToTheLowestId) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 2), kT0));
  OG_OK(desk.add_agent(make_agent("B", {Skill::kPayment}, 3), kT0));
  OG_OK(desk.escalate(payment_case("c1"), kT0 + 1));  // A free 2, B free 3 -> B
  OG_OK(desk.escalate(payment_case("c2"), kT0 + 2));  // A 2, B 2 -> A (lowest id)
  OG_OK(desk.escalate(payment_case("c3"), kT0 + 3));  // A 1, B 2 -> B
  OG_OK(desk.escalate(payment_case("c4"), kT0 + 4));  // A 1, B 1 -> A
  OG_OK(desk.escalate(payment_case("c5"), kT0 + 5));  // A 0, B 1 -> B
  OG_OK(desk.escalate(payment_case("c6"), kT0 + 6));  // both full -> waits
  EXPECT_EQ(assignee_of(desk, "c1"), "B");
  EXPECT_EQ(assignee_of(desk, "c2"), "A");
  EXPECT_EQ(assignee_of(desk, "c3"), "B");
  EXPECT_EQ(assignee_of(desk, "c4"), "A");
  EXPECT_EQ(assignee_of(desk, "c5"), "B");
  EXPECT_EQ(assignee_of(desk, "c6"), "");
  EXPECT_EQ(ids_of(desk.waiting()), std::vector<std::string>{"c6"});
  EXPECT_EQ(desk.free_capacity("A"), 0);
  EXPECT_EQ(desk.free_capacity("B"), 0);
}

TEST(Routing, AWaitingCaseGoesToTheAgentWhoseCapacityFreesUp) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 1), kT0));
  OG_OK(desk.escalate(payment_case("c1"), kT0 + 1));
  OG_OK(desk.escalate(payment_case("c2"), kT0 + 2));
  EXPECT_EQ(assignee_of(desk, "c2"), "");
  OG_OK(desk.resolve("c1", "A", "refunded", "refunded the failed charge", kT0 + 10));
  EXPECT_EQ(assignee_of(desk, "c2"), "A");
  const auto assigned = actions_of(desk, ActionKind::kAssigned);
  ASSERT_EQ(assigned.size(), 2U);
  EXPECT_EQ(assigned[1].incident_id, "c2");
  EXPECT_EQ(assigned[1].at, kT0 + 10);
}

TEST(Routing, NoHeadOfLineBlockingAcrossSkills) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("D", {Skill::kDelivery}, 1), kT0));
  OG_OK(desk.escalate(payment_case("pay-urgent", 90), kT0 + 1));  // nobody with payment: waits
  OG_OK(desk.escalate(make_case("late", IncidentType::kDeliveryLate, Severity::kMedium, 40), kT0 + 2));
  EXPECT_EQ(assignee_of(desk, "late"), "D");
  EXPECT_EQ(ids_of(desk.waiting()), std::vector<std::string>{"pay-urgent"});
}

TEST(Routing, VipGoesToSeniorAgentsFirst) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("P", {Skill::kPayment}, 5), kT0));
  OG_OK(desk.add_agent(make_agent("S1", {Skill::kPayment, Skill::kSenior}, 1), kT0));
  OG_OK(desk.add_agent(make_agent("S2", {Skill::kSenior}, 1), kT0));
  auto vip = [](std::string id) {
    EscalatedCase escalated = payment_case(std::move(id));
    escalated.vip = true;
    return escalated;
  };
  OG_OK(desk.escalate(vip("vip-1"), kT0 + 1));  // senior with the skill, though P has more room
  OG_OK(desk.escalate(vip("vip-2"), kT0 + 2));  // then any senior
  OG_OK(desk.escalate(vip("vip-3"), kT0 + 3));  // seniors full: the skill
  OG_OK(desk.escalate(payment_case("plain"), kT0 + 4));
  EXPECT_EQ(assignee_of(desk, "vip-1"), "S1");
  EXPECT_EQ(assignee_of(desk, "vip-2"), "S2");
  EXPECT_EQ(assignee_of(desk, "vip-3"), "P");
  EXPECT_EQ(assignee_of(desk, "plain"), "P");
}

TEST(Routing, NonVipNeverGoesToASeniorWithoutTheSkill) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("S", {Skill::kSenior}, 5), kT0));
  OG_OK(desk.escalate(payment_case("plain"), kT0 + 1));
  EXPECT_EQ(assignee_of(desk, "plain"), "");
}

TEST(Routing, OffDutyAgentsAreSkippedUntilTheyComeOnDuty) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 5, /*on_duty=*/false), kT0));
  OG_OK(desk.add_agent(make_agent("B", {Skill::kPayment}, 1), kT0));
  OG_OK(desk.escalate(payment_case("c1"), kT0 + 1));
  OG_OK(desk.escalate(payment_case("c2"), kT0 + 2));
  EXPECT_EQ(assignee_of(desk, "c1"), "B");
  EXPECT_EQ(assignee_of(desk, "c2"), "");
  OG_OK(desk.set_duty("A", true, kT0 + 3));
  EXPECT_EQ(assignee_of(desk, "c2"), "A");
}

TEST(Routing, GoingOffDutyReturnsCasesToTheQueueAndOnToOthers) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 5), kT0));
  OG_OK(desk.escalate(payment_case("c1", 40), kT0 + 1));
  OG_OK(desk.escalate(payment_case("c2", 60), kT0 + 2));
  OG_OK(desk.acknowledge("c1", "A", kT0 + 3));
  OG_OK(desk.add_agent(make_agent("B", {Skill::kPayment}, 1), kT0 + 4));
  OG_OK(desk.set_duty("A", false, kT0 + 5));
  // Returned in queue order (c2 first, higher priority), then B takes the first it can.
  const auto returned = actions_of(desk, ActionKind::kReturned);
  ASSERT_EQ(returned.size(), 2U);
  EXPECT_EQ(returned[0].incident_id, "c2");
  EXPECT_EQ(returned[1].incident_id, "c1");
  EXPECT_EQ(returned[0].target, "A");
  EXPECT_EQ(assignee_of(desk, "c2"), "B");
  EXPECT_EQ(assignee_of(desk, "c1"), "");
  EXPECT_FALSE(desk.find_case("c1")->acknowledged_at.has_value());
  ASSERT_TRUE(desk.queue_of("A").has_value());
  EXPECT_TRUE(desk.queue_of("A")->empty());
}

TEST(Urgency, GrowsLinearlyOverTheSlaWindowAndStopsAtTheMaximum) {
  const TimeMs deadline = kT0 + kMinuteMs;  // high: 1 minute window
  EXPECT_EQ(urgency(Severity::kHigh, deadline, kT0 - kMinuteMs), 0);
  EXPECT_EQ(urgency(Severity::kHigh, deadline, kT0), 0);
  EXPECT_EQ(urgency(Severity::kHigh, deadline, kT0 + 30 * kSecondMs), 7);  // 15 * 30/60, floored
  EXPECT_EQ(urgency(Severity::kHigh, deadline, kT0 + 40 * kSecondMs), 10);
  EXPECT_EQ(urgency(Severity::kHigh, deadline, deadline), kMaxUrgency);
  EXPECT_EQ(urgency(Severity::kHigh, deadline, deadline + kHourMs), kMaxUrgency);
  EXPECT_EQ(urgency(Severity::kLow, kT0 + 30 * kMinuteMs, kT0 + 20 * kMinuteMs), 10);
  EXPECT_EQ(sla_ms(Severity::kHigh), kMinuteMs);
  EXPECT_EQ(sla_ms(Severity::kMedium), 5 * kMinuteMs);
  EXPECT_EQ(sla_ms(Severity::kLow), 30 * kMinuteMs);
}

TEST(WaitingQueue, OrdersByPriorityThenEscalationTimeThenId) {
  PeopleDesk desk;
  // Low severity, deadlines far away: urgency 0 at these times.
  OG_OK(desk.escalate(make_case("early", IncidentType::kLowStock, Severity::kLow, 30), kT0));
  OG_OK(desk.escalate(make_case("b", IncidentType::kLowStock, Severity::kLow, 30), kT0 + 1));
  OG_OK(desk.escalate(make_case("a", IncidentType::kLowStock, Severity::kLow, 30), kT0 + 1));
  OG_OK(desk.escalate(make_case("top", IncidentType::kLowStock, Severity::kLow, 45), kT0 + 2));
  OG_OK(desk.escalate(make_case("later", IncidentType::kLowStock, Severity::kLow, 30), kT0 + 3));
  EXPECT_EQ(ids_of(desk.waiting()), (std::vector<std::string>{"top", "early", "a", "b", "later"}));
  EXPECT_EQ(desk.waiting()[0].effective_priority, 45);
}

TEST(WaitingQueue, UrgencyReordersCasesAsTheirDeadlineNears) {
  PeopleDesk desk;
  EscalatedCase soon = make_case("soon", IncidentType::kLowStock, Severity::kLow, 50);      // due at +30 min
  EscalatedCase relaxed = make_case("relaxed", IncidentType::kLowStock, Severity::kLow, 55);
  relaxed.sla_deadline_ms = kT0 + 60 * kMinuteMs;  // its window opens only at +30 min
  OG_OK(desk.escalate(soon, kT0));
  OG_OK(desk.escalate(relaxed, kT0));
  EXPECT_EQ(ids_of(desk.waiting()), (std::vector<std::string>{"relaxed", "soon"}));
  OG_OK(desk.advance(kT0 + 20 * kMinuteMs));
  const auto queue = desk.waiting();
  EXPECT_EQ(ids_of(queue), (std::vector<std::string>{"soon", "relaxed"}));
  EXPECT_EQ(queue[0].effective_priority, 60);  // 50 + 15 * 20/30
  EXPECT_EQ(queue[1].effective_priority, 55);
}

TEST(WaitingQueue, RoutingTakesTheMostUrgentFirstWhenCapacityFrees) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kInventory}, 1), kT0));
  OG_OK(desk.escalate(make_case("busy", IncidentType::kLowStock, Severity::kLow, 10), kT0));
  EscalatedCase soon = make_case("soon", IncidentType::kLowStock, Severity::kLow, 50);
  EscalatedCase relaxed = make_case("relaxed", IncidentType::kLowStock, Severity::kLow, 55);
  relaxed.sla_deadline_ms = kT0 + 60 * kMinuteMs;
  OG_OK(desk.escalate(soon, kT0));
  OG_OK(desk.escalate(relaxed, kT0));
  OG_OK(desk.resolve("busy", "A", "reordered", "replenishment requested", kT0 + 20 * kMinuteMs));
  EXPECT_EQ(assignee_of(desk, "soon"), "A");
}

TEST(AgentQueue, IsSortedByEffectivePriority) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 5), kT0));
  OG_OK(desk.escalate(payment_case("low-prio", 20), kT0));
  OG_OK(desk.escalate(payment_case("high-prio", 70), kT0 + 1));
  OG_OK(desk.escalate(payment_case("mid-prio", 40), kT0 + 2));
  const auto queue = desk.queue_of("A");
  ASSERT_TRUE(queue.has_value());
  EXPECT_EQ(ids_of(*queue), (std::vector<std::string>{"high-prio", "mid-prio", "low-prio"}));
  EXPECT_EQ(error_of(desk.queue_of("nobody")), "unknown agent 'nobody'");
}

TEST(Routing, AFullDeskWithALongQueueStillTakesTheTopCaseWhenRoomFrees) {
  PeopleDesk desk;
  for (int i = 0; i < 10; ++i) OG_OK(desk.add_agent(make_agent("A" + std::to_string(i), {Skill::kPayment}, 10), kT0));
  for (int i = 0; i < 5000; ++i) {
    // Priorities cycle 0..99; the 100 first cases fill the desk whatever their priority.
    OG_OK(desk.escalate(payment_case("c" + std::to_string(10000 + i), i % 100), kT0 + i));
  }
  EXPECT_EQ(desk.waiting().size(), 4900U);
  const std::string top = desk.waiting().front().incident_id;
  EXPECT_EQ(top, "c10199");  // the first priority-99 case still waiting (c10099 was placed at once)
  const std::string held = desk.queue_of("A0")->front().incident_id;
  OG_OK(desk.resolve(held, "A0", "done", "done", kT0 + 5000));
  EXPECT_EQ(assignee_of(desk, top), "A0");
  EXPECT_EQ(desk.waiting().size(), 4899U);
}

}  // namespace
}  // namespace og::people
