#include "rules/playbook.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace og {

extern const char* const kDefaultPlaybooksToml;  // generated from config/playbooks.toml

namespace {

constexpr std::array<std::string_view, kStepActionCount> kActionNames = {
    "payment.retry", "order.cancel",      "order.recreate", "stock.release", "order.substitute", "refund.issue",
    "coupon.issue",  "rider.reassign",    "picking.redo",   "replenish.request", "pickup.offer", "user.restrict",
    "rider.warn",    "zone.alert",        "notify",         "wait",          "escalate",         "resolve"};

constexpr std::array<std::string_view, static_cast<std::size_t>(AmountRule::kCount)> kAmountNames = {
    "",        "paid",    "overpaid", "duplicate",        "refund",   "short",
    "missing", "affected", "damaged", "price_difference", "lateness", "coupon"};

constexpr std::array<std::string_view, kConditionCount> kConditionNames = {
    "overpaid",        "underpaid",       "before_pickup",  "after_pickup",    "refund_within_cap", "coupon_within_cap",
    "pref_substitute", "pref_contact",    "pref_refund",    "has_substitute",  "offer_accepted",    "rider_available",
    "missing_items",   "wrong_items",     "wrong_address",  "has_pickup_point", "has_known_address",
    "order_paid",      "order_cancelled",  "price_above_catalog"};

// Types whose own detection parameter a timeout may name as "T".
bool has_type_parameter(IncidentType type) {
  switch (type) {
    case IncidentType::kPaymentTimeout:
    case IncidentType::kPaidNoOrder:
    case IncidentType::kOrderStuck:
    case IncidentType::kRiderNotAssigned:
    case IncidentType::kRiderCancelled:
    case IncidentType::kRiderStalled:
      return true;
    default:
      return false;
  }
}

template <std::size_t N>
std::string list_of(const std::array<std::string_view, N>& names) {
  std::string out;
  for (const auto name : names) {
    if (name.empty()) continue;
    out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return out;
}

template <std::size_t N>
std::optional<std::size_t> index_of(const std::array<std::string_view, N>& names, std::string_view name) {
  if (name.empty()) return std::nullopt;
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<std::size_t>(it - names.begin());
}

// Reading one table, with errors that carry the source, line and full key.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  template <typename... Args>
  tl::unexpected<std::string> fail(const toml::node& node, const std::string& key, fmt::format_string<Args...> what,
                                   Args&&... args) const {
    return tl::unexpected(fmt::format("{}:{}: {}: {}", source_, node.source().begin.line, key,
                                      fmt::format(what, std::forward<Args>(args)...)));
  }

  tl::expected<std::string, std::string> text(const toml::node& node, const std::string& key, std::size_t max = 2000) const {
    const auto value = node.value<std::string>();
    if (!node.is_string() || !value) return fail(node, key, "must be a string");
    if (value->size() > max) return fail(node, key, "longer than {} bytes", max);
    return *value;
  }

  tl::expected<DurationMs, std::string> duration(const toml::node& node, const std::string& key) const {
    auto text_value = text(node, key, 32);
    if (!text_value) return fail(node, key, "must be a duration string like \"15m\", \"90s\", \"24h\"");
    auto value = parse_duration_ms(*text_value);
    if (!value) return fail(node, key, "{}", value.error());
    if (*value < 0 || *value > 30 * 24 * kHourMs) return fail(node, key, "{} is out of range (0s to 30d)", *text_value);
    return *value;
  }

  tl::expected<std::int64_t, std::string> integer(const toml::node& node, const std::string& key, std::int64_t min,
                                                  std::int64_t max) const {
    if (!node.is_integer()) return fail(node, key, "must be a whole number");
    const auto value = *node.value<std::int64_t>();
    if (value < min || value > max) return fail(node, key, "{} is out of range ({} to {})", value, min, max);
    return value;
  }

  tl::expected<double, std::string> number(const toml::node& node, const std::string& key, double min, double max) const {
    if (!node.is_number()) return fail(node, key, "must be a number");
    const double value = *node.value<double>();
    if (!(value >= min && value <= max)) return fail(node, key, "{} is out of range ({} to {})", value, min, max);
    return value;
  }

  tl::expected<std::vector<std::string>, std::string> strings(const toml::node& node, const std::string& key) const {
    const auto* array = node.as_array();
    if (array == nullptr) return fail(node, key, "must be a list of strings");
    std::vector<std::string> out;
    for (const auto& element : *array) {
      auto value = text(element, key, 128);
      if (!value) return tl::unexpected(value.error());
      out.push_back(std::move(*value));
    }
    return out;
  }

  tl::expected<std::uint32_t, std::string> conditions(const toml::node& node, const std::string& key) const {
    auto names = strings(node, key);
    if (!names) return tl::unexpected(names.error());
    std::uint32_t bits = 0;
    for (const auto& name : *names) {
      const auto index = index_of(kConditionNames, name);
      if (!index) return fail(node, key, "unknown condition \"{}\"; allowed: {}", name, list_of(kConditionNames));
      bits |= 1u << *index;
    }
    return bits;
  }

  tl::expected<std::vector<EventType>, std::string> events(const toml::node& node, const std::string& key) const {
    auto names = strings(node, key);
    if (!names) return tl::unexpected(names.error());
    std::vector<EventType> out;
    for (const auto& name : *names) {
      const auto type = event_type_from_name(name);
      if (!type || !event_type_needs_order(*type)) {
        return fail(node, key, "\"{}\" is not an order event type (see docs/spec/EVENTS.md)", name);
      }
      out.push_back(*type);
    }
    return out;
  }

 private:
  std::string_view source_;
};

// A target naming a step, resolved once every step is known (a target may point forward).
struct PendingTarget {
  std::string name;
  const toml::node* node;
  std::string key;
  std::size_t step;  // whose target it is
  bool on_success;   // which of its two
};

tl::expected<void, std::string> read_target(const Reader& reader, const toml::node& node, const std::string& key,
                                            std::size_t step, bool on_success, StepTarget& target,
                                            std::vector<PendingTarget>& pending) {
  auto name = reader.text(node, key, 128);
  if (!name) return tl::unexpected(name.error());
  if (*name == "next") {
    target = {StepTarget::Kind::kNext, 0};
  } else if (*name == "done") {
    target = {StepTarget::Kind::kDone, 0};
  } else if (*name == "escalate") {
    target = {StepTarget::Kind::kEscalate, 0};
  } else {
    pending.push_back(PendingTarget{*name, &node, key, step, on_success});
  }
  return {};
}

tl::expected<Step, std::string> read_step(const Reader& reader, const toml::table& table, const std::string& prefix,
                                          std::size_t position, IncidentType type, std::vector<PendingTarget>& pending) {
  Step step;
  bool has_action = false;
  for (const auto& [name_key, node] : table) {
    const std::string name(name_key.str());
    const std::string key = prefix + "." + name;
    tl::expected<void, std::string> ok;
    if (name == "name") {
      auto value = reader.text(node, key, 64);
      if (!value) return tl::unexpected(value.error());
      step.name = *value;
    } else if (name == "do") {
      auto value = reader.text(node, key, 64);
      if (!value) return tl::unexpected(value.error());
      const auto action = step_action_from_name(*value);
      if (!action) return reader.fail(node, key, "unknown action \"{}\"; allowed: {}", *value, list_of(kActionNames));
      step.action = *action;
      has_action = true;
    } else if (name == "when" || name == "unless") {
      auto bits = reader.conditions(node, key);
      if (!bits) return tl::unexpected(bits.error());
      (name == "when" ? step.when : step.unless) = *bits;
    } else if (name == "delay") {
      auto value = reader.duration(node, key);
      if (!value) return tl::unexpected(value.error());
      step.delay_ms = *value;
    } else if (name == "amount") {
      auto value = reader.text(node, key, 64);
      if (!value) return tl::unexpected(value.error());
      const auto index = index_of(kAmountNames, *value);
      if (!index) return reader.fail(node, key, "unknown amount rule \"{}\"; allowed: {}", *value, list_of(kAmountNames));
      step.amount = static_cast<AmountRule>(*index);
    } else if (name == "to") {
      auto value = reader.text(node, key, 32);
      if (!value) return tl::unexpected(value.error());
      if (*value != "customer" && *value != "rider" && *value != "operations" && *value != "agent") {
        return reader.fail(node, key, "must be \"customer\", \"rider\", \"operations\" or \"agent\"");
      }
      step.to = *value;
    } else if (name == "channel") {
      auto value = reader.text(node, key, 32);
      if (!value) return tl::unexpected(value.error());
      if (*value != "app" && *value != "sms" && *value != "phone") return reader.fail(node, key, "must be \"app\", \"sms\" or \"phone\"");
      step.channel = *value;
    } else if (name == "template") {
      auto value = reader.text(node, key, 64);
      if (!value) return tl::unexpected(value.error());
      step.template_name = *value;
    } else if (name == "reason") {
      auto value = reader.text(node, key, 128);
      if (!value) return tl::unexpected(value.error());
      step.reason = *value;
    } else if (name == "await" || name == "fail_on") {
      auto value = reader.events(node, key);
      if (!value) return tl::unexpected(value.error());
      (name == "await" ? step.await : step.fail_on) = std::move(*value);
    } else if (name == "timeout") {
      if (node.value<std::string_view>() == "T") {
        if (!has_type_parameter(type)) {
          return reader.fail(node, key, "\"T\" names the type's own detection parameter, which {} does not have; give a duration",
                             incident_type_name(type));
        }
        step.timeout_ms = kTypeParameter;
      } else {
        auto value = reader.duration(node, key);
        if (!value) return tl::unexpected(value.error());
        step.timeout_ms = *value;
      }
    } else if (name == "attempts") {
      auto value = reader.integer(node, key, 1, 20);
      if (!value) return tl::unexpected(value.error());
      step.attempts = static_cast<int>(*value);
    } else if (name == "interval") {
      auto value = reader.duration(node, key);
      if (!value) return tl::unexpected(value.error());
      step.interval_ms = *value;
    } else if (name == "backoff") {
      auto value = reader.number(node, key, 1.0, 10.0);
      if (!value) return tl::unexpected(value.error());
      step.backoff = *value;
    } else if (name == "interval_by_code") {
      const auto* codes = node.as_table();
      if (codes == nullptr) return reader.fail(node, key, "must be a table of failure code = duration");
      for (const auto& [code, interval] : *codes) {
        auto value = reader.duration(interval, key + "." + std::string(code.str()));
        if (!value) return tl::unexpected(value.error());
        step.interval_by_code.push_back(CodeInterval{std::string(code.str()), *value});
      }
    } else if (name == "stop_codes") {
      auto value = reader.strings(node, key);
      if (!value) return tl::unexpected(value.error());
      step.stop_codes = std::move(*value);
    } else if (name == "on_success" || name == "on_failure") {
      const bool success = name == "on_success";
      ok = read_target(reader, node, key, position, success, success ? step.on_success : step.on_failure, pending);
    } else {
      return reader.fail(node, key,
                         "unknown step key; allowed: name, do, when, unless, delay, amount, to, channel, template, "
                         "reason, await, fail_on, timeout, attempts, interval, backoff, interval_by_code, "
                         "stop_codes, on_success, on_failure");
    }
    if (!ok) return tl::unexpected(ok.error());
  }
  if (!has_action) return reader.fail(table, prefix, "every step needs `do` (a command, \"wait\", \"escalate\" or \"resolve\")");
  if (step.action == StepAction::kNotify && (step.to.empty() || step.channel.empty() || step.template_name.empty())) {
    return reader.fail(table, prefix, "a notify step needs `to`, `channel` and `template`");
  }
  if (step.attempts > 1 && step.interval_ms == 0) return reader.fail(table, prefix, "`attempts` above 1 needs an `interval`");
  if (step.attempts > 1 && step.await.empty() && step.fail_on.empty()) {
    return reader.fail(table, prefix, "retries need `await` or `fail_on`: without proof every attempt succeeds");
  }
  return step;
}

tl::expected<Playbook, std::string> read_playbook(const Reader& reader, const toml::node& node, const std::string& prefix,
                                                  IncidentType type) {
  const auto* table = node.as_table();
  if (table == nullptr) return reader.fail(node, prefix, "must be a table with `steps`");
  Playbook playbook;
  for (const auto& [name, child] : *table) {
    if (name.str() != "steps") return reader.fail(child, prefix + "." + std::string(name.str()), "unknown key; a playbook has only `steps`");
  }
  const auto* steps = table->get_as<toml::array>("steps");
  if (steps == nullptr) return reader.fail(node, prefix + ".steps", "missing: write the steps as [[{}.steps]] tables", prefix);
  if (steps->size() > 32) return reader.fail(node, prefix + ".steps", "at most 32 steps");
  std::vector<PendingTarget> pending;
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const std::string key = fmt::format("{}.steps[{}]", prefix, i);
    const auto* step_table = (*steps)[i].as_table();
    if (step_table == nullptr) return reader.fail((*steps)[i], key, "must be a table");
    auto step = read_step(reader, *step_table, key, i, type, pending);
    if (!step) return tl::unexpected(step.error());
    if (step->name.empty()) step->name = fmt::format("step{}", i + 1);
    playbook.steps.push_back(std::move(*step));
  }
  for (std::size_t i = 0; i < playbook.steps.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (playbook.steps[i].name == playbook.steps[j].name) {
        return reader.fail((*steps)[i], fmt::format("{}.steps[{}].name", prefix, i), "\"{}\" names two steps", playbook.steps[i].name);
      }
    }
  }
  // Step names resolve once every step is known (a target may point forward).
  for (const PendingTarget& target : pending) {
    const auto it = std::find_if(playbook.steps.begin(), playbook.steps.end(), [&](const Step& s) { return s.name == target.name; });
    if (it == playbook.steps.end()) {
      return reader.fail(*target.node, target.key, "\"{}\" is neither next, done, escalate nor a step of this playbook", target.name);
    }
    Step& owner = playbook.steps[target.step];
    (target.on_success ? owner.on_success : owner.on_failure) = StepTarget{StepTarget::Kind::kStep, static_cast<std::uint16_t>(it - playbook.steps.begin())};
  }
  return playbook;
}

constexpr std::array<std::string_view, kRateCapCount> kRateCapNames = {"refund", "coupon", "sms", "phone", "sms_per_user",
                                                                       "phone_per_user"};

bool caps_money(RateCapKind kind) { return kind == RateCapKind::kRefund || kind == RateCapKind::kCoupon; }

// [policy.rate_caps]: refund = { count = 2000, amount = 20000000, window = "1h" } ... A cap
// given replaces the default cap of that kind whole.
tl::expected<void, std::string> read_rate_caps(const Reader& reader, const toml::node& node,
                                               std::array<RateCap, kRateCapCount>& caps) {
  const auto* table = node.as_table();
  if (table == nullptr) return reader.fail(node, "policy.rate_caps", "must be a table of caps by kind ({})", list_of(kRateCapNames));
  for (const auto& [name_key, entry] : *table) {
    const toml::node& cap_node = entry;  // a structured binding cannot be captured (clang 14)
    const std::string key = "policy.rate_caps." + std::string(name_key.str());
    const auto kind = index_of(kRateCapNames, name_key.str());
    if (!kind) return reader.fail(cap_node, key, "unknown rate cap; allowed: {}", list_of(kRateCapNames));
    const auto* fields = cap_node.as_table();
    if (fields == nullptr) return reader.fail(cap_node, key, "must be a table like {{ count = 100, window = \"1h\" }}");
    const bool money = caps_money(static_cast<RateCapKind>(*kind));
    RateCap cap;
    bool has_count = false;
    for (const auto& [field_key, value] : *fields) {
      const toml::node& field = value;
      const std::string name(field_key.str());
      const std::string full = key + "." + name;
      if (name == "count") {
        auto count = reader.integer(field, full, 1, 1'000'000);
        if (!count) return tl::unexpected(count.error());
        cap.count = *count;
        has_count = true;
      } else if (name == "amount" && money) {
        auto amount = reader.integer(field, full, 1, 1'000'000'000'000);
        if (!amount) return tl::unexpected(amount.error());
        cap.amount = *amount;
      } else if (name == "window") {
        auto window = reader.duration(field, full);
        if (!window) return tl::unexpected(window.error());
        if (*window < kMinuteMs) return reader.fail(field, full, "must be at least 1m");
        cap.window_ms = *window;
      } else {
        return reader.fail(field, full, "unknown key; a rate cap has {}", money ? "count, amount and window" : "count and window");
      }
    }
    if (!has_count) return reader.fail(cap_node, key, "needs `count` (commands allowed in the window)");
    caps[*kind] = cap;
  }
  return {};
}

tl::expected<void, std::string> read_policies(const Reader& reader, const toml::table& table, Policies& policies) {
  for (const auto& [name_key, entry] : table) {
    const toml::node& node = entry;  // a structured binding cannot be captured (clang 14)
    const std::string name(name_key.str());
    const std::string key = "policy." + name;
    const auto set_int = [&](std::int64_t& field, std::int64_t min, std::int64_t max) -> tl::expected<void, std::string> {
      auto value = reader.integer(node, key, min, max);
      if (!value) return tl::unexpected(value.error());
      field = *value;
      return {};
    };
    tl::expected<void, std::string> ok;
    if (name == "lateness_coupons") {
      const auto* tiers = node.as_array();
      if (tiers == nullptr) return reader.fail(node, key, "must be a list of [\"late by\", amount] pairs");
      policies.lateness_coupons.clear();
      for (const auto& tier : *tiers) {
        const auto* pair = tier.as_array();
        if (pair == nullptr || pair->size() != 2) return reader.fail(tier, key, "each tier is [\"late by\", amount], e.g. [\"15m\", 500]");
        auto over = reader.duration(*pair->get(0), key);
        if (!over) return tl::unexpected(over.error());
        auto amount = reader.integer(*pair->get(1), key, 0, 1'000'000);
        if (!amount) return tl::unexpected(amount.error());
        if (!policies.lateness_coupons.empty() && policies.lateness_coupons.back().over_ms >= *over) {
          return reader.fail(tier, key, "tiers must be in increasing lateness");
        }
        policies.lateness_coupons.push_back(LatenessTier{*over, *amount});
      }
    } else if (name == "damage_refund_percent") {
      ok = set_int(policies.damage_refund_percent, 0, 100);
    } else if (name == "refund_auto_cap") {
      ok = set_int(policies.refund_auto_cap, 0, 100'000'000);
    } else if (name == "coupon_honour_cap") {
      ok = set_int(policies.coupon_honour_cap, 0, 100'000'000);
    } else if (name == "notify_max_per_hour") {
      ok = set_int(policies.notify_max_per_hour, 0, 1000);
    } else if (name == "rider_max_load") {
      ok = set_int(policies.rider_max_load, 1, 100);
    } else if (name == "substitute_max_price_ratio") {
      auto value = reader.number(node, key, 1.0, 10.0);
      if (!value) return tl::unexpected(value.error());
      policies.substitute_max_price_ratio = *value;
    } else if (name == "substitute_offer_count") {
      ok = set_int(policies.substitute_offer_count, 1, 10);
    } else if (name == "repeat_incidents") {
      ok = set_int(policies.repeat_incidents, 1, 1000);
    } else if (name == "repeat_window") {
      auto value = reader.duration(node, key);
      if (!value) return tl::unexpected(value.error());
      policies.repeat_window_ms = *value;
    } else if (name == "repeat_escalates") {
      auto value = reader.text(node, key, 16);
      if (!value) return tl::unexpected(value.error());
      if (*value != "all" && *value != "payouts") {
        return reader.fail(node, key, "must be \"all\" (a repeat customer's incident goes to a person) or \"payouts\" "
                                      "(only its refunds and coupons do)");
      }
      policies.repeat_escalates_all = *value == "all";
    } else if (name == "remediation_failures") {
      ok = set_int(policies.remediation_failures, 1, 100);
    } else if (name == "rate_caps") {
      ok = read_rate_caps(reader, node, policies.rate_caps);
    } else {
      return reader.fail(node, key,
                         "unknown policy; allowed: lateness_coupons, damage_refund_percent, refund_auto_cap, "
                         "coupon_honour_cap, notify_max_per_hour, rider_max_load, substitute_max_price_ratio, "
                         "substitute_offer_count, repeat_incidents, repeat_window, repeat_escalates, remediation_failures, rate_caps");
    }
    if (!ok) return ok;
  }
  return {};
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string conditions_toml(std::uint32_t bits) {
  std::string out = "[";
  for (std::size_t i = 0; i < kConditionCount; ++i) {
    if ((bits >> i) & 1u) out += (out.size() > 1 ? ", " : "") + quote(kConditionNames[i]);
  }
  return out + "]";
}

std::string events_toml(const std::vector<EventType>& types) {
  std::string out = "[";
  for (const EventType type : types) out += (out.size() > 1 ? ", " : "") + quote(event_type_name(type));
  return out + "]";
}

std::string target_toml(const StepTarget& target, const Playbook& playbook) {
  switch (target.kind) {
    case StepTarget::Kind::kNext: return "\"next\"";
    case StepTarget::Kind::kDone: return "\"done\"";
    case StepTarget::Kind::kEscalate: return "\"escalate\"";
    case StepTarget::Kind::kStep: return quote(playbook.steps[target.step].name);
  }
  return "\"next\"";
}

}  // namespace

std::string_view step_action_name(StepAction action) { return kActionNames[static_cast<std::size_t>(action)]; }
std::string_view rate_cap_name(RateCapKind kind) { return kRateCapNames[static_cast<std::size_t>(kind)]; }

std::optional<StepAction> step_action_from_name(std::string_view name) {
  const auto index = index_of(kActionNames, name);
  if (!index) return std::nullopt;
  return static_cast<StepAction>(*index);
}

bool emits_command(StepAction action) {
  return action != StepAction::kWait && action != StepAction::kEscalate && action != StepAction::kResolve;
}

bool pays_out(StepAction action) { return action == StepAction::kRefundIssue || action == StepAction::kCouponIssue; }

std::string_view amount_rule_name(AmountRule rule) { return kAmountNames[static_cast<std::size_t>(rule)]; }
std::string_view condition_name(Condition condition) { return kConditionNames[static_cast<std::size_t>(condition)]; }

tl::expected<HandlingConfig, std::string> load_handling(std::string_view toml_text, std::string_view source_name,
                                                        const HandlingConfig& base) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    return tl::unexpected(fmt::format("{}:{}: not valid TOML: {}", source_name, error.source().begin.line, error.description()));
  }
  HandlingConfig config = base;
  const Reader reader(source_name);
  if (const auto* node = root.get("playbooks")) {
    const auto* table = node->as_table();
    if (table == nullptr) return reader.fail(*node, "playbooks", "must be a table of playbooks by incident type");
    for (const auto& [name, playbook_node] : *table) {
      const std::string key = "playbooks." + std::string(name.str());
      const auto type = incident_type_from_name(name.str());
      if (!type) return reader.fail(playbook_node, key, "unknown incident type (see docs/spec/INCIDENTS.md)");
      auto playbook = read_playbook(reader, playbook_node, key, *type);
      if (!playbook) return tl::unexpected(playbook.error());
      config.playbooks[static_cast<std::size_t>(*type)] = std::move(*playbook);
    }
  }
  if (const auto* node = root.get("policy")) {
    const auto* table = node->as_table();
    if (table == nullptr) return reader.fail(*node, "policy", "must be a table");
    if (auto ok = read_policies(reader, *table, config.policies); !ok) return tl::unexpected(ok.error());
  }
  if (const auto* node = root.get("templates")) {
    const auto* table = node->as_table();
    if (table == nullptr) return reader.fail(*node, "templates", "must be a table of templates");
    for (const auto& [name, template_node] : *table) {
      const std::string key = "templates." + std::string(name.str());
      const auto* fields = template_node.as_table();
      if (fields == nullptr) return reader.fail(template_node, key, "must be a table with zh and en");
      NotifyTemplate text;
      for (const auto& [field, value] : *fields) {
        const std::string field_key = key + "." + std::string(field.str());
        auto content = reader.text(value, field_key, 1000);
        if (!content) return tl::unexpected(content.error());
        if (field.str() == "zh") {
          text.zh = *content;
        } else if (field.str() == "en") {
          text.en = *content;
        } else {
          return reader.fail(value, field_key, "unknown key; a template has zh and en");
        }
      }
      if (text.zh.empty() || text.en.empty()) return reader.fail(template_node, key, "needs both zh and en");
      config.templates[std::string(name.str())] = std::move(text);
    }
  }
  // Every template a notify step names must exist, in the final configuration.
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) {
    for (const Step& step : config.playbooks[t].steps) {
      if (step.action == StepAction::kNotify && !config.templates.contains(step.template_name)) {
        return tl::unexpected(fmt::format("{}: playbooks.{}: step \"{}\" names template \"{}\", which is not defined under [templates]",
                                          source_name, incident_type_name(static_cast<IncidentType>(t)), step.name,
                                          step.template_name));
      }
    }
  }
  return config;
}

std::shared_ptr<const HandlingConfig> default_handling() {
  static const std::shared_ptr<const HandlingConfig> defaults = [] {
    auto loaded = load_handling(kDefaultPlaybooksToml, "config/playbooks.toml", HandlingConfig{});
    if (!loaded) throw std::logic_error("built-in playbooks: " + loaded.error());
    return std::make_shared<const HandlingConfig>(std::move(*loaded));
  }();
  return defaults;
}

std::string playbook_to_toml(IncidentType type, const Playbook& playbook) {
  std::string out;
  for (const Step& step : playbook.steps) {
    out += fmt::format("[[playbooks.{}.steps]]\nname = {}\ndo = {}\n", incident_type_name(type), quote(step.name),
                       quote(step_action_name(step.action)));
    if (step.when != 0) out += "when = " + conditions_toml(step.when) + "\n";
    if (step.unless != 0) out += "unless = " + conditions_toml(step.unless) + "\n";
    if (step.delay_ms != 0) out += "delay = " + quote(format_duration(step.delay_ms)) + "\n";
    if (step.amount != AmountRule::kNone) out += "amount = " + quote(amount_rule_name(step.amount)) + "\n";
    if (!step.to.empty()) out += "to = " + quote(step.to) + "\n";
    if (!step.channel.empty()) out += "channel = " + quote(step.channel) + "\n";
    if (!step.template_name.empty()) out += "template = " + quote(step.template_name) + "\n";
    if (!step.reason.empty()) out += "reason = " + quote(step.reason) + "\n";
    if (!step.await.empty()) out += "await = " + events_toml(step.await) + "\n";
    if (!step.fail_on.empty()) out += "fail_on = " + events_toml(step.fail_on) + "\n";
    if (step.timeout_ms == kTypeParameter) out += "timeout = \"T\"\n";
    if (step.timeout_ms >= 0) out += "timeout = " + quote(format_duration(step.timeout_ms)) + "\n";
    if (step.attempts != 1) out += fmt::format("attempts = {}\n", step.attempts);
    if (step.interval_ms != 0) out += "interval = " + quote(format_duration(step.interval_ms)) + "\n";
    if (step.backoff != 1.0) out += fmt::format("backoff = {}\n", step.backoff);
    if (!step.interval_by_code.empty()) {
      out += "interval_by_code = {";
      for (std::size_t i = 0; i < step.interval_by_code.size(); ++i) {
        out += fmt::format("{} {} = {}", i == 0 ? "" : ",", quote(step.interval_by_code[i].code),
                           quote(format_duration(step.interval_by_code[i].interval_ms)));
      }
      out += " }\n";
    }
    if (!step.stop_codes.empty()) {
      out += "stop_codes = [";
      for (std::size_t i = 0; i < step.stop_codes.size(); ++i) out += (i == 0 ? "" : ", ") + quote(step.stop_codes[i]);
      out += "]\n";
    }
    out += "on_success = " + target_toml(step.on_success, playbook) + "\n";
    out += "on_failure = " + target_toml(step.on_failure, playbook) + "\n";
  }
  return out;
}

std::string policies_to_toml(const Policies& policies) {
  std::string out = "[policy]\nlateness_coupons = [";
  for (std::size_t i = 0; i < policies.lateness_coupons.size(); ++i) {
    out += fmt::format("{}[{}, {}]", i == 0 ? "" : ", ", quote(format_duration(policies.lateness_coupons[i].over_ms)),
                       policies.lateness_coupons[i].amount);
  }
  out += "]\n";
  out += fmt::format("damage_refund_percent = {}\nrefund_auto_cap = {}\ncoupon_honour_cap = {}\nnotify_max_per_hour = {}\n",
                     policies.damage_refund_percent, policies.refund_auto_cap, policies.coupon_honour_cap,
                     policies.notify_max_per_hour);
  out += fmt::format("rider_max_load = {}\nsubstitute_max_price_ratio = {}\nsubstitute_offer_count = {}\n",
                     policies.rider_max_load, policies.substitute_max_price_ratio, policies.substitute_offer_count);
  out += fmt::format("repeat_incidents = {}\nrepeat_window = {}\nrepeat_escalates = {}\nremediation_failures = {}\n",
                     policies.repeat_incidents, quote(format_duration(policies.repeat_window_ms)),
                     quote(policies.repeat_escalates_all ? "all" : "payouts"), policies.remediation_failures);
  out += "\n[policy.rate_caps]\n";
  for (std::size_t kind = 0; kind < kRateCapCount; ++kind) {
    const RateCap& cap = policies.rate_caps[kind];
    if (cap.count == 0) continue;
    out += fmt::format("{} = {{ count = {}", kRateCapNames[kind], cap.count);
    if (cap.amount != 0) out += fmt::format(", amount = {}", cap.amount);
    out += fmt::format(", window = {} }}\n", quote(format_duration(cap.window_ms)));
  }
  return out;
}

std::string templates_to_toml(const HandlingConfig& config) {
  std::string out;
  for (const auto& [name, text] : config.templates) {
    out += fmt::format("[templates.{}]\nzh = {}\nen = {}\n", name, quote(text.zh), quote(text.en));
  }
  return out;
}

}  // namespace og
