// events/line_state: what one event line has said so far, and the checks that need the whole
// line (required fields per type, enumerations, agent rows). Shared by the parser's two
// readers (events/parser.cc: the general one on simdjson On-Demand; events/fast_reader.cc: the
// fast one for ordinary lines), so that both fill an Event the same way.
// Internal to src/events: not part of the parser's interface.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

#include "core/interner.h"
#include "core/messages.h"
#include "core/time.h"
#include "events/event.h"
#include "events/event_type.h"

namespace og::events_internal {

using Result = tl::expected<void, std::string>;

// Every field the rules read. Unknown fields are skipped (the journal keeps the raw line).
enum class Field : std::uint8_t {
  kUnknown, kId, kType, kTs, kOrderId, kSource, kUserId, kKind, kMerchantId, kZone, kCommunity,
  kAddress, kItems, kAmount, kCoupon, kPaymentMethod, kPromiseAt, kSlotStart, kSlotEnd, kUserTier,
  kSubstitutionPref, kBy, kReason, kReasonCode, kCode, kTxnId, kRefundId, kSku, kRequested,
  kAvailable, kPickerId, kRiderId, kLat, kLng, kScore, kSubstituteSku, kAccepted, kCategory,
  kPrice, kTags, kReorderPoint, kWarehouse, kRadiusM, kPickupPoints, kOnline, kActiveOrders,
  kTier, kChannels,
  // agent.* (docs/spec/EVENTS.md "Agent events"). `name`, `note`, `text` and `to` also occur
  // on other types (or nested), where they stay free text nobody keeps.
  kAgentId, kIncidentId, kName, kSkills, kCapacity, kSupervisor, kOnDuty, kResolutionCode, kNote,
  kText, kTo,
};

struct FieldName {
  std::string_view name;
  Field field;
};

constexpr std::array<FieldName, 58> kFields = {{
    {"accepted", Field::kAccepted},
    {"active_orders", Field::kActiveOrders},
    {"address", Field::kAddress},
    {"agent_id", Field::kAgentId},
    {"amount", Field::kAmount},
    {"available", Field::kAvailable},
    {"by", Field::kBy},
    {"capacity", Field::kCapacity},
    {"category", Field::kCategory},
    {"channels", Field::kChannels},
    {"code", Field::kCode},
    {"community", Field::kCommunity},
    {"coupon", Field::kCoupon},
    {"id", Field::kId},
    {"incident_id", Field::kIncidentId},
    {"items", Field::kItems},
    {"kind", Field::kKind},
    {"lat", Field::kLat},
    {"lng", Field::kLng},
    {"merchant_id", Field::kMerchantId},
    {"name", Field::kName},
    {"note", Field::kNote},
    {"on_duty", Field::kOnDuty},
    {"online", Field::kOnline},
    {"order_id", Field::kOrderId},
    {"payment_method", Field::kPaymentMethod},
    {"picker_id", Field::kPickerId},
    {"pickup_points", Field::kPickupPoints},
    {"price", Field::kPrice},
    {"promise_at", Field::kPromiseAt},
    {"radius_m", Field::kRadiusM},
    {"reason", Field::kReason},
    {"reason_code", Field::kReasonCode},
    {"refund_id", Field::kRefundId},
    {"reorder_point", Field::kReorderPoint},
    {"requested", Field::kRequested},
    {"resolution_code", Field::kResolutionCode},
    {"rider_id", Field::kRiderId},
    {"score", Field::kScore},
    {"skills", Field::kSkills},
    {"sku", Field::kSku},
    {"slot_end", Field::kSlotEnd},
    {"slot_start", Field::kSlotStart},
    {"source", Field::kSource},
    {"substitute_sku", Field::kSubstituteSku},
    {"substitution_pref", Field::kSubstitutionPref},
    {"supervisor", Field::kSupervisor},
    {"tags", Field::kTags},
    {"text", Field::kText},
    {"tier", Field::kTier},
    {"to", Field::kTo},
    {"ts", Field::kTs},
    {"txn_id", Field::kTxnId},
    {"type", Field::kType},
    {"user_id", Field::kUserId},
    {"user_tier", Field::kUserTier},
    {"warehouse", Field::kWarehouse},
    {"zone", Field::kZone},
}};

// Field lookup is on every key of every event: a perfect hash over kFields (one table load
// and one comparison) instead of a search. The constants were searched for so that no two
// names share a slot; adding a field that collides fails to compile here, not at run time.
constexpr std::size_t kFieldSlots = 128;
constexpr std::size_t field_slot(std::string_view name) {
  const auto byte = [](char c) { return static_cast<std::size_t>(static_cast<unsigned char>(c)); };
  return (name.size() + byte(name.front()) * 78 + byte(name.back()) * 91 + byte(name[name.size() / 2]) * 67) %
         kFieldSlots;
}

constexpr std::array<std::uint8_t, kFieldSlots> make_field_table() {
  std::array<std::uint8_t, kFieldSlots> table{};
  for (std::size_t i = 0; i < kFields.size(); ++i) table[field_slot(kFields[i].name)] = static_cast<std::uint8_t>(i + 1);
  return table;
}
constexpr std::array<std::uint8_t, kFieldSlots> kFieldTable = make_field_table();

constexpr bool field_slots_are_distinct() {
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (kFieldTable[field_slot(kFields[i].name)] != i + 1) return false;
  }
  return true;
}
static_assert(field_slots_are_distinct(), "two field names share a slot: search new constants for field_slot()");

inline Field field_of(std::string_view name) {
  if (name.empty()) return Field::kUnknown;
  const std::uint8_t entry = kFieldTable[field_slot(name)];
  if (entry == 0) return Field::kUnknown;
  const FieldName& candidate = kFields[entry - 1];
  return candidate.name == name ? candidate.field : Field::kUnknown;
}

constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::kTo) + 1;
static_assert(kFieldCount <= 64, "the readers keep the fields seen in a 64-bit mask");

// Values whose meaning depends on the event type, which may come later in the object.
struct Deferred {
  std::string_view kind, reason, by, payment_method, user_tier, substitution_pref, tier;
  bool has_kind = false, has_reason = false, has_by = false, has_payment_method = false,
       has_user_tier = false, has_substitution_pref = false, has_tier = false;
  bool has_id = false, has_type = false, has_ts = false, has_amount = false, has_lat = false,
       has_lng = false, has_available = false;
  std::string_view type_name;
};

// A value whose meaning depends on the event type, kept as the line wrote it: the type may
// come later in the object, and on another type the same key is an extra field that only has
// to be valid JSON. Views point into the parser's string buffer (valid until the next line).
enum class Shape : std::uint8_t { kAbsent, kPresent, kIllTyped };  // absent: not given, or null

struct LooseText {
  std::string_view text;
  Shape shape = Shape::kAbsent;
};

// agent.* fields (docs/spec/EVENTS.md "Agent events"). They are checked, and copied into
// Event::agent, only for the agent types whose row in the table lists them; `reason` is in
// Deferred (it is already read for order.cancelled and delivery.attempt_failed).
struct AgentDeferred {
  LooseText agent_id, incident_id, name, resolution_code, note, text, to;
  std::int64_t capacity = kAbsent;
  Shape capacity_shape = Shape::kAbsent;
  bool supervisor = false, on_duty = false;
  Shape supervisor_shape = Shape::kAbsent, on_duty_shape = Shape::kAbsent;
  std::uint8_t skills = 0;
  Shape skills_shape = Shape::kAbsent;
  bool has_unknown_skill = false;
  std::string_view unknown_skill;  // the first name that is not a skill
};

// people::Skill order: bit i of AgentFields::skills is kSkillNames[i].
constexpr std::array<std::string_view, 6> kSkillNames = {"payment", "inventory", "delivery", "aftersale", "risk", "senior"};
constexpr std::size_t kMaxAgentIdBytes = 128;
constexpr std::size_t kMaxAgentNameBytes = 128;
constexpr std::size_t kMaxResolutionCodeBytes = 64;
constexpr std::size_t kMaxAgentTextBytes = 2000;
constexpr std::int64_t kMaxCapacity = 100;
constexpr std::size_t kMaxItems = 1000;
// Money above this (10 trillion yuan in 分) is refused: no order is worth more, and sums and
// products of amounts within it are computed saturating, so nothing a client sends overflows.
constexpr std::int64_t kMaxMoney = 1'000'000'000'000'000;

// The fields of one line as read so far; finish() checks them against the event type.
class LineState {
 public:
  LineState(Interner& interner, Event& event) : interner_(interner), event_(event) {}

  Result finish() {
    if (!deferred_.has_id) return field_error("id", "missing (every event needs a unique id)");
    if (!deferred_.has_type) return field_error("type", "missing");
    const auto type = event_type_from_name(deferred_.type_name);
    if (!type) {
      return field_error("type", "unknown event type " + quote_input(deferred_.type_name) + " (see docs/spec/EVENTS.md for the list)");
    }
    event_.type = *type;
    if (!deferred_.has_ts) return field_error("ts", "missing (event time, RFC 3339 or epoch milliseconds)");
    if (event_type_needs_order(event_.type) && event_.order_id == kNoSymbol) {
      return field_error("order_id", "missing (required for " + std::string(deferred_.type_name) + ")");
    }
    return finish_type_specific();
  }

 protected:
  template <typename Enum, std::size_t N>
  Result pick(std::string_view key, std::string_view text, const std::array<std::pair<std::string_view, Enum>, N>& options,
              Enum& out) {
    for (const auto& [name, value] : options) {
      if (name == text) {
        out = value;
        return {};
      }
    }
    std::string allowed;
    for (const auto& option : options) {
      if (!allowed.empty()) allowed += ", ";
      allowed += option.first;
    }
    return field_error(key, "unknown value " + quote_input(text) + " (one of " + allowed + ")");
  }

  Result finish_type_specific() {
    // Each check is a plain test with the error built behind it (once a line: a helper that
    // returned a Result for every check cost more than the checks).
    Event& e = event_;
    const std::string_view type = deferred_.type_name;
    switch (e.type) {
      case EventType::kOrderCreated: {
        if (e.user_id == kNoSymbol) return missing("user_id", type);
        if (e.amount == kAbsent) return missing("amount", type);
        if (deferred_.has_kind) {
          static constexpr std::array<std::pair<std::string_view, OrderKind>, 3> kKinds = {
              {{"grocery", OrderKind::kGrocery}, {"errand", OrderKind::kErrand}, {"mall", OrderKind::kMall}}};
          if (auto r = pick("kind", deferred_.kind, kKinds, e.kind); !r) return r;
        }
        if (deferred_.has_payment_method) {
          static constexpr std::array<std::pair<std::string_view, PaymentMethod>, 2> kMethods = {
              {{"online", PaymentMethod::kOnline}, {"cod", PaymentMethod::kCod}}};
          if (auto r = pick("payment_method", deferred_.payment_method, kMethods, e.payment_method); !r) return r;
        }
        if (deferred_.has_user_tier) {
          if (auto r = read_tier("user_tier", deferred_.user_tier); !r) return r;
        }
        if (deferred_.has_substitution_pref) {
          if (auto r = read_substitution_pref(); !r) return r;
        }
        return {};
      }
      case EventType::kPaymentSucceeded:
        if (e.amount == kAbsent) return missing("amount", type);
        return e.txn_id == 0 ? missing("txn_id", type) : Result{};
      case EventType::kOrderCancelled:
        if (deferred_.has_by) {
          static constexpr std::array<std::pair<std::string_view, CancelledBy>, 4> kBy = {
              {{"user", CancelledBy::kUser}, {"merchant", CancelledBy::kMerchant}, {"rider", CancelledBy::kRider},
               {"system", CancelledBy::kSystem}}};
          return pick("by", deferred_.by, kBy, e.cancelled_by);
        }
        return {};
      case EventType::kStockShortage: return e.sku == kNoSymbol ? missing("sku", type) : Result{};
      case EventType::kRiderAssigned:
      case EventType::kRiderCancelled: return e.rider_id == kNoSymbol ? missing("rider_id", type) : Result{};
      case EventType::kRiderLocation:
        if (!deferred_.has_lat) return missing("lat", type);
        if (!deferred_.has_lng) return missing("lng", type);
        e.has_position = true;
        return {};
      case EventType::kDeliveryAttemptFailed:
        if (deferred_.has_reason) {
          static constexpr std::array<std::pair<std::string_view, AttemptFailure>, 4> kReasons = {
              {{"no_answer", AttemptFailure::kNoAnswer}, {"wrong_address", AttemptFailure::kWrongAddress},
               {"refused", AttemptFailure::kRefused}, {"other", AttemptFailure::kOther}}};
          return pick("reason", deferred_.reason, kReasons, e.attempt_failure);
        }
        return {};
      case EventType::kComplaintFiled:
        if (deferred_.has_kind) {
          static constexpr std::array<std::pair<std::string_view, ComplaintKind>, 6> kKinds = {
              {{"damaged", ComplaintKind::kDamaged}, {"quality", ComplaintKind::kQuality},
               {"wrong_item", ComplaintKind::kWrongItem}, {"missing_item", ComplaintKind::kMissingItem},
               {"expired", ComplaintKind::kExpired}, {"other", ComplaintKind::kOther}}};
          return pick("kind", deferred_.kind, kKinds, e.complaint_kind);
        }
        return {};
      case EventType::kRatingSubmitted:
        // Optional, as every field of the type table: a rating with only a text opens nothing.
        if (e.score != kAbsent && (e.score < 1 || e.score > 5)) return field_error("score", "must be 1 to 5");
        return {};
      case EventType::kSubstitutionResponded:
        // `sku` and `accepted` are optional (EVENTS.md marks neither): an answer without a sku
        // applies to nothing, one without `accepted` accepts nothing.
        return {};
      case EventType::kCatalogItem: return e.sku == kNoSymbol ? missing("sku", type) : Result{};
      case EventType::kStockLevel:
        if (e.sku == kNoSymbol) return missing("sku", type);
        return !deferred_.has_available || e.available == kAbsent ? missing("available", type) : Result{};
      case EventType::kZoneConfig:
        if (e.zone == kNoSymbol) return missing("zone", type);
        e.has_position = deferred_.has_lat && deferred_.has_lng;
        return {};
      case EventType::kRiderStatus:
        e.has_position = deferred_.has_lat && deferred_.has_lng;
        return e.rider_id == kNoSymbol ? missing("rider_id", type) : Result{};
      case EventType::kUserProfile:
        if (e.user_id == kNoSymbol) return missing("user_id", type);
        if (deferred_.has_tier) {
          if (auto r = read_tier("tier", deferred_.tier); !r) return r;
        }
        if (deferred_.has_substitution_pref) return read_substitution_pref();
        return {};
      case EventType::kAgentJoined:
      case EventType::kAgentDuty:
      case EventType::kAgentAck:
      case EventType::kAgentResolve:
      case EventType::kAgentReassign:
      case EventType::kAgentEscalate:
      case EventType::kAgentComment:
      case EventType::kAgentFalsePositive: return finish_agent();
      default:
        return {};
    }
  }

  // The fields of the agent type's row in EVENTS.md, checked in the order of that row.
  Result finish_agent() {
    const std::string_view type = deferred_.type_name;
    AgentFields& out = event_.rare().agent;
    const AgentDeferred& in = agent();
    switch (event_.type) {
      case EventType::kAgentJoined: {
        if (auto r = take_id("agent_id", in.agent_id, kMaxAgentIdBytes, out.agent_id); !r) return r;
        if (auto r = take_text("name", in.name, kMaxAgentNameBytes, false, out.name); !r) return r;
        if (in.skills_shape == Shape::kIllTyped) return field_error("skills", "must be an array of skill names (" + skill_list(", ") + ")");
        if (in.has_unknown_skill) {
          return field_error("skills", "unknown skill " + quote_input(in.unknown_skill) + " (" + skill_list(", ") + ")");
        }
        out.skills = in.skills;
        if (in.capacity_shape == Shape::kAbsent) return missing("capacity", type);
        if (in.capacity_shape == Shape::kIllTyped || in.capacity < 0 || in.capacity > kMaxCapacity) {
          return field_error("capacity", "must be a whole number from 0 to 100 (open incidents at once)");
        }
        out.capacity = in.capacity;
        if (auto r = take_bool("supervisor", in.supervisor, in.supervisor_shape, false, out.supervisor); !r) return r;
        return take_bool("on_duty", in.on_duty, in.on_duty_shape, false, out.on_duty);
      }
      case EventType::kAgentDuty:
        if (auto r = take_id("agent_id", in.agent_id, kMaxAgentIdBytes, out.agent_id); !r) return r;
        return take_bool("on_duty", in.on_duty, in.on_duty_shape, true, out.on_duty);
      default:
        break;
    }
    // The handling of one incident: agent.ack, resolve, reassign, escalate, comment, false_positive.
    if (auto r = take_id("incident_id", in.incident_id, kMaxAgentIdBytes, out.incident_id); !r) return r;
    if (auto r = take_id("agent_id", in.agent_id, kMaxAgentIdBytes, out.agent_id); !r) return r;
    switch (event_.type) {
      case EventType::kAgentResolve:
        if (auto r = take_id("resolution_code", in.resolution_code, kMaxResolutionCodeBytes, out.resolution_code); !r) return r;
        return take_text("note", in.note, kMaxAgentTextBytes, true, out.text);
      case EventType::kAgentReassign: return take_id("to", in.to, kMaxAgentIdBytes, out.to);
      case EventType::kAgentEscalate: {
        // `reason` was read as a string for every type (Deferred); empty counts as not given.
        const LooseText reason{deferred_.reason, deferred_.has_reason ? Shape::kPresent : Shape::kAbsent};
        return take_text("reason", reason, kMaxAgentTextBytes, true, out.text);
      }
      case EventType::kAgentComment: return take_text("text", in.text, kMaxAgentTextBytes, true, out.text);
      default:
        return {};
    }
  }

  Result missing(std::string_view field, std::string_view type) const {
    return field_error(field, "missing (required for " + std::string(type) + ")");
  }

  static std::string skill_list(std::string_view separator) {
    std::string list;
    for (const std::string_view name : kSkillNames) {
      if (!list.empty()) list += separator;
      list += name;
    }
    return list;
  }

  // A required identifier: a string of 1 to `max_bytes` bytes.
  Result take_id(std::string_view key, const LooseText& in, std::size_t max_bytes, std::string& out) const {
    if (in.shape == Shape::kIllTyped) return field_error(key, "must be a string");
    if (in.shape == Shape::kAbsent) return missing(key, deferred_.type_name);
    if (in.text.empty()) return field_error(key, "must not be empty");
    if (in.text.size() > max_bytes) return field_error(key, "longer than " + std::to_string(max_bytes) + " bytes");
    out.assign(in.text);
    return {};
  }

  // Free text (UTF-8, kept byte for byte) of at most `max_bytes` bytes; empty is not given.
  Result take_text(std::string_view key, const LooseText& in, std::size_t max_bytes, bool required, std::string& out) const {
    if (in.shape == Shape::kIllTyped) return field_error(key, "must be a string");
    if (in.shape == Shape::kAbsent || in.text.empty()) {
      return required ? missing(key, deferred_.type_name) : Result{};
    }
    if (in.text.size() > max_bytes) {
      return field_error(key, "longer than " + std::to_string(max_bytes) + " bytes (" + std::to_string(in.text.size()) + " given)");
    }
    out.assign(in.text);
    return {};
  }

  Result take_bool(std::string_view key, bool in, Shape shape, bool required, bool& out) const {
    if (shape == Shape::kIllTyped) return field_error(key, "must be true or false");
    if (shape == Shape::kAbsent) return required ? missing(key, deferred_.type_name) : Result{};
    out = in;
    return {};
  }

  Result read_tier(std::string_view key, std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, UserTier>, 2> kTiers = {
        {{"normal", UserTier::kNormal}, {"vip", UserTier::kVip}}};
    event_.has_user_tier = true;
    return pick(key, text, kTiers, event_.user_tier);
  }

  Result read_substitution_pref() {
    static constexpr std::array<std::pair<std::string_view, SubstitutionPref>, 3> kPrefs = {
        {{"substitute", SubstitutionPref::kSubstitute}, {"contact", SubstitutionPref::kContact},
         {"refund", SubstitutionPref::kRefund}}};
    event_.has_substitution_pref = true;
    return pick("substitution_pref", deferred_.substitution_pref, kPrefs, event_.substitution_pref);
  }

  // agent.* fields are on a few lines in a thousand: their state (some 250 bytes) is set up
  // only on a line that has one, not on every line.
  AgentDeferred& agent() {
    if (!agent_ready_) {
      std::construct_at(&agent_);
      agent_ready_ = true;
    }
    return agent_;
  }

  Interner& interner_;
  Event& event_;
  Deferred deferred_;

 private:
  bool agent_ready_ = false;
  union {
    AgentDeferred agent_;  // alive once agent_ready_
  };
};

}  // namespace og::events_internal
