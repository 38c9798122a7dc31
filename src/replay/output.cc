#include "replay/output.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

#include "core/json_writer.h"
#include "replay/measures.h"

namespace og {
namespace {

std::vector<const Incident*> in_output_order(const Engine& engine) {
  std::vector<const Incident*> sorted;
  sorted.reserve(engine.incidents().all().size());
  for (const Incident& incident : engine.incidents().all()) sorted.push_back(&incident);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Incident* a, const Incident* b) { return a->detected_at < b->detected_at; });
  return sorted;
}

}  // namespace

void append_incident_json(std::string& out, const Incident& incident, const Interner& interner) {
  JsonWriter json(out);
  json.begin_object();
  json.field("id", incident.id);
  json.field("type", incident_type_name(incident.type));
  json.field("severity", severity_name(incident.severity));
  json.field("priority", incident.priority);
  json.key("subject").begin_object();
  json.field("kind", subject_kind_name(incident.subject_kind));
  json.field("id", interner.view(incident.subject));
  json.end_object();
  if (incident.order != kNoSymbol) json.field("order_id", interner.view(incident.order));
  if (incident.sku != kNoSymbol) json.field("sku", interner.view(incident.sku));
  if (incident.stage != Stage::kCount) json.field("stage", stage_name(incident.stage));
  if (incident.about_type != IncidentType::kCount) json.field("incident_type", incident_type_name(incident.about_type));
  if (incident.zone != kNoSymbol) json.field("zone", interner.view(incident.zone));
  if (incident.community != kNoSymbol) json.field("community", interner.view(incident.community));
  json.key("detected_at").time_utc(incident.detected_at);
  json.field("status", incident_status_name(incident.status));
  if (incident.resolution != Resolution::kNone) json.field("resolution", resolution_name(incident.resolution));
  if (incident.resolved_at != kAbsent) json.key("resolved_at").time_utc(incident.resolved_at);
  if (incident.retracted_at != kAbsent) json.key("retracted_at").time_utc(incident.retracted_at);
  if (incident.escalated_at != kAbsent) json.key("escalated_at").time_utc(incident.escalated_at);
  if (!incident.assignee.empty()) json.field("assignee", incident.assignee);
  if (incident.false_positive) json.field("false_positive", true);
  if (incident.rate_capped != 0) json.field("rate_cap", rate_cap_name(static_cast<RateCapKind>(incident.rate_capped - 1)));
  if (incident.loss != 0) json.field("loss", incident.loss);
  json.key("evidence").begin_array();
  for (const auto& id : incident.evidence) json.string(id);
  json.end_array();
  json.key("actions").begin_array();
  for (const auto& action : incident.actions) json.string(action);
  json.end_array();
  if (!incident.linked.empty()) {
    json.key("linked").begin_array();
    for (const auto& id : incident.linked) json.string(id);
    json.end_array();
  }
  json.end_object();
}

std::string incidents_ndjson(const Engine& engine, const Interner& interner) {
  std::string out;
  for (const Incident* incident : in_output_order(engine)) {
    append_incident_json(out, *incident, interner);
    out.push_back('\n');
  }
  return out;
}

std::string commands_ndjson(const Engine& engine) {
  std::string out;
  for (const Command& command : engine.commands()) {
    out += command_json(command);
    out.push_back('\n');
  }
  return out;
}

std::string golden_line(const Incident& incident, const Interner& interner) {
  std::string line = fmt::format("{} {}:{}", incident_type_name(incident.type), subject_kind_name(incident.subject_kind),
                                 interner.view(incident.subject));
  if (incident.sku != kNoSymbol) line += fmt::format(" sku={}", interner.view(incident.sku));
  if (incident.stage != Stage::kCount) line += fmt::format(" stage={}", stage_name(incident.stage));
  if (incident.about_type != IncidentType::kCount) line += fmt::format(" of={}", incident_type_name(incident.about_type));
  line += fmt::format(" severity={} detected={} status={}", severity_name(incident.severity),
                      format_utc_ms(incident.detected_at), incident_status_name(incident.status));
  if (incident.resolution != Resolution::kNone) line += fmt::format("/{}", resolution_name(incident.resolution));
  return line;
}

std::string report_json(const Engine& engine, const ReplayStats& stats) {
  constexpr std::size_t kStatusCount = 6;
  std::array<std::array<std::uint64_t, kStatusCount>, kIncidentTypeCount> by_type{};
  std::array<std::uint64_t, kStatusCount> by_status{};
  for (const Incident& incident : engine.incidents().all()) {
    const auto status = static_cast<std::size_t>(incident.status);
    ++by_type[static_cast<std::size_t>(incident.type)][status];
    ++by_status[status];
  }
  const std::uint64_t total = engine.incidents().all().size();
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("input").begin_object();
  json.field("lines", static_cast<std::int64_t>(stats.lines));
  json.field("events", static_cast<std::int64_t>(stats.events));
  json.field("bad_lines", static_cast<std::int64_t>(stats.bad_lines));
  json.field("duplicates", static_cast<std::int64_t>(engine.counters().events_duplicate));
  json.field("repeated_facts", static_cast<std::int64_t>(engine.counters().events_repeated));
  json.field("late", static_cast<std::int64_t>(stats.late));
  json.end_object();
  json.key("incidents").begin_object();
  json.field("total", static_cast<std::int64_t>(total));
  json.key("by_status").begin_object();
  for (std::size_t s = 0; s < kStatusCount; ++s) {
    json.field(incident_status_name(static_cast<IncidentStatus>(s)), static_cast<std::int64_t>(by_status[s]));
  }
  json.end_object();
  json.key("by_type").begin_object();
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) {
    std::uint64_t type_total = 0;
    for (const auto count : by_type[t]) type_total += count;
    if (type_total == 0) continue;
    json.key(incident_type_name(static_cast<IncidentType>(t))).begin_object();
    json.field("total", static_cast<std::int64_t>(type_total));
    for (std::size_t s = 0; s < kStatusCount; ++s) {
      if (by_type[t][s] != 0) json.field(incident_status_name(static_cast<IncidentStatus>(s)), static_cast<std::int64_t>(by_type[t][s]));
    }
    json.end_object();
  }
  json.end_object();
  json.end_object();
  const EngineCounters& counters = engine.counters();
  json.key("deadlines").begin_object();
  json.field("fired", static_cast<std::int64_t>(counters.timers_fired));
  json.field("fired_while_input_arrived", static_cast<std::int64_t>(counters.timers_fired_live));
  json.field("watermark_bound_ms", engine.config().max_out_of_orderness_ms);
  json.field("fire_lag_ms_max", counters.fire_lag_ms_max);
  json.key("fire_lag_ms_mean");
  if (counters.timers_fired_live == 0) json.null();
  else json.number(static_cast<double>(counters.fire_lag_ms_total) / static_cast<double>(counters.timers_fired_live));
  json.end_object();
  json.key("measures").raw(measures_json(measure_handling(engine, engine.max_event_time())));
  json.end_object();
  out.push_back('\n');
  return out;
}

}  // namespace og
