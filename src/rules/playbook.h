// rules/playbook: the automatic handling of every incident type as configuration data
// (docs/spec/INCIDENTS.md "Automatic handling", docs/handling.md): playbooks of steps,
// policy tables, and the notification templates. The defaults are config/playbooks.toml,
// compiled in; an operator's rules file overrides them per type.
// Owns: the model and its loading. Depends on: rules/incident_type, events/event_type, core.
// toml++ stays inside playbook.cc.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "core/time.h"
#include "events/event_type.h"
#include "rules/incident_type.h"

namespace og {

// The commands of INCIDENTS.md, plus three step actions that emit nothing.
enum class StepAction : std::uint8_t {
  kPaymentRetry,
  kOrderCancel,
  kOrderRecreate,
  kStockRelease,
  kOrderSubstitute,
  kRefundIssue,
  kCouponIssue,
  kRiderReassign,
  kPickingRedo,
  kReplenishRequest,
  kPickupOffer,
  kUserRestrict,
  kRiderWarn,
  kZoneAlert,
  kNotify,
  kWait,      // only waits (for `await`, or until the incident clears itself)
  kEscalate,  // hands the incident to people
  kResolve,   // closes it as handled
  kCount,
};
inline constexpr std::size_t kStepActionCount = static_cast<std::size_t>(StepAction::kCount);
std::string_view step_action_name(StepAction action);
std::optional<StepAction> step_action_from_name(std::string_view name);
bool emits_command(StepAction action);
bool pays_out(StepAction action);  // refund.issue, coupon.issue: money to the customer

// How a step's `amount` is worked out from the incident's facts.
enum class AmountRule : std::uint8_t {
  kNone,
  kPaid,             // what the customer paid (the first payment)
  kOverpaid,         // payment - order amount
  kDuplicate,        // the duplicate payment
  kRefund,           // the refund that failed
  kShort,            // short quantity x unit price (OUT_OF_STOCK)
  kMissing,          // value of the items not picked (PICKING_MISMATCH)
  kAffected,         // value of the complained items
  kDamaged,          // value of the complained items x policy.damage_refund_percent
  kPriceDifference,  // what the order paid above the catalog
  kLateness,         // the delay compensation tier
  kCoupon,           // the coupon's discount (honoured)
  kCount,
};
std::string_view amount_rule_name(AmountRule rule);

// Named facts a step can require (`when`) or exclude (`unless`).
enum class Condition : std::uint8_t {
  kOverpaid,
  kUnderpaid,
  kBeforePickup,
  kAfterPickup,
  kRefundWithinCap,   // the step's amount <= policy.refund_auto_cap
  kCouponWithinCap,   // the coupon's discount <= policy.coupon_honour_cap
  kPrefSubstitute,
  kPrefContact,
  kPrefRefund,
  kHasSubstitute,
  kOfferAccepted,     // the customer accepted a substitute (substitution.responded)
  kRiderAvailable,
  kMissingItems,
  kWrongItems,
  kWrongAddress,      // the failed attempt's reason
  kHasPickupPoint,
  kHasKnownAddress,   // the customer gave a complete address in this community before
  kOrderPaid,         // a payment.succeeded for the order is known
  kOrderCancelled,    // an order.cancelled for the order is known (whoever cancelled it)
  kPriceAboveCatalog, // an item's unit_price is above its catalog price (PRICE_MISMATCH paid more)
  kCount,
};
inline constexpr std::size_t kConditionCount = static_cast<std::size_t>(Condition::kCount);
std::string_view condition_name(Condition condition);

// Where a step goes next.
struct StepTarget {
  enum class Kind : std::uint8_t { kNext, kDone, kEscalate, kStep };
  Kind kind = Kind::kNext;
  std::uint16_t step = 0;  // kStep
  friend bool operator==(const StepTarget&, const StepTarget&) = default;
};

inline constexpr DurationMs kNoTimeout = -1;
inline constexpr DurationMs kTypeParameter = -2;  // "T": the type's own detection parameter

struct CodeInterval {
  std::string code;
  DurationMs interval_ms = 0;
  friend bool operator==(const CodeInterval&, const CodeInterval&) = default;
};

struct Step {
  std::string name;
  StepAction action = StepAction::kWait;
  std::uint32_t when = 0;    // bit per Condition: all must hold, else the step is skipped
  std::uint32_t unless = 0;  // bit per Condition: none may hold
  DurationMs delay_ms = 0;   // before the command goes out
  AmountRule amount = AmountRule::kNone;
  // notify
  std::string to;  // customer | rider | operations | agent
  std::string channel;  // app | sms | phone
  std::string template_name;
  std::string reason;
  // waiting for proof
  std::vector<EventType> await;    // success (for a type that clears itself: the clearing)
  std::vector<EventType> fail_on;  // failure of this attempt
  DurationMs timeout_ms = kNoTimeout;
  // retries
  int attempts = 1;
  DurationMs interval_ms = 0;  // between attempts; x backoff after each
  double backoff = 1.0;
  std::vector<CodeInterval> interval_by_code;  // the failure's `code` picks another interval
  std::vector<std::string> stop_codes;         // a failure with one of these codes ends the retries
  StepTarget on_success;
  StepTarget on_failure{StepTarget::Kind::kEscalate, 0};
  friend bool operator==(const Step&, const Step&) = default;
};

struct Playbook {
  std::vector<Step> steps;
  friend bool operator==(const Playbook&, const Playbook&) = default;
};

struct LatenessTier {
  DurationMs over_ms = 0;  // late by more than this (strictly: exactly on a tier's edge is the tier below)
  std::int64_t amount = 0;
  friend bool operator==(const LatenessTier&, const LatenessTier&) = default;
};

// Rate caps (docs/handling.md "Rate caps", decisions #48-#52): how many commands of a kind the
// playbooks may send in a sliding window of event time, so that an incident storm cannot send
// thousands of refunds or text messages. A command over its cap is not sent; the incident
// goes to a person instead.
enum class RateCapKind : std::uint8_t {
  kRefund,        // refund.issue, over all incidents: count and amount
  kCoupon,        // coupon.issue, over all incidents: count and amount
  kSms,           // notify to customers by SMS, over all customers
  kPhone,         // notify to customers by phone, over all customers
  kSmsPerUser,    // notify by SMS to one customer
  kPhonePerUser,  // notify by phone to one customer
  kCount,
};
inline constexpr std::size_t kRateCapCount = static_cast<std::size_t>(RateCapKind::kCount);
std::string_view rate_cap_name(RateCapKind kind);  // its key under [policy.rate_caps]

struct RateCap {
  std::int64_t count = 0;   // commands in the window (0, only in code: no cap)
  std::int64_t amount = 0;  // money in the window (分); 0: no amount cap (money caps only)
  DurationMs window_ms = kHourMs;
  friend bool operator==(const RateCap&, const RateCap&) = default;
};

struct Policies {
  std::vector<LatenessTier> lateness_coupons = {{5 * kMinuteMs, 300}, {15 * kMinuteMs, 500}, {30 * kMinuteMs, 1000}};
  std::int64_t damage_refund_percent = 100;
  std::int64_t refund_auto_cap = 5000;
  std::int64_t coupon_honour_cap = 1000;
  std::int64_t notify_max_per_hour = 20;  // per customer (what other incidents sent): a storm guard
  std::int64_t rider_max_load = 3;       // active orders a rider may already have
  double substitute_max_price_ratio = 1.2;
  std::int64_t substitute_offer_count = 3;
  std::int64_t repeat_incidents = 3;     // incidents of one user ...
  DurationMs repeat_window_ms = 7 * 24 * kHourMs;  // ... within this: a repeat customer
  // What a repeat customer's incident does: true (INCIDENTS.md, the default) goes to a person
  // at detection; false lets the playbook run and only its payouts to the customer go to a
  // person (decisions #27: fewer manual cases, for operators who trust their playbooks).
  bool repeat_escalates_all = true;
  std::int64_t remediation_failures = 2;  // failed steps on one order before a person takes over
  // By RateCapKind; the defaults (config/playbooks.toml) only bite on a storm.
  std::array<RateCap, kRateCapCount> rate_caps{};
  friend bool operator==(const Policies&, const Policies&) = default;
};

struct NotifyTemplate {
  std::string zh;
  std::string en;
  friend bool operator==(const NotifyTemplate&, const NotifyTemplate&) = default;
};

struct HandlingConfig {
  std::array<Playbook, kIncidentTypeCount> playbooks;
  Policies policies;
  std::map<std::string, NotifyTemplate, std::less<>> templates;
  friend bool operator==(const HandlingConfig&, const HandlingConfig&) = default;
};

// The compiled-in defaults (config/playbooks.toml).
std::shared_ptr<const HandlingConfig> default_handling();

// Applies the `playbooks`, `policy` and `templates` tables of a parsed rules file (given as
// the TOML text) over `base`. A type's playbook given in the file replaces the default one
// whole. Errors name the source, line, key and the fix.
tl::expected<HandlingConfig, std::string> load_handling(std::string_view toml_text, std::string_view source_name,
                                                        const HandlingConfig& base);

// Canonical TOML of one part, for diffs and the configuration's fingerprint.
std::string playbook_to_toml(IncidentType type, const Playbook& playbook);
std::string policies_to_toml(const Policies& policies);
std::string templates_to_toml(const HandlingConfig& config);

}  // namespace og
