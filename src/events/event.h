// events/event: one parsed order lifecycle or master-data event (docs/spec/EVENTS.md).
// Owns: the in-memory shape of an event. Strings that rules compare (ids, SKUs, zones ...)
// are interned symbols; free text the rules never read is not kept (the journal keeps the
// raw line). Optional numbers use sentinels (kAbsent) so the struct stays flat and reusable:
// a parser fills the same Event again and again without allocating in steady state.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/geo.h"
#include "core/interner.h"
#include "core/time.h"
#include "events/event_type.h"

namespace og {

inline constexpr std::int64_t kAbsent = std::numeric_limits<std::int64_t>::min();

enum class OrderKind : std::uint8_t { kGrocery, kErrand, kMall };
enum class PaymentMethod : std::uint8_t { kOnline, kCod };
enum class UserTier : std::uint8_t { kNormal, kVip };
enum class SubstitutionPref : std::uint8_t { kContact, kSubstitute, kRefund };
enum class CancelledBy : std::uint8_t { kUnknown, kUser, kMerchant, kRider, kSystem };
enum class AttemptFailure : std::uint8_t { kOther, kNoAnswer, kWrongAddress, kRefused };
enum class ComplaintKind : std::uint8_t { kOther, kDamaged, kQuality, kWrongItem, kMissingItem, kExpired };
enum class Channel : std::uint8_t { kApp, kSms, kPhone };

struct Item {
  Symbol sku = kNoSymbol;
  std::int64_t qty = 1;
  std::int64_t unit_price = kAbsent;
  TimeMs expires_at = kAbsent;  // (an item's `category` is validated, not kept: the catalog has it)
};

struct Address {
  bool present = false;
  bool has_text = false;      // `text` non-empty
  bool has_building = false;
  bool has_room = false;
  bool has_position = false;  // both lat and lng given
  LatLng position;
};

struct Coupon {
  bool present = false;
  Symbol code = kNoSymbol;
  std::int64_t discount = 0;
  std::int64_t min_spend = kAbsent;
  TimeMs expires_at = kAbsent;
};

struct PickupPoint {
  Symbol id = kNoSymbol;
  LatLng position;
};

struct EventFields {
  // Envelope (the id string is in Event)
  std::uint64_t id_hash = 0;
  EventType type = EventType::kClockTick;
  TimeMs ts = 0;
  Symbol order_id = kNoSymbol;

  // Identities named by the payload
  Symbol user_id = kNoSymbol;
  Symbol merchant_id = kNoSymbol;
  Symbol zone = kNoSymbol;
  Symbol community = kNoSymbol;
  Symbol rider_id = kNoSymbol;
  // Transaction and refund ids are only ever compared, never shown: kept as hashes, so they
  // cost no interning (0: absent).
  std::uint64_t txn_id = 0;
  std::uint64_t refund_id = 0;
  Symbol sku = kNoSymbol;
  Symbol substitute_sku = kNoSymbol;
  Symbol category = kNoSymbol;
  Symbol warehouse = kNoSymbol;
  Symbol code = kNoSymbol;  // payment/refund failure `code`, or the cancellation `reason_code`

  // order.created
  OrderKind kind = OrderKind::kGrocery;
  PaymentMethod payment_method = PaymentMethod::kOnline;
  UserTier user_tier = UserTier::kNormal;
  bool has_user_tier = false;
  SubstitutionPref substitution_pref = SubstitutionPref::kContact;
  bool has_substitution_pref = false;
  TimeMs promise_at = kAbsent;
  TimeMs slot_start = kAbsent;
  TimeMs slot_end = kAbsent;
  Address address;
  Coupon coupon;

  // Scalars shared by several types
  std::int64_t amount = kAbsent;
  std::int64_t requested = kAbsent;
  std::int64_t available = kAbsent;
  std::int64_t price = kAbsent;
  std::int64_t reorder_point = kAbsent;
  std::int64_t active_orders = kAbsent;
  std::int64_t score = kAbsent;
  double radius_m = -1;
  bool accepted = false;
  bool online = false;
  bool has_position = false;  // top-level lat/lng (rider.location, rider.status, zone.config)
  LatLng position;
  CancelledBy cancelled_by = CancelledBy::kUnknown;
  AttemptFailure attempt_failure = AttemptFailure::kOther;
  ComplaintKind complaint_kind = ComplaintKind::kOther;

};

// What a person did (agent.* events). Kept as text: these are rare, and the people desk
// speaks in strings.
struct AgentFields {
  std::string agent_id;
  std::string incident_id;
  std::string name;             // agent.joined
  std::string to;               // agent.reassign: the receiving agent
  std::string text;             // agent.resolve `note`, agent.escalate `reason`, agent.comment `text`
  std::string resolution_code;  // agent.resolve
  std::uint8_t skills = 0;      // agent.joined: bit i = people::Skill i (payment, inventory,
                                // delivery, aftersale, risk, senior)
  std::int64_t capacity = kAbsent;
  bool supervisor = false;
  bool on_duty = false;

  void clear() {
    agent_id.clear();
    incident_id.clear();
    name.clear();
    to.clear();
    text.clear();
    resolution_code.clear();
    skills = 0;
    capacity = kAbsent;
    supervisor = false;
    on_duty = false;
  }
};

// What EventFields{} holds, built once: resetting an event is then one plain copy.
inline constexpr EventFields kEmptyEventFields{};

struct Event : EventFields {
  std::string id;
  std::vector<Item> items;
  std::vector<Symbol> tags;
  std::vector<PickupPoint> pickup_points;
  std::vector<Channel> channels;
  AgentFields agent;

  // Makes the event empty again while keeping the containers' capacity.
  void reset() {
    static_cast<EventFields&>(*this) = kEmptyEventFields;
    id.clear();
    items.clear();
    tags.clear();
    pickup_points.clear();
    channels.clear();
    agent.clear();
  }
};

}  // namespace og
