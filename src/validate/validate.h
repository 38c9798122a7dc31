// validate/validate: pre-submit validation (前置验证) of a draft order, `POST /v1/validate` and
// `orderguard validate` (docs/validate.md). A draft has the shape of an `order.created`
// payload; it is checked, before it is placed, against what the engine knows (catalog, stock,
// zones, the customer's history) by the same rules and the same RulesConfig parameters that
// detection uses, so that a draft with no blocking finding raises none of the incidents those
// rules define when it is placed at the check time.
//
// Owns: the draft's in-memory shape, reading it from JSON, the checks, the answer's JSON.
// Depends on: engine (its read-only views, engine/views.h, and its configuration), events
// (the event parser reads the draft, so a draft is accepted exactly when its order.created
// would be), rules, core. Pure: no clock (the check time is a parameter), no I/O; reads the
// engine through const accessors only (callers serialise access as for any engine read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "core/time.h"
#include "events/event.h"

namespace og {

class Engine;

struct DraftItem {
  std::string sku;
  std::int64_t qty = 1;
  std::int64_t unit_price = kAbsent;  // kAbsent: not given
};

struct DraftCoupon {
  bool present = false;
  std::string code;
  std::int64_t discount = 0;
  std::int64_t min_spend = kAbsent;  // kAbsent: none
  TimeMs expires_at = kAbsent;       // kAbsent: does not expire
};

// The fields of an order.created payload that the checks read. Strings are plain text.
struct DraftOrder {
  std::string order_id;  // empty: the draft names none (it usually has no id yet)
  std::string user_id;
  OrderKind kind = OrderKind::kGrocery;
  PaymentMethod payment_method = PaymentMethod::kOnline;
  std::string zone;       // empty: none given
  std::string community;  // empty: none given
  Address address;        // events/event.h: presence flags and position, as the rules read them
  std::vector<DraftItem> items;
  std::int64_t amount = 0;
  DraftCoupon coupon;
  TimeMs promise_at = kAbsent;
};

inline constexpr std::size_t kMaxDraftBytes = 1 << 20;  // 1 MiB, the limit of one event

// Reads a draft: one JSON object with the fields of an order.created payload (EVENTS.md).
// The envelope is optional: `order_id` is kept when given; `id`, `type` and `ts` are ignored
// (a draft is an order.created, and the check time is the caller's). Validation is the event
// parser's, field for field (types, ranges, enumerations, negative money, UTF-8, 1 MiB), with
// the error in its form "<field>: <what is wrong>", e.g. "items[1].qty: must be at least 1".
tl::expected<DraftOrder, std::string> parse_draft(std::string_view json);

// Finding codes (stable: clients match on them). docs/validate.md has each one's rule.
namespace finding {
inline constexpr std::string_view kNoItems = "no_items";
inline constexpr std::string_view kAddressIncomplete = "address_incomplete";
inline constexpr std::string_view kOutOfArea = "out_of_area";
inline constexpr std::string_view kOutOfStock = "out_of_stock";
inline constexpr std::string_view kPriceMismatch = "price_mismatch";
inline constexpr std::string_view kCouponExpired = "coupon_expired";
inline constexpr std::string_view kCouponMinSpend = "coupon_min_spend";
inline constexpr std::string_view kCouponExceedsSubtotal = "coupon_exceeds_subtotal";
inline constexpr std::string_view kAmountMismatch = "amount_mismatch";
inline constexpr std::string_view kAmountAnomaly = "amount_anomaly";
inline constexpr std::string_view kFrequentCanceller = "frequent_canceller";
inline constexpr std::string_view kDuplicateUnpaid = "duplicate_unpaid";
}  // namespace finding

// block: placing the draft as it is raises an incident or cannot be fulfilled; fix it first.
// warn: a risk a person (or the client) should know about; the draft may still be placed.
enum class FindingSeverity : std::uint8_t { kBlock, kWarn };
std::string_view finding_severity_name(FindingSeverity severity);  // "block" | "warn"

struct Finding {
  std::string code;                                  // finding::k...
  FindingSeverity severity = FindingSeverity::kBlock;
  std::string field;                                 // JSON path in the draft: "items[1].qty", "address.text"
  std::string message;                               // English, says what to do
  std::string incident;                              // the incident type detection would raise ("" : none)
  std::int64_t expected = kAbsent;                   // the limit or correct value (kAbsent: not applicable)
  std::int64_t actual = kAbsent;                     // the draft's value
  std::vector<std::string> orders;                   // related orders (the duplicates, the cancelled ones)
};

// A check that could not be made: master data missing, or its incident type switched off.
struct NotChecked {
  std::string code;    // the finding code it would have given
  std::string field;
  std::string reason;
};

struct Validation {
  TimeMs checked_at = 0;
  std::vector<Finding> findings;       // in check order: items, address, area, lines, coupon, amount, customer
  std::vector<NotChecked> not_checked;
  bool ok() const;  // no blocking finding
  std::size_t count(FindingSeverity severity) const;
};

// Checks `draft` as if it were placed at `now` (event time; it stands for the order's ts),
// against the engine's master data and history and by its configuration (engine.config()).
Validation validate_draft(const Engine& engine, const DraftOrder& draft, TimeMs now);

// The answer of POST /v1/validate and `orderguard validate`:
// {"ok":false,"checked_at":"…Z","blocking":1,"warnings":0,
//  "findings":[{"code":"out_of_stock","severity":"block","field":"items[0].qty","message":"…",
//               "incident":"OUT_OF_STOCK","expected":3,"actual":5}],
//  "not_checked":[{"code":"price_mismatch","field":"items[1].unit_price","reason":"…"}]}
// `incident`, `expected`, `actual` and `orders` appear only when they apply.
std::string validation_json(const Validation& validation);

// {"error":"<message>"}: the answer for a draft that does not parse.
std::string draft_error_json(std::string_view message);

}  // namespace og
