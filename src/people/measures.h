// people/measures: how well people handled escalated incidents, computed from the desk's
// action log alone (docs/people.md "Measures"): manual counts, time to first handling,
// SLA attainment by severity, and per-type precision from false-positive marks.
// Owns: those definitions. May depend only on src/core, src/rules and people/people.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "people/people.h"

namespace og::people {

struct SlaCount {
  std::int64_t met = 0;     // first handling action at or before the deadline
  std::int64_t missed = 0;  // handled after it, or an SLA breach was logged
  std::int64_t pending = 0; // neither yet: still inside its window with no handling

  std::optional<double> attainment() const;  // met / (met + missed); none when both are 0
};

struct HandlingMeasures {
  std::int64_t escalated = 0;       // cases that reached people (manual count)
  std::int64_t handled = 0;         // cases with a first handling action
  std::int64_t resolved = 0;        // closed with a resolution code
  std::int64_t false_positives = 0; // closed as false positive
  std::int64_t sla_breaches = 0;    // went up to a supervisor (or would have, with none on duty)
  DurationMs first_handling_total_ms = 0;  // sum over handled cases of (first handling - escalation)
  DurationMs first_handling_max_ms = 0;
  DurationMs close_total_ms = 0;           // sum over closed cases of (close - escalation)
  std::array<SlaCount, kSeverityCount> sla{};  // by Severity

  std::int64_t reviewed() const { return resolved + false_positives; }
  std::optional<DurationMs> mean_first_handling_ms() const;  // floor; none when nothing handled
  std::optional<DurationMs> mean_close_ms() const;
  std::optional<double> precision() const;  // 1 - false_positives / reviewed; none when 0 reviewed
};

struct Measures {
  HandlingMeasures overall;
  std::array<HandlingMeasures, kIncidentTypeCount> by_type{};
};

// Actions about a case whose kEscalated entry is not in `log` are skipped, so a log taken
// in parts (take_log) must be joined before it is measured.
Measures compute_measures(std::span<const Action> log);

}  // namespace og::people
