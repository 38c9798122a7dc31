// Measures of people's handling, from the action log alone (definitions in docs/people.md).
#include "people/measures.h"

#include <algorithm>
#include <map>
#include <string>

namespace og::people {
namespace {

struct Seen {
  IncidentType type = IncidentType::kPaymentTimeout;
  Severity severity = Severity::kLow;
  TimeMs escalated_at = 0;
  TimeMs sla_deadline_ms = 0;
  std::optional<TimeMs> first_handled_at;
  std::optional<TimeMs> closed_at;
  bool breached = false;
  bool false_positive = false;
};

// The actions that count as a first handling action: someone took the case in hand.
// Comments and hand-overs (reassign) do not; they leave the clock running.
bool is_handling(ActionKind kind) {
  return kind == ActionKind::kAcknowledged || kind == ActionKind::kResolved || kind == ActionKind::kFalsePositive ||
         kind == ActionKind::kEscalatedFurther;
}

void add(HandlingMeasures& into, const Seen& seen) {
  ++into.escalated;
  if (seen.first_handled_at) {
    ++into.handled;
    const DurationMs wait_ms = *seen.first_handled_at - seen.escalated_at;
    into.first_handling_total_ms += wait_ms;
    into.first_handling_max_ms = std::max(into.first_handling_max_ms, wait_ms);
  }
  if (seen.closed_at) {
    ++(seen.false_positive ? into.false_positives : into.resolved);
    into.close_total_ms += *seen.closed_at - seen.escalated_at;
  }
  if (seen.breached) ++into.sla_breaches;
  SlaCount& sla = into.sla[static_cast<std::size_t>(seen.severity)];
  if (seen.breached || (seen.first_handled_at && *seen.first_handled_at > seen.sla_deadline_ms)) {
    ++sla.missed;
  } else if (seen.first_handled_at) {
    ++sla.met;
  } else {
    ++sla.pending;
  }
}

}  // namespace

std::optional<double> SlaCount::attainment() const {
  const std::int64_t decided = met + missed;
  if (decided == 0) return std::nullopt;
  return static_cast<double>(met) / static_cast<double>(decided);
}

std::optional<DurationMs> HandlingMeasures::mean_first_handling_ms() const {
  if (handled == 0) return std::nullopt;
  return first_handling_total_ms / handled;
}

std::optional<DurationMs> HandlingMeasures::mean_close_ms() const {
  if (reviewed() == 0) return std::nullopt;
  return close_total_ms / reviewed();
}

std::optional<double> HandlingMeasures::precision() const {
  if (reviewed() == 0) return std::nullopt;
  return 1.0 - static_cast<double>(false_positives) / static_cast<double>(reviewed());
}

Measures compute_measures(std::span<const Action> log) {
  std::map<std::string, Seen, std::less<>> cases;  // ordered: the sums do not depend on hashing
  for (const Action& action : log) {
    if (action.incident_id.empty()) continue;
    if (action.kind == ActionKind::kEscalated) {
      Seen& seen = cases[action.incident_id];
      seen = Seen{action.type, action.severity, action.at, action.sla_deadline_ms, {}, {}, false, false};
      continue;
    }
    const auto found = cases.find(action.incident_id);
    if (found == cases.end()) continue;
    Seen& seen = found->second;
    if (is_handling(action.kind) && !seen.first_handled_at) seen.first_handled_at = action.at;
    if (action.kind == ActionKind::kSlaBreached) seen.breached = true;
    if (action.kind == ActionKind::kResolved || action.kind == ActionKind::kFalsePositive) {
      seen.closed_at = action.at;
      seen.false_positive = action.kind == ActionKind::kFalsePositive;
    }
  }
  Measures measures;
  for (const auto& [incident_id, seen] : cases) {
    add(measures.overall, seen);
    add(measures.by_type[static_cast<std::size_t>(seen.type)], seen);
  }
  return measures;
}

}  // namespace og::people
