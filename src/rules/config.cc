#include "rules/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

#include <toml++/toml.h>

#include "core/hash.h"

namespace og {
namespace {

constexpr std::uint32_t bit(auto value) { return 1u << static_cast<unsigned>(value); }

constexpr std::array<std::pair<std::string_view, OrderKind>, kOrderKindCount> kOrderKindNames = {
    {{"grocery", OrderKind::kGrocery}, {"errand", OrderKind::kErrand}, {"mall", OrderKind::kMall}}};
constexpr std::array<std::pair<std::string_view, ComplaintKind>, 6> kComplaintKindNames = {
    {{"damaged", ComplaintKind::kDamaged}, {"quality", ComplaintKind::kQuality},
     {"wrong_item", ComplaintKind::kWrongItem}, {"missing_item", ComplaintKind::kMissingItem},
     {"expired", ComplaintKind::kExpired}, {"other", ComplaintKind::kOther}}};

enum class Kind { kBool, kInt, kNumber, kDuration, kSeverity, kOrderKinds, kComplaintKinds };

// One settable key. `at` returns the field inside a RulesConfig; its C++ type follows `kind`:
// bool, int64, double, DurationMs (int64), Severity, uint32 bit set.
struct Param {
  std::string key;
  Kind kind;
  std::function<void*(RulesConfig&)> at;
  double min = 0;
  double max = 0;
  std::string_view help;
};

template <typename T>
T& field(const Param& param, RulesConfig& config) {
  return *static_cast<T*>(param.at(config));
}

template <typename Names>
std::string bits_to_toml(std::uint32_t bits, const Names& names) {
  std::string out = "[";
  for (const auto& [name, value] : names) {
    if (bits & bit(value)) {
      if (out.size() > 1) out += ", ";
      out += "\"" + std::string(name) + "\"";
    }
  }
  return out + "]";
}

std::string format_number(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string value_to_toml(const Param& param, const RulesConfig& config) {
  auto& mutable_config = const_cast<RulesConfig&>(config);  // `at` is shared by reads and writes
  switch (param.kind) {
    case Kind::kBool: return field<bool>(param, mutable_config) ? "true" : "false";
    case Kind::kInt: return std::to_string(field<std::int64_t>(param, mutable_config));
    case Kind::kNumber: return format_number(field<double>(param, mutable_config));
    case Kind::kDuration: return "\"" + format_duration(field<DurationMs>(param, mutable_config)) + "\"";
    case Kind::kSeverity: return "\"" + std::string(severity_name(field<Severity>(param, mutable_config))) + "\"";
    case Kind::kOrderKinds: return bits_to_toml(field<std::uint32_t>(param, mutable_config), kOrderKindNames);
    case Kind::kComplaintKinds: return bits_to_toml(field<std::uint32_t>(param, mutable_config), kComplaintKindNames);
  }
  return {};
}

std::vector<Param> build_registry() {
  std::vector<Param> params;
  const auto add = [&](std::string key, Kind kind, std::function<void*(RulesConfig&)> at, double min = 0,
                       double max = 0) { params.push_back(Param{std::move(key), kind, std::move(at), min, max, {}}); };
  const double kWeek = 7.0 * 24 * kHourMs;
  const double kMoney = 1e12;

  add("engine.max_out_of_orderness", Kind::kDuration, [](RulesConfig& c) { return &c.max_out_of_orderness_ms; }, 0, kHourMs);
  add("engine.high_value_amount", Kind::kInt, [](RulesConfig& c) { return &c.high_value_amount; }, 0, kMoney);
  add("engine.dedupe_max_ids", Kind::kInt, [](RulesConfig& c) { return &c.dedupe_max_ids; }, 2, 4e9);
  add("engine.max_time_jump", Kind::kDuration, [](RulesConfig& c) { return &c.max_time_jump_ms; }, kHourMs, 100 * 366 * 24.0 * kHourMs);
  add("handling.enabled", Kind::kBool, [](RulesConfig& c) { return &c.handling_enabled; });
  for (std::size_t s = 0; s < kSeverityCount; ++s) {
    add("sla." + std::string(severity_name(static_cast<Severity>(s))), Kind::kDuration,
        [s](RulesConfig& c) { return &c.sla_ms[s]; }, kSecondMs, kWeek);
  }
  const auto type_key = [](IncidentType type, std::string_view name) {
    return "types." + std::string(incident_type_name(type)) + "." + std::string(name);
  };
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) {
    const auto type = static_cast<IncidentType>(t);
    add(type_key(type, "enabled"), Kind::kBool, [t](RulesConfig& c) { return &c.types[t].enabled; });
    add(type_key(type, "severity"), Kind::kSeverity, [t](RulesConfig& c) { return &c.types[t].severity; });
    switch (type) {
      case IncidentType::kPaymentTimeout:
        add(type_key(type, "timeout"), Kind::kDuration, [](RulesConfig& c) { return &c.payment_timeout_ms; }, kSecondMs, kWeek);
        break;
      case IncidentType::kPaidNoOrder:
        add(type_key(type, "timeout"), Kind::kDuration, [](RulesConfig& c) { return &c.paid_no_order_timeout_ms; }, kSecondMs, kWeek);
        break;
      case IncidentType::kRefundFailed:
        add(type_key(type, "timeout"), Kind::kDuration, [](RulesConfig& c) { return &c.refund_timeout_ms; }, kSecondMs, 4 * kWeek);
        break;
      case IncidentType::kStockNotReleased:
        add(type_key(type, "timeout"), Kind::kDuration, [](RulesConfig& c) { return &c.stock_release_timeout_ms; }, kSecondMs, kWeek);
        break;
      case IncidentType::kOutOfStock:
        add(type_key(type, "severity_unpaid"), Kind::kSeverity, [](RulesConfig& c) { return &c.out_of_stock_unpaid_severity; });
        break;
      case IncidentType::kLowStock:
        add(type_key(type, "default_reorder_point"), Kind::kInt, [](RulesConfig& c) { return &c.default_reorder_point; }, 0, 1e9);
        break;
      case IncidentType::kExpiringProduct:
        add(type_key(type, "min_shelf_life"), Kind::kDuration, [](RulesConfig& c) { return &c.min_shelf_life_ms; }, 0, 365 * 24.0 * kHourMs);
        break;
      case IncidentType::kDamagedGoods:
        add(type_key(type, "complaint_kinds"), Kind::kComplaintKinds, [](RulesConfig& c) { return &c.damaged_complaint_kinds; });
        break;
      case IncidentType::kWrongOrMissingItem:
        add(type_key(type, "complaint_kinds"), Kind::kComplaintKinds, [](RulesConfig& c) { return &c.wrong_item_complaint_kinds; });
        break;
      case IncidentType::kOrderStuck:
        add(type_key(type, "slot_lead"), Kind::kDuration, [](RulesConfig& c) { return &c.slot_lead_ms; }, 0, kWeek);
        break;
      case IncidentType::kRiderStalled:
        add(type_key(type, "timeout"), Kind::kDuration, [](RulesConfig& c) { return &c.stall_timeout_ms; }, kSecondMs, kWeek);
        add(type_key(type, "min_move_m"), Kind::kNumber, [](RulesConfig& c) { return &c.stall_min_move_m; }, 0, 100000);
        add(type_key(type, "order_kinds"), Kind::kOrderKinds, [](RulesConfig& c) { return &c.stall_order_kinds; });
        break;
      case IncidentType::kDeliveryLateRisk:
        add(type_key(type, "speed_mps"), Kind::kNumber, [](RulesConfig& c) { return &c.late_risk_speed_mps; }, 0.1, 100);
        add(type_key(type, "factor"), Kind::kNumber, [](RulesConfig& c) { return &c.late_risk_factor; }, 0.1, 10);
        add(type_key(type, "order_kinds"), Kind::kOrderKinds, [](RulesConfig& c) { return &c.late_risk_order_kinds; });
        break;
      case IncidentType::kDeliveryLate:
        add(type_key(type, "grace"), Kind::kDuration, [](RulesConfig& c) { return &c.delivery_late_grace_ms; }, 0, kWeek);
        break;
      case IncidentType::kFrequentCancellation:
        add(type_key(type, "count"), Kind::kInt, [](RulesConfig& c) { return &c.frequent_cancellation_count; }, 1, 1000);
        add(type_key(type, "window"), Kind::kDuration, [](RulesConfig& c) { return &c.frequent_cancellation_window_ms; }, kSecondMs, 4 * kWeek);
        break;
      case IncidentType::kDuplicateUnpaidOrders:
        add(type_key(type, "others"), Kind::kInt, [](RulesConfig& c) { return &c.duplicate_unpaid_others; }, 1, 1000);
        add(type_key(type, "window"), Kind::kDuration, [](RulesConfig& c) { return &c.duplicate_unpaid_window_ms; }, kSecondMs, kWeek);
        break;
      case IncidentType::kAmountAnomaly:
        add(type_key(type, "min_orders"), Kind::kInt, [](RulesConfig& c) { return &c.anomaly_min_orders; }, 1, 1000);
        add(type_key(type, "history"), Kind::kInt, [](RulesConfig& c) { return &c.anomaly_history; }, 1, 1000);
        add(type_key(type, "multiple"), Kind::kNumber, [](RulesConfig& c) { return &c.anomaly_multiple; }, 1, 1000);
        add(type_key(type, "min_excess"), Kind::kInt, [](RulesConfig& c) { return &c.anomaly_min_excess; }, 0, kMoney);
        break;
      case IncidentType::kNegativeReview:
        add(type_key(type, "max_score"), Kind::kInt, [](RulesConfig& c) { return &c.negative_review_max_score; }, 1, 5);
        break;
      case IncidentType::kRiderFrequentCancel:
        add(type_key(type, "count"), Kind::kInt, [](RulesConfig& c) { return &c.rider_cancel_count; }, 1, 1000);
        add(type_key(type, "window"), Kind::kDuration, [](RulesConfig& c) { return &c.rider_cancel_window_ms; }, kSecondMs, 4 * kWeek);
        break;
      case IncidentType::kCommunityHotspot:
        add(type_key(type, "count"), Kind::kInt, [](RulesConfig& c) { return &c.hotspot_count; }, 1, 100000);
        add(type_key(type, "window"), Kind::kDuration, [](RulesConfig& c) { return &c.hotspot_window_ms; }, kSecondMs, kWeek);
        break;
      default:
        break;
    }
  }
  for (const auto& [kind_name, kind] : kOrderKindNames) {
    for (std::size_t s = 0; s < kStageCount; ++s) {
      const auto k = static_cast<std::size_t>(kind);
      add("stages." + std::string(kind_name) + "." + std::string(stage_name(static_cast<Stage>(s))), Kind::kDuration,
          [k, s](RulesConfig& c) { return &c.stages[k].limit_ms[s]; }, 0, 30 * 24.0 * kHourMs);
    }
  }
  return params;
}

const std::vector<Param>& registry() {
  static const std::vector<Param> params = build_registry();
  return params;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion_for(std::string_view key) {
  std::string best;
  std::size_t best_distance = 4;  // farther than this is no suggestion at all
  for (const auto& param : registry()) {
    const std::size_t distance = edit_distance(key, param.key);
    if (distance < best_distance) {
      best_distance = distance;
      best = param.key;
    }
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

template <typename Names, typename Enum>
tl::expected<std::uint32_t, std::string> read_name_set(const toml::node& node, const Names& names) {
  const auto* array = node.as_array();
  std::string allowed;
  for (const auto& [name, value] : names) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  if (array == nullptr) return tl::unexpected("must be a list of names, from: " + allowed);
  std::uint32_t bits = 0;
  for (const auto& element : *array) {
    const auto text = element.value<std::string_view>();
    bool known = false;
    for (const auto& [name, value] : names) {
      if (text && *text == name) {
        bits |= bit(static_cast<Enum>(value));
        known = true;
      }
    }
    if (!known) return tl::unexpected("unknown name in the list; allowed: " + allowed);
  }
  return bits;
}

// Sets one parameter from its TOML node, or says what to write instead.
tl::expected<void, std::string> apply(const Param& param, const toml::node& node, RulesConfig& config) {
  const auto range_error = [&](auto value) {
    return tl::unexpected(fmt::format("{} is out of range ({} to {})", value, param.min, param.max));
  };
  switch (param.kind) {
    case Kind::kBool: {
      const auto value = node.value<bool>();
      if (!node.is_boolean() || !value) return tl::unexpected(std::string("must be true or false"));
      field<bool>(param, config) = *value;
      return {};
    }
    case Kind::kInt: {
      if (!node.is_integer()) return tl::unexpected(std::string("must be a whole number"));
      const auto value = *node.value<std::int64_t>();
      if (static_cast<double>(value) < param.min || static_cast<double>(value) > param.max) return range_error(value);
      field<std::int64_t>(param, config) = value;
      return {};
    }
    case Kind::kNumber: {
      if (!node.is_number()) return tl::unexpected(std::string("must be a number"));
      const double value = *node.value<double>();
      if (value < param.min || value > param.max) return range_error(value);
      field<double>(param, config) = value;
      return {};
    }
    case Kind::kDuration: {
      const auto text = node.value<std::string_view>();
      if (!node.is_string() || !text) return tl::unexpected(std::string("must be a duration string like \"15m\", \"90s\", \"24h\""));
      auto value = parse_duration_ms(*text);
      if (!value) return tl::unexpected(value.error());
      if (static_cast<double>(*value) < param.min || static_cast<double>(*value) > param.max) {
        return tl::unexpected(fmt::format("{} is out of range ({} to {})", *text,
                                          format_duration(static_cast<DurationMs>(param.min)),
                                          format_duration(static_cast<DurationMs>(param.max))));
      }
      field<DurationMs>(param, config) = *value;
      return {};
    }
    case Kind::kSeverity: {
      const auto text = node.value<std::string_view>();
      const auto severity = text ? severity_from_name(*text) : std::nullopt;
      if (!severity) return tl::unexpected(std::string("must be \"low\", \"medium\" or \"high\""));
      field<Severity>(param, config) = *severity;
      return {};
    }
    case Kind::kOrderKinds: {
      auto bits = read_name_set<decltype(kOrderKindNames), OrderKind>(node, kOrderKindNames);
      if (!bits) return tl::unexpected(bits.error());
      field<std::uint32_t>(param, config) = *bits;
      return {};
    }
    case Kind::kComplaintKinds: {
      auto bits = read_name_set<decltype(kComplaintKindNames), ComplaintKind>(node, kComplaintKindNames);
      if (!bits) return tl::unexpected(bits.error());
      field<std::uint32_t>(param, config) = *bits;
      return {};
    }
  }
  return {};
}

tl::expected<void, std::string> walk(const toml::table& table, const std::string& prefix, std::string_view source,
                                     RulesConfig& config) {
  for (const auto& [name, node] : table) {
    const std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    const auto line = node.source().begin.line;
    // Handling tables have their own reader (rules/playbook.cc).
    if (prefix.empty() && (key == "playbooks" || key == "policy" || key == "templates")) continue;
    if (const auto* child = node.as_table()) {
      if (auto result = walk(*child, key, source, config); !result) return result;
      continue;
    }
    const auto& params = registry();
    const auto param = std::find_if(params.begin(), params.end(), [&](const Param& p) { return p.key == key; });
    if (param == params.end()) {
      return tl::unexpected(fmt::format("{}:{}: {}: unknown setting{}", source, line, key, suggestion_for(key)));
    }
    if (auto result = apply(*param, node, config); !result) {
      return tl::unexpected(fmt::format("{}:{}: {}: {}", source, line, key, result.error()));
    }
  }
  return {};
}

}  // namespace

RulesConfig::RulesConfig() {
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) types[t].severity = default_severity(static_cast<IncidentType>(t));
  damaged_complaint_kinds = bit(ComplaintKind::kDamaged) | bit(ComplaintKind::kQuality) | bit(ComplaintKind::kExpired);
  wrong_item_complaint_kinds = bit(ComplaintKind::kWrongItem) | bit(ComplaintKind::kMissingItem);
  stall_order_kinds = bit(OrderKind::kGrocery) | bit(OrderKind::kErrand);
  late_risk_order_kinds = bit(OrderKind::kGrocery) | bit(OrderKind::kErrand);
  const auto set_stages = [&](OrderKind kind, std::array<DurationMs, kStageCount> limits) {
    stages[static_cast<std::size_t>(kind)].limit_ms = limits;
  };
  set_stages(OrderKind::kGrocery, {5 * kMinuteMs, 20 * kMinuteMs, 20 * kMinuteMs, 10 * kMinuteMs, 15 * kMinuteMs});
  set_stages(OrderKind::kMall, {30 * kMinuteMs, 24 * kHourMs, 24 * kHourMs, 24 * kHourMs, 24 * kHourMs});
  set_stages(OrderKind::kErrand, {0, 0, 0, 10 * kMinuteMs, 15 * kMinuteMs});
}

tl::expected<RulesConfig, std::string> load_rules(std::string_view toml_text, std::string_view source_name) {
  RulesConfig config;
  toml::table table;
  try {
    table = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    return tl::unexpected(fmt::format("{}:{}: not valid TOML: {}", source_name, error.source().begin.line,
                                      error.description()));
  }
  if (auto result = walk(table, "", source_name, config); !result) return tl::unexpected(result.error());
  if (table.contains("playbooks") || table.contains("policy") || table.contains("templates")) {
    auto handling = load_handling(toml_text, source_name, *config.handling);
    if (!handling) return tl::unexpected(handling.error());
    config.handling = std::make_shared<const HandlingConfig>(std::move(*handling));
  }
  return config;
}

tl::expected<std::string, std::string> read_rules_text(const std::string& path) {
  std::error_code error;
  // A directory opens, and reads as nothing: it would have been a valid file of defaults.
  if (std::filesystem::is_directory(path, error)) return tl::unexpected(path + ": is a directory; name the rules file");
  // stdio, not a stream: `text << file.rdbuf()` swallows a read error (it sets failbit on
  // the copy, as an empty file does), and a file cut short would read as fewer rules.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return tl::unexpected(path + ": cannot open the rules file (" + std::strerror(errno) + ")");
  std::string text;
  char block[1 << 16];
  while (const std::size_t got = std::fread(block, 1, sizeof block, file.get())) text.append(block, got);
  if (std::ferror(file.get()) != 0) return tl::unexpected(path + ": cannot read the rules file (" + std::strerror(errno) + ")");
  return text;
}

tl::expected<RulesConfig, std::string> load_rules_file(const std::string& path) {
  auto text = read_rules_text(path);
  if (!text) return tl::unexpected(text.error());
  return load_rules(*text, path);
}

std::vector<ConfigChange> diff_rules(const RulesConfig& before, const RulesConfig& after) {
  std::vector<ConfigChange> changes;
  for (const auto& param : registry()) {
    std::string from = value_to_toml(param, before);
    std::string to = value_to_toml(param, after);
    if (from != to) changes.push_back(ConfigChange{param.key, std::move(from), std::move(to)});
  }
  const HandlingConfig& was = *before.handling;
  const HandlingConfig& now = *after.handling;
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) {
    const auto type = static_cast<IncidentType>(t);
    if (was.playbooks[t] == now.playbooks[t]) continue;
    changes.push_back(ConfigChange{"playbooks." + std::string(incident_type_name(type)),
                                   fmt::format("{} steps", was.playbooks[t].steps.size()),
                                   fmt::format("{} steps", now.playbooks[t].steps.size())});
  }
  if (!(was.policies == now.policies)) {
    changes.push_back(ConfigChange{"policy", policies_to_toml(was.policies), policies_to_toml(now.policies)});
  }
  for (const auto& [name, text] : now.templates) {
    const auto it = was.templates.find(name);
    if (it == was.templates.end() || !(it->second == text)) {
      changes.push_back(ConfigChange{"templates." + name, it == was.templates.end() ? "" : it->second.zh, text.zh});
    }
  }
  return changes;
}

std::string rules_to_toml(const RulesConfig& config) {
  std::string out;
  for (const auto& param : registry()) out += param.key + " = " + value_to_toml(param, config) + "\n";
  out += "\n" + policies_to_toml(config.handling->policies);
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) {
    out += "\n" + playbook_to_toml(static_cast<IncidentType>(t), config.handling->playbooks[t]);
  }
  out += "\n" + templates_to_toml(*config.handling);
  return out;
}

std::string rules_version(const RulesConfig& config) {
  return fmt::format("{:016x}", hash64(rules_to_toml(config)));
}

}  // namespace og
