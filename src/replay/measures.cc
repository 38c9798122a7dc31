#include "replay/measures.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/saturating.h"

namespace og {
namespace {

// The seed documents' targets (docs/spec/INCIDENTS.md).
constexpr double kTargetAutoRate = 0.85;
constexpr double kTargetManualRate = 0.05;
constexpr double kTargetMeanHandlingMs = 15.0 * 60 * 1000;
constexpr double kTargetLossRate = 0.003;
constexpr double kTargetHighSla = 1.0;  // every high-severity incident acted on within 1 min

std::optional<double> ratio(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

void add(MeasureGroup& group, const Incident& incident, TimeMs end, DurationMs sla_ms) {
  // INCIDENTS.md leaves retracted incidents out of the auto-handling rate alone: the manual
  // intervention rate is over every incident, and one retracted on the desk reached a person.
  if (incident.escalated_at != kAbsent) ++group.reached_people;
  if (incident.status == IncidentStatus::kRetracted) {
    ++group.retracted;
    return;
  }
  ++group.incidents;
  group.loss = saturating_add(group.loss, incident.loss);
  if (incident.false_positive) ++group.false_positives;
  if (incident.status == IncidentStatus::kResolved) {
    ++group.resolved;
    if (incident.resolution == Resolution::kAuto || incident.resolution == Resolution::kSelf) ++group.auto_or_self;
    if (incident.resolution == Resolution::kManual) ++group.manual;
    group.handling_ms.push_back(incident.resolved_at - incident.detected_at);
  } else {
    ++group.open;
  }
  // SLA of the first handling action. An incident that cleared itself before anyone had to
  // act needed no action; one still waiting counts as missed once its SLA is over. One
  // handled with no command (a coupon honoured, a playbook that only resolves) was handled
  // when it was resolved.
  const auto severity = static_cast<std::size_t>(incident.severity);
  const TimeMs deadline = incident.detected_at + sla_ms;
  if (incident.first_action_at != kAbsent) {
    (incident.first_action_at <= deadline ? group.sla_met : group.sla_missed)[severity]++;
  } else if (incident.status != IncidentStatus::kResolved) {
    if (end > deadline) group.sla_missed[severity]++;
  } else if (incident.resolution != Resolution::kSelf) {
    (incident.resolved_at <= deadline ? group.sla_met : group.sla_missed)[severity]++;
  }
}

void write_optional(JsonWriter& json, std::string_view name, std::optional<double> value) {
  json.key(name);
  if (value) json.number(*value);
  else json.null();
}

void write_group(JsonWriter& json, const MeasureGroup& group) {
  json.begin_object();
  json.field("incidents", static_cast<std::int64_t>(group.incidents));
  json.field("retracted", static_cast<std::int64_t>(group.retracted));
  json.field("resolved", static_cast<std::int64_t>(group.resolved));
  json.field("open", static_cast<std::int64_t>(group.open));
  json.field("auto_or_self", static_cast<std::int64_t>(group.auto_or_self));
  json.field("manual", static_cast<std::int64_t>(group.manual));
  json.field("reached_people", static_cast<std::int64_t>(group.reached_people));
  write_optional(json, "auto_handling_rate", group.auto_handling_rate());
  write_optional(json, "manual_intervention_rate", group.manual_rate());
  write_optional(json, "mean_handling_ms", group.mean_handling_ms());
  json.key("p90_handling_ms");
  if (const auto p90 = group.p90_handling_ms()) json.integer(*p90);
  else json.null();
  json.key("sla_attainment").begin_object();
  for (std::size_t s = 0; s < kSeverityCount; ++s) write_optional(json, severity_name(static_cast<Severity>(s)), group.sla_attainment(static_cast<Severity>(s)));
  json.end_object();
  json.field("false_positives", static_cast<std::int64_t>(group.false_positives));
  write_optional(json, "precision", group.precision());
  json.field("loss", group.loss);
  json.end_object();
}

std::string percent(std::optional<double> value) { return value ? fmt::format("{:.1f}%", *value * 100) : "-"; }

}  // namespace

std::optional<double> MeasureGroup::auto_handling_rate() const { return ratio(auto_or_self, resolved); }
std::optional<double> MeasureGroup::manual_rate() const { return ratio(reached_people, incidents + retracted); }
std::optional<double> MeasureGroup::mean_handling_ms() const {
  if (handling_ms.empty()) return std::nullopt;
  double total = 0;
  for (const auto ms : handling_ms) total += static_cast<double>(ms);
  return total / static_cast<double>(handling_ms.size());
}
std::optional<std::int64_t> MeasureGroup::p90_handling_ms() const {
  if (handling_ms.empty()) return std::nullopt;
  std::vector<std::int64_t> sorted = handling_ms;
  std::sort(sorted.begin(), sorted.end());
  // Nearest rank: the smallest value with at least 90% of the values at or below it.
  const std::size_t rank = (sorted.size() * 9 + 9) / 10;
  return sorted[rank - 1];
}
std::optional<double> MeasureGroup::sla_attainment(Severity severity) const {
  const auto s = static_cast<std::size_t>(severity);
  return ratio(sla_met[s], sla_met[s] + sla_missed[s]);
}
std::optional<double> MeasureGroup::precision() const {
  if (manual == 0) return std::nullopt;
  return 1.0 - static_cast<double>(false_positives) / static_cast<double>(manual);
}
std::optional<double> HandlingMeasures::loss_rate() const {
  if (gmv <= 0) return std::nullopt;
  return static_cast<double>(overall.loss) / static_cast<double>(gmv);
}

HandlingMeasures measure_handling(const Engine& engine, TimeMs end) {
  HandlingMeasures measures;
  const Interner& interner = engine.interner();
  for (const Incident& incident : engine.incidents().all()) {
    const DurationMs sla = engine.config().sla_for(incident.severity);
    add(measures.overall, incident, end, sla);
    add(measures.by_type[std::string(incident_type_name(incident.type))], incident, end, sla);
    if (incident.zone != kNoSymbol) add(measures.by_zone[std::string(interner.view(incident.zone))], incident, end, sla);
    if (incident.community != kNoSymbol) add(measures.by_community[std::string(interner.view(incident.community))], incident, end, sla);
    if (incident.type == IncidentType::kCouponInvalid && incident.status == IncidentStatus::kResolved &&
        incident.resolution == Resolution::kAuto) {
      measures.loss_honoured = saturating_add(measures.loss_honoured, incident.loss);
    }
  }
  for (const Command& command : engine.commands()) {
    ++measures.commands[command.name];
    if (command.name == "refund.issue" && command.amount > 0 && !command.payout_failed) measures.loss_refunds = saturating_add(measures.loss_refunds, command.amount);
    if (command.name == "coupon.issue" && command.amount > 0) measures.loss_coupons = saturating_add(measures.loss_coupons, command.amount);
  }
  measures.gmv = engine.gmv();
  measures.notifications_suppressed = engine.notifications_suppressed();
  for (std::size_t kind = 0; kind < kRateCapCount; ++kind) {
    const std::uint64_t held = engine.rate_capped()[kind];
    if (held > 0) measures.rate_capped[std::string(rate_cap_name(static_cast<RateCapKind>(kind)))] = held;
  }
  measures.agent_refusals = engine.agent_refusals().size();
  return measures;
}

std::string measures_json(const HandlingMeasures& m) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("overall");
  write_group(json, m.overall);
  json.field("gmv", m.gmv);
  json.key("loss").begin_object();
  json.field("total", m.overall.loss);
  json.field("refunds", m.loss_refunds);
  json.field("coupons", m.loss_coupons);
  json.field("honoured_coupons", m.loss_honoured);
  write_optional(json, "rate", m.loss_rate());
  json.end_object();
  json.key("targets").begin_object();
  const auto target = [&](std::string_view name, double goal, std::optional<double> value, bool at_least) {
    json.key(name).begin_object();
    json.key("target").number(goal);
    write_optional(json, "value", value);
    json.key("met");
    if (value) json.boolean(at_least ? *value >= goal : *value <= goal);
    else json.null();
    json.end_object();
  };
  target("auto_handling_rate", kTargetAutoRate, m.overall.auto_handling_rate(), true);
  target("manual_intervention_rate", kTargetManualRate, m.overall.manual_rate(), false);
  target("mean_handling_ms", kTargetMeanHandlingMs, m.overall.mean_handling_ms(), false);
  target("loss_rate", kTargetLossRate, m.loss_rate(), false);
  target("high_sla_attainment", kTargetHighSla, m.overall.sla_attainment(Severity::kHigh), true);
  json.end_object();
  json.key("commands").begin_object();
  for (const auto& [name, count] : m.commands) json.field(name, static_cast<std::int64_t>(count));
  json.end_object();
  json.field("notifications_suppressed", static_cast<std::int64_t>(m.notifications_suppressed));
  // Written only after a storm, so that a normal day's report stays as it was.
  if (!m.rate_capped.empty()) {
    json.key("rate_capped").begin_object();
    for (const auto& [name, count] : m.rate_capped) json.field(name, static_cast<std::int64_t>(count));
    json.end_object();
  }
  json.field("agent_refusals", static_cast<std::int64_t>(m.agent_refusals));
  for (const auto& [name, groups] : {std::pair<std::string_view, const std::map<std::string, MeasureGroup>*>{"by_type", &m.by_type},
                                     {"by_zone", &m.by_zone},
                                     {"by_community", &m.by_community}}) {
    json.key(name).begin_object();
    for (const auto& [key, group] : *groups) {
      json.key(key);
      write_group(json, group);
    }
    json.end_object();
  }
  json.end_object();
  return out;
}

MeasuresSummary summarize(const HandlingMeasures& m) {
  MeasuresSummary summary;
  summary.incidents = m.overall.incidents;
  summary.auto_handling_rate = m.overall.auto_handling_rate();
  summary.manual_rate = m.overall.manual_rate();
  summary.mean_handling_ms = m.overall.mean_handling_ms();
  if (const auto p90 = m.overall.p90_handling_ms()) summary.p90_handling_ms = static_cast<double>(*p90);
  summary.loss_rate = m.loss_rate();
  summary.precision = m.overall.precision();
  for (std::size_t s = 0; s < kSeverityCount; ++s) summary.sla_attainment[s] = m.overall.sla_attainment(static_cast<Severity>(s));
  return summary;
}

std::string measures_table(const HandlingMeasures& m) { return measures_table(summarize(m)); }

std::string measures_table(const MeasuresSummary& m) {
  const auto minutes = [](std::optional<double> ms) { return ms ? fmt::format("{:.1f} min", *ms / 60000.0) : "-"; };
  const auto verdict = [](std::optional<double> value, double goal, bool at_least) -> std::string {
    if (!value) return "";
    return (at_least ? *value >= goal : *value <= goal) ? "met" : "NOT met";
  };
  const auto sla = [&](Severity severity) { return m.sla_attainment[static_cast<std::size_t>(severity)]; };
  std::string out = fmt::format("{:<30} {:>12} {:>12}  {}\n", "measure", "value", "target", "");
  const auto row = [&](std::string_view name, std::string value, std::string goal, std::string met) {
    out += fmt::format("{:<30} {:>12} {:>12}  {}\n", name, value, goal, met);
  };
  row("incidents", std::to_string(m.incidents), "", "");
  row("auto-handling rate", percent(m.auto_handling_rate), ">= 85%", verdict(m.auto_handling_rate, kTargetAutoRate, true));
  row("manual intervention rate", percent(m.manual_rate), "<= 5%", verdict(m.manual_rate, kTargetManualRate, false));
  row("mean handling time", minutes(m.mean_handling_ms), "<= 15 min", verdict(m.mean_handling_ms, kTargetMeanHandlingMs, false));
  row("p90 handling time", minutes(m.p90_handling_ms), "", "");
  row("loss rate", m.loss_rate ? fmt::format("{:.3f}%", *m.loss_rate * 100) : "-", "<= 0.3%", verdict(m.loss_rate, kTargetLossRate, false));
  row("high: first action <= 1 min", percent(sla(Severity::kHigh)), "100%", verdict(sla(Severity::kHigh), kTargetHighSla, true));
  row("medium: first action <= 5 min", percent(sla(Severity::kMedium)), "", "");
  row("low: first action <= 30 min", percent(sla(Severity::kLow)), "", "");
  row("precision (people's review)", percent(m.precision), "", "");
  return out;
}

}  // namespace og
