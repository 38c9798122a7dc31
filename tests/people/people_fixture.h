// Shared helpers for the people tests: agents, cases and times in a few words.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "people/people.h"

namespace og::people::testing {

constexpr TimeMs kT0 = 1795226400000;  // 2026-11-21T02:00:00Z

inline Agent make_agent(std::string id, Skills skills, int capacity, bool on_duty = true, bool supervisor = false) {
  Agent agent;
  agent.name = "Agent " + id;
  agent.id = std::move(id);
  agent.skills = skills;
  agent.capacity = capacity;
  agent.on_duty = on_duty;
  agent.supervisor = supervisor;
  return agent;
}

inline EscalatedCase make_case(std::string id, IncidentType type, Severity severity, int priority) {
  EscalatedCase escalated;
  escalated.incident_id = std::move(id);
  escalated.type = type;
  escalated.severity = severity;
  escalated.priority = priority;
  return escalated;
}

inline EscalatedCase payment_case(std::string id, int priority = 40) {
  return make_case(std::move(id), IncidentType::kPaymentFailed, Severity::kMedium, priority);
}

// Fails the test with the desk's message when a call is refused.
#define OG_OK(call)                                          \
  do {                                                       \
    const auto og_result_ = (call);                          \
    ASSERT_TRUE(og_result_.has_value()) << og_result_.error(); \
  } while (false)

// The message of a refused call, or "<accepted>".
template <typename T>
std::string error_of(const Result<T>& result) {
  return result ? std::string("<accepted>") : result.error();
}

inline std::vector<std::string> ids_of(const std::vector<QueueEntry>& entries) {
  std::vector<std::string> ids;
  for (const QueueEntry& entry : entries) ids.push_back(entry.incident_id);
  return ids;
}

inline std::string assignee_of(const PeopleDesk& desk, std::string_view incident_id) {
  const Case* found = desk.find_case(incident_id);
  return found == nullptr ? std::string("<unknown>") : found->assignee;
}

// Actions of one kind, in log order.
inline std::vector<Action> actions_of(const PeopleDesk& desk, ActionKind kind) {
  std::vector<Action> found;
  for (const Action& action : desk.log()) {
    if (action.kind == kind) found.push_back(action);
  }
  return found;
}

// A small hand-checked day used by the measures and determinism tests (docs/people.md
// "Measures" works it through). Agents A (payment), D (delivery), SUP (supervisor).
//   t0       p1 PAYMENT_FAILED medium -> A; d1 DELIVERY_LATE high -> D (due t0+1m)
//   t0+1m    p2 PAYMENT_FAILED medium -> A
//   t0+2m    A acknowledges p1 (d1's deadline passed first: d1 -> SUP)
//   t0+3m    A marks p2 a false positive
//   t0+4m    SUP resolves d1
//   t0+5m    d2 DELIVERY_LATE low -> D
//   t0+6m    p3 PAYMENT_FAILED medium -> A; D comments on d2
//   t0+7m    A escalates p3 further -> SUP
//   t0+10m   A resolves p1
//   t0+20m   SUP resolves p3
inline void run_handling_day(PeopleDesk& desk) {
  const auto at = [](int minutes) { return kT0 + minutes * kMinuteMs; };
  OG_OK(desk.add_agent(make_agent("A", {Skill::kPayment}, 5), at(0)));
  OG_OK(desk.add_agent(make_agent("D", {Skill::kDelivery}, 5), at(0)));
  OG_OK(desk.add_agent(make_agent("SUP", {}, 5, true, true), at(0)));
  OG_OK(desk.escalate(payment_case("p1"), at(0)));
  OG_OK(desk.escalate(make_case("d1", IncidentType::kDeliveryLate, Severity::kHigh, 75), at(0)));
  OG_OK(desk.escalate(payment_case("p2"), at(1)));
  OG_OK(desk.acknowledge("p1", "A", at(2)));
  OG_OK(desk.mark_false_positive("p2", "A", at(3)));
  OG_OK(desk.resolve("d1", "SUP", "redelivered", "sent a new rider", at(4)));
  OG_OK(desk.escalate(make_case("d2", IncidentType::kDeliveryLate, Severity::kLow, 20), at(5)));
  OG_OK(desk.escalate(payment_case("p3"), at(6)));
  OG_OK(desk.comment("d2", "D", "rider is 10 min away", at(6)));
  OG_OK(desk.escalate_further("p3", "A", "bank needs a supervisor's approval", at(7)));
  OG_OK(desk.resolve("p1", "A", "retried", "payment retried by phone", at(10)));
  OG_OK(desk.resolve("p3", "SUP", "refunded", "approved a manual refund", at(20)));
}

}  // namespace og::people::testing
