// rules/config: every detection parameter and per-type switch, with the defaults of
// docs/spec/INCIDENTS.md in one place (RulesConfig's initialisers; config/orderguard.toml
// repeats them, commented, for operators).
// Loading is table-driven: every settable key is registered once with its kind and range,
// so the validator can name the bad key and its line, and `rules check` can say what a file
// changes. Depends on: rules/incident_type, core. toml++ stays inside config.cc.
#pragma once

#include <array>
#include <memory>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "core/time.h"
#include "events/event.h"
#include "rules/incident_type.h"
#include "rules/playbook.h"

namespace og {

inline constexpr std::size_t kOrderKindCount = 3;  // grocery, errand, mall

struct TypeSwitch {
  bool enabled = true;
  Severity severity = Severity::kLow;
};

// A stage limit of 0 means the kind does not have that stage.
struct StageLimits {
  std::array<DurationMs, kStageCount> limit_ms{};
};

struct RulesConfig {
  RulesConfig();

  // [engine]
  DurationMs max_out_of_orderness_ms = 10 * kSecondMs;
  std::int64_t high_value_amount = 100000;
  // Event ids remembered for dedupe: the most recent half of this always, at most all of it
  // (16 to 32 bytes each).
  std::int64_t dedupe_max_ids = 50'000'000;
  // An event more than this after the newest event time is refused, not applied: one wrong
  // clock or a mistyped epoch (year 2528) would otherwise move time for good, and every open
  // order would time out at once (decisions #58).
  DurationMs max_time_jump_ms = 366 * 24 * kHourMs;

  // [sla] first-handling-action deadlines by severity (low, medium, high)
  std::array<DurationMs, kSeverityCount> sla_ms = {30 * kMinuteMs, 5 * kMinuteMs, 1 * kMinuteMs};

  std::array<TypeSwitch, kIncidentTypeCount> types{};

  // [handling] Automatic handling and people. Off: detection only (a shadow run).
  bool handling_enabled = true;
  // Playbooks, policies and templates ([playbooks.*], [policy], [templates.*]). Shared and
  // immutable: an open incident keeps the version that opened it.
  std::shared_ptr<const HandlingConfig> handling = default_handling();

  DurationMs payment_timeout_ms = 15 * kMinuteMs;
  DurationMs paid_no_order_timeout_ms = 2 * kMinuteMs;
  DurationMs refund_timeout_ms = 24 * kHourMs;
  DurationMs stock_release_timeout_ms = 5 * kMinuteMs;
  Severity out_of_stock_unpaid_severity = Severity::kMedium;
  std::int64_t default_reorder_point = 10;
  DurationMs min_shelf_life_ms = 48 * kHourMs;
  std::uint32_t damaged_complaint_kinds = 0;  // bit per ComplaintKind
  std::uint32_t wrong_item_complaint_kinds = 0;
  DurationMs slot_lead_ms = 45 * kMinuteMs;
  std::array<StageLimits, kOrderKindCount> stages{};  // by OrderKind
  DurationMs stall_timeout_ms = 10 * kMinuteMs;
  double stall_min_move_m = 50;
  std::uint32_t stall_order_kinds = 0;  // bit per OrderKind
  double late_risk_speed_mps = 4.2;
  double late_risk_factor = 1.3;
  std::uint32_t late_risk_order_kinds = 0;
  DurationMs delivery_late_grace_ms = 5 * kMinuteMs;
  std::int64_t frequent_cancellation_count = 3;
  DurationMs frequent_cancellation_window_ms = 24 * kHourMs;
  std::int64_t duplicate_unpaid_others = 2;
  DurationMs duplicate_unpaid_window_ms = 10 * kMinuteMs;
  std::int64_t anomaly_min_orders = 5;
  std::int64_t anomaly_history = 50;
  double anomaly_multiple = 5;
  std::int64_t anomaly_min_excess = 20000;
  std::int64_t negative_review_max_score = 2;
  std::int64_t rider_cancel_count = 3;
  DurationMs rider_cancel_window_ms = 24 * kHourMs;
  std::int64_t hotspot_count = 5;
  DurationMs hotspot_window_ms = 60 * kMinuteMs;

  const TypeSwitch& type(IncidentType t) const { return types[static_cast<std::size_t>(t)]; }
  bool enabled(IncidentType t) const { return type(t).enabled; }
  DurationMs stage_limit_ms(OrderKind kind, Stage stage) const {
    return stages[static_cast<std::size_t>(kind)].limit_ms[static_cast<std::size_t>(stage)];
  }
  DurationMs sla_for(Severity severity) const { return sla_ms[static_cast<std::size_t>(severity)]; }
};

// One setting that differs between two configurations, for `rules check` and the audit trail.
struct ConfigChange {
  std::string key;
  std::string from;
  std::string to;
};

// Parses TOML text over the defaults. The error names the source, line, key and the fix:
// "rules.toml:12: types.PAYMENT_TIMEOUT.timeout: not a duration: ...".
tl::expected<RulesConfig, std::string> load_rules(std::string_view toml_text, std::string_view source_name);
tl::expected<RulesConfig, std::string> load_rules_file(const std::string& path);
// The text of a rules file, or why it cannot be read ("PATH: is a directory; ...").
tl::expected<std::string, std::string> read_rules_text(const std::string& path);

std::vector<ConfigChange> diff_rules(const RulesConfig& before, const RulesConfig& after);

// The whole configuration as TOML, every key, in registry order (what `GET /v1/rules` serves).
std::string rules_to_toml(const RulesConfig& config);

// A short stable fingerprint of the effective configuration (its canonical TOML).
std::string rules_version(const RulesConfig& config);

}  // namespace og
