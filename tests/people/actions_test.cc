// Tests for the agents' actions (acknowledge, resolve, reassign, escalate, comment, false
// positive), their validation errors, the limits, and the action log.
#include <gtest/gtest.h>

#include <string>

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
using testing::payment_case;

// A (payment, capacity 2) holds "c1"; B (payment) and D (delivery) are on duty; SUP is a
// supervisor; OFF (payment) is off duty.
class ActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 2), kT0));
    OG_OK(desk.escalate(payment_case("c1"), kT0 + 1));
    OG_OK(desk.add_agent(make_agent("B", {Skill::kPayment}, 1), kT0 + 2));
    OG_OK(desk.add_agent(make_agent("D", {Skill::kDelivery}, 3), kT0 + 2));
    OG_OK(desk.add_agent(make_agent("SUP", {}, 5, true, true), kT0 + 2));
    OG_OK(desk.add_agent(make_agent("OFF", {Skill::kPayment}, 5, false), kT0 + 2));
    ASSERT_EQ(assignee_of(desk, "c1"), "A");
  }
  PeopleDesk desk;
  const TimeMs t = kT0 + 10;
};

TEST_F(ActionsTest, AcknowledgeIsRecordedOnce) {
  OG_OK(desk.acknowledge("c1", "A", t));
  EXPECT_EQ(desk.find_case("c1")->acknowledged_at, t);
  EXPECT_EQ(desk.find_case("c1")->first_handled_at, t);
  EXPECT_EQ(error_of(desk.acknowledge("c1", "A", t + 1)),
            "incident c1 is already acknowledged by you (A) at 2026-11-21T02:00:00.010Z");
  const Action last = desk.log().back();
  EXPECT_EQ(last.kind, ActionKind::kAcknowledged);
  EXPECT_EQ(last.actor, "A");
  EXPECT_EQ(last.incident_id, "c1");
}

TEST_F(ActionsTest, ActionsNameTheAgentProblem) {
  EXPECT_EQ(error_of(desk.acknowledge("c1", "nobody", t)),
            "unknown agent 'nobody': add the agent (agent.joined) first");
  EXPECT_EQ(error_of(desk.acknowledge("c1", "OFF", t)),
            "agent OFF is not on duty: put the agent on duty (agent.duty) first");
  EXPECT_EQ(error_of(desk.acknowledge("c1", "B", t)), "incident c1 is assigned to A, not to you (B)");
  EXPECT_EQ(error_of(desk.acknowledge("nope", "A", t)), "no escalated incident 'nope' at the desk: check the id");
  OG_OK(desk.escalate(make_case("late", IncidentType::kDeliveryLate, Severity::kLow, 10), t));
  OG_OK(desk.escalate(make_case("risk", IncidentType::kAmountAnomaly, Severity::kLow, 10), t));
  EXPECT_EQ(error_of(desk.resolve("risk", "A", "ok", "fine", t)),
            "incident risk is waiting in the queue, not assigned to you (A)");
}

TEST_F(ActionsTest, ResolveClosesTheCaseAndLaterActionsSaySo) {
  OG_OK(desk.resolve("c1", "A", "refunded", "refunded the failed charge", t));
  const Case* closed = desk.find_case("c1");
  EXPECT_EQ(closed->status, CaseStatus::kResolved);
  EXPECT_EQ(closed->closed_by, "A");
  EXPECT_EQ(closed->resolution_code, "refunded");
  EXPECT_EQ(closed->resolution_note, "refunded the failed charge");
  EXPECT_EQ(closed->assignee, "");
  EXPECT_EQ(desk.free_capacity("A"), 2);
  const std::string already = "incident c1 is already resolved (by A at 2026-11-21T02:00:00.010Z, code refunded)";
  EXPECT_EQ(error_of(desk.resolve("c1", "A", "again", "again", t + 1)), already);
  EXPECT_EQ(error_of(desk.acknowledge("c1", "A", t + 1)), already);
  EXPECT_EQ(error_of(desk.comment("c1", "A", "hm", t + 1)), already);
  EXPECT_EQ(error_of(desk.mark_false_positive("c1", "A", t + 1)), already);
  EXPECT_EQ(error_of(desk.reassign("c1", "A", "B", t + 1)), already);
  EXPECT_EQ(error_of(desk.escalate_further("c1", "A", "why", t + 1)), already);
  EXPECT_EQ(error_of(desk.escalate(payment_case("c1"), t + 1)), "incident c1 is already at the desk (resolved)");
}

TEST_F(ActionsTest, ResolveNeedsACodeAndANote) {
  EXPECT_EQ(error_of(desk.resolve("c1", "A", "", "note", t)), "resolution code is empty: say what was done or why");
  EXPECT_EQ(error_of(desk.resolve("c1", "A", "code", "", t)), "resolution note is empty: say what was done or why");
  EXPECT_EQ(error_of(desk.resolve("c1", "A", std::string(65, 'x'), "note", t)),
            "resolution code is 65 bytes, over the limit of 64: shorten it");
  EXPECT_EQ(desk.find_case("c1")->status, CaseStatus::kAssigned);
}

TEST_F(ActionsTest, FalsePositiveClosesTheCase) {
  EXPECT_EQ(error_of(desk.mark_false_positive("c1", "B", t)), "incident c1 is assigned to A, not to you (B)");
  OG_OK(desk.mark_false_positive("c1", "A", t));
  EXPECT_EQ(desk.find_case("c1")->status, CaseStatus::kFalsePositive);
  EXPECT_EQ(desk.log().back().kind, ActionKind::kFalsePositive);
  EXPECT_EQ(error_of(desk.mark_false_positive("c1", "A", t)),
            "incident c1 is already closed as a false positive (by A at 2026-11-21T02:00:00.010Z)");
}

TEST_F(ActionsTest, ReassignMovesTheCaseAndNeedsAFittingReceiver) {
  EXPECT_EQ(error_of(desk.reassign("c1", "B", "B", t)),
            "incident c1 is assigned to A, not to you (B); only its assignee or a supervisor can reassign it");
  EXPECT_EQ(error_of(desk.reassign("c1", "A", "A", t)), "incident c1 is already assigned to A");
  EXPECT_EQ(error_of(desk.reassign("c1", "A", "D", t)),
            "agent D has neither the payment skill that PAYMENT_FAILED needs nor senior: choose another agent");
  EXPECT_EQ(error_of(desk.reassign("c1", "A", "OFF", t)),
            "agent OFF is not on duty: put the agent on duty (agent.duty) first");
  OG_OK(desk.acknowledge("c1", "A", t));
  OG_OK(desk.reassign("c1", "A", "B", t + 1));
  EXPECT_EQ(assignee_of(desk, "c1"), "B");
  EXPECT_FALSE(desk.find_case("c1")->acknowledged_at.has_value());  // B acknowledges for themself
  const Action moved = desk.log().back();
  EXPECT_EQ(moved.kind, ActionKind::kReassigned);
  EXPECT_EQ(moved.actor, "A");
  EXPECT_EQ(moved.target, "B");
  OG_OK(desk.escalate(payment_case("c2"), t + 2));  // goes to A (B is full)
  EXPECT_EQ(error_of(desk.reassign("c2", "A", "B", t + 3)),
            "agent B is at capacity (1 of 1 open incidents): choose another agent");
}

TEST_F(ActionsTest, ASupervisorMayReassignAnyCaseEvenAWaitingOne) {
  OG_OK(desk.reassign("c1", "SUP", "B", t));
  EXPECT_EQ(assignee_of(desk, "c1"), "B");
  OG_OK(desk.escalate(make_case("risk", IncidentType::kAmountAnomaly, Severity::kLow, 10), t + 1));
  EXPECT_EQ(error_of(desk.reassign("risk", "A", "SUP", t + 2)),
            "incident risk is waiting in the queue; only its assignee or a supervisor can reassign it");
  EXPECT_EQ(error_of(desk.reassign("risk", "SUP", "A", t + 2)),
            "agent A has neither the risk skill that AMOUNT_ANOMALY needs nor senior: choose another agent");
}

TEST_F(ActionsTest, EscalateFurtherGoesToAnotherSupervisor) {
  EXPECT_EQ(error_of(desk.escalate_further("c1", "A", "", t)), "escalation reason is empty: say what was done or why");
  OG_OK(desk.escalate_further("c1", "A", "customer threatens to go public", t));
  EXPECT_EQ(assignee_of(desk, "c1"), "SUP");
  EXPECT_EQ(desk.find_case("c1")->first_handled_at, t);
  const Action up = desk.log().back();
  EXPECT_EQ(up.kind, ActionKind::kEscalatedFurther);
  EXPECT_EQ(up.target, "SUP");
  EXPECT_EQ(up.text, "customer threatens to go public");
  EXPECT_EQ(error_of(desk.escalate_further("c1", "SUP", "still stuck", t + 1)),
            "no other supervisor is on duty to take incident c1: comment on it or reassign it");
}

TEST_F(ActionsTest, AnyOnDutyAgentMayComment) {
  OG_OK(desk.comment("c1", "D", "rider saw the customer pay in cash", t));
  OG_OK(desk.comment("c1", "A", "第二条备注", t + 1));
  const Case* commented = desk.find_case("c1");
  ASSERT_EQ(commented->comments.size(), 2U);
  EXPECT_EQ(commented->comments[0].agent_id, "D");
  EXPECT_EQ(commented->comments[1].text, "第二条备注");
  EXPECT_FALSE(commented->first_handled_at.has_value());
  EXPECT_EQ(error_of(desk.comment("c1", "OFF", "x", t + 2)),
            "agent OFF is not on duty: put the agent on duty (agent.duty) first");
  EXPECT_EQ(error_of(desk.comment("c1", "A", "", t + 2)), "comment is empty: say what was done or why");
  EXPECT_EQ(error_of(desk.comment("c1", "A", std::string(2001, 'x'), t + 2)),
            "comment is 2001 bytes, over the limit of 2000: shorten it");
}

TEST_F(ActionsTest, TimeNeverGoesBack) {
  OG_OK(desk.advance(t));
  EXPECT_EQ(error_of(desk.acknowledge("c1", "A", t - 1)),
            "time goes back: 2026-11-21T02:00:00.009Z is before the desk's time 2026-11-21T02:00:00.010Z; send "
            "actions in time order");
  EXPECT_EQ(error_of(desk.advance(t - 1)).substr(0, 15), "time goes back:");
  OG_OK(desk.acknowledge("c1", "A", t));  // the same time is fine
}

TEST_F(ActionsTest, DutyChangesMustChangeSomething) {
  EXPECT_EQ(error_of(desk.set_duty("A", true, t)), "agent A is already on duty");
  EXPECT_EQ(error_of(desk.set_duty("OFF", false, t)), "agent OFF is already off duty");
  EXPECT_EQ(error_of(desk.set_duty("ghost", true, t)), "unknown agent 'ghost': add the agent (agent.joined) first");
  EXPECT_EQ(error_of(desk.add_agent(make_agent("A", {}, 1), t)),
            "agent A has already joined: change its duty with agent.duty");
}

TEST_F(ActionsTest, EscalatedCasesAreValidated) {
  EXPECT_EQ(error_of(desk.escalate(payment_case(""), t)), "incident id is empty: give the id");
  EXPECT_EQ(error_of(desk.escalate(payment_case(std::string(129, 'i')), t)),
            "incident id 'iiiiiiiiiiiiiiii...' is 129 bytes, over the limit of 128 (max_id_bytes)");
  EXPECT_EQ(error_of(desk.escalate(payment_case("p", 101), t)), "incident p's priority 101 is outside 0-100");
  EscalatedCase bad_value = payment_case("v");
  bad_value.order_value = -5;
  EXPECT_EQ(error_of(desk.escalate(bad_value, t)),
            "incident v's order value -5 is neither unknown (-1) nor within 0-1000000000000000");
  EscalatedCase long_zone = payment_case("z");
  long_zone.zone = std::string(200, 'z');
  EXPECT_EQ(error_of(desk.escalate(long_zone, t)), "incident z's zone is 200 bytes, over the limit of 128");
  EscalatedCase far_deadline = payment_case("f");
  far_deadline.sla_deadline_ms = -5;
  EXPECT_EQ(error_of(desk.escalate(far_deadline, t)), "incident f's SLA deadline -5 ms is outside 1970-9999");
  EXPECT_EQ(error_of(desk.escalate(payment_case("n"), -1)),
            "time -1 ms is outside 1970-9999: send event time in epoch milliseconds");
  EXPECT_EQ(desk.find_case("n"), nullptr);
}

TEST_F(ActionsTest, AgentsAreValidated) {
  EXPECT_EQ(error_of(desk.add_agent(make_agent("", {}, 1), t)), "agent id is empty: give the id");
  EXPECT_EQ(error_of(desk.add_agent(make_agent("X", {}, -1), t)), "agent X's capacity -1 is outside 0-100");
  EXPECT_EQ(error_of(desk.add_agent(make_agent("X", {}, 101), t)), "agent X's capacity 101 is outside 0-100");
}

TEST_F(ActionsTest, TheLogRecordsEveryChangeInOrder) {
  OG_OK(desk.acknowledge("c1", "A", t));
  OG_OK(desk.resolve("c1", "A", "refunded", "done\nsecond line", t + 5));
  std::vector<std::string> lines;
  for (const Action& action : desk.log()) lines.push_back(describe(action));
  const std::vector<std::string> expected = {
      "2026-11-21T02:00:00.000Z #1 agent_joined by A: skills=payment capacity=2 on_duty",
      "2026-11-21T02:00:00.001Z #2 escalated c1 (PAYMENT_FAILED medium) due 2026-11-21T02:05:00.001Z",
      "2026-11-21T02:00:00.001Z #3 assigned c1 (PAYMENT_FAILED medium) to A",
      "2026-11-21T02:00:00.002Z #4 agent_joined by B: skills=payment capacity=1 on_duty",
      "2026-11-21T02:00:00.002Z #5 agent_joined by D: skills=delivery capacity=3 on_duty",
      "2026-11-21T02:00:00.002Z #6 agent_joined by SUP: skills=none capacity=5 supervisor on_duty",
      "2026-11-21T02:00:00.002Z #7 agent_joined by OFF: skills=payment capacity=5",
      "2026-11-21T02:00:00.010Z #8 acknowledged c1 (PAYMENT_FAILED medium) by A",
      "2026-11-21T02:00:00.015Z #9 resolved c1 (PAYMENT_FAILED medium) by A code=refunded: done\\nsecond line",
  };
  EXPECT_EQ(lines, expected);
}

TEST(Limits, EveryBoundIsANamedError) {
  Limits limits;
  limits.max_agents = 2;
  limits.max_open_cases = 2;
  limits.max_comments_per_case = 1;
  PeopleDesk desk(limits);
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 5), kT0));
  OG_OK(desk.add_agent(make_agent("B", {Skill::kPayment}, 5), kT0));
  EXPECT_EQ(error_of(desk.add_agent(make_agent("C", {}, 1), kT0)),
            "the desk already has 2 agents, its limit (max_agents): agent C was not added");
  OG_OK(desk.escalate(payment_case("c1"), kT0));
  OG_OK(desk.escalate(payment_case("c2"), kT0));
  EXPECT_EQ(error_of(desk.escalate(payment_case("c3"), kT0)),
            "the desk holds 2 open incidents, its limit (max_open_cases): incident c3 was not escalated; add agents "
            "or resolve cases");
  OG_OK(desk.comment("c1", "A", "one", kT0));
  EXPECT_EQ(error_of(desk.comment("c1", "A", "two", kT0)),
            "incident c1 already has 1 comments, its limit (max_comments_per_case)");
  OG_OK(desk.resolve("c1", "A", "x", "y", kT0));
  OG_OK(desk.escalate(payment_case("c3"), kT0));  // room again
}

TEST(Limits, AFullLogMustBeTakenBeforeMoreActionsAndSeqContinues) {
  Limits limits;
  limits.max_log_actions = 3;
  PeopleDesk desk(limits);
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 5), kT0));
  OG_OK(desk.escalate(payment_case("c1"), kT0));  // escalated + assigned
  EXPECT_EQ(error_of(desk.acknowledge("c1", "A", kT0 + 1)),
            "the action log holds 3 actions, its limit (max_log_actions): hand it to the audit chain with "
            "take_log() first");
  const auto taken = desk.take_log();
  ASSERT_EQ(taken.size(), 3U);
  EXPECT_TRUE(desk.log().empty());
  OG_OK(desk.acknowledge("c1", "A", kT0 + 1));
  EXPECT_EQ(desk.log().front().seq, 4U);
}

TEST(Limits, ClosedHistoryKeepsTheNewestCases) {
  Limits limits;
  limits.max_closed_kept = 2;
  PeopleDesk desk(limits);
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 5), kT0));
  for (const char* id : {"c1", "c2", "c3"}) {
    OG_OK(desk.escalate(payment_case(id), kT0));
    OG_OK(desk.resolve(id, "A", "x", "y", kT0));
  }
  EXPECT_EQ(desk.find_case("c1"), nullptr);
  EXPECT_NE(desk.find_case("c2"), nullptr);
  EXPECT_NE(desk.find_case("c3"), nullptr);
}

}  // namespace
}  // namespace og::people
