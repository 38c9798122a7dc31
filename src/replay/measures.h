// replay/measures: the handling measures of docs/spec/INCIDENTS.md ("Measures of the
// handling") from an engine's final state: auto-handling and manual rates, handling time,
// SLA attainment, loss against GMV, per-type precision from false-positive marks; overall
// and by type, zone and community, with the seed documents' targets. Written into replay's
// --report, printed by simulate --closed-loop, served as /v1/kpis.
// Depends on: engine.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/engine.h"

namespace og {

struct MeasureGroup {
  std::uint64_t incidents = 0;   // retracted ones excluded
  std::uint64_t retracted = 0;
  std::uint64_t resolved = 0;
  std::uint64_t auto_or_self = 0;
  std::uint64_t manual = 0;
  std::uint64_t reached_people = 0;  // retracted ones included
  std::uint64_t false_positives = 0;
  std::uint64_t open = 0;        // not closed at the end
  std::vector<std::int64_t> handling_ms;  // detection -> resolution, resolved ones
  std::array<std::uint64_t, kSeverityCount> sla_met{};
  std::array<std::uint64_t, kSeverityCount> sla_missed{};
  std::int64_t loss = 0;

  std::optional<double> auto_handling_rate() const;
  std::optional<double> manual_rate() const;
  std::optional<double> mean_handling_ms() const;
  std::optional<std::int64_t> p90_handling_ms() const;
  std::optional<double> sla_attainment(Severity severity) const;
  std::optional<double> precision() const;  // 1 - false positives / reviewed by people
};

struct HandlingMeasures {
  MeasureGroup overall;
  std::map<std::string, MeasureGroup> by_type, by_zone, by_community;
  std::int64_t gmv = 0;
  std::int64_t loss_refunds = 0, loss_coupons = 0, loss_honoured = 0;
  std::map<std::string, std::uint64_t> commands;  // by command name
  std::uint64_t notifications_suppressed = 0;
  std::map<std::string, std::uint64_t> rate_capped;  // commands held back, by cap (only caps that held one)
  std::uint64_t agent_refusals = 0;
  std::optional<double> loss_rate() const;
};

// `end` is the time the measures are taken at: an incident with no first action whose SLA
// ended before it has missed it.
HandlingMeasures measure_handling(const Engine& engine, TimeMs end);

// The measures as a JSON object (no trailing newline), with the targets and whether each is met.
std::string measures_json(const HandlingMeasures& measures);

// The figures the table shows: from the measures, or read back from their JSON (the demo
// reads them from GET /v1/kpis).
struct MeasuresSummary {
  std::uint64_t incidents = 0;
  std::optional<double> auto_handling_rate, manual_rate, mean_handling_ms, p90_handling_ms, loss_rate, precision;
  std::array<std::optional<double>, kSeverityCount> sla_attainment{};
};
MeasuresSummary summarize(const HandlingMeasures& measures);

// The table `simulate --closed-loop` prints: each measure, its value and the seed target.
std::string measures_table(const HandlingMeasures& measures);
std::string measures_table(const MeasuresSummary& summary);

}  // namespace og
