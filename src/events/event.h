// events/event: one parsed order lifecycle or master-data event (docs/spec/EVENTS.md).
// Owns: the in-memory shape of an event. Strings that rules compare (ids, SKUs, zones ...)
// are interned symbols; free text the rules never read is not kept (the journal keeps the
// raw line). Optional numbers use sentinels (kAbsent) so the struct stays flat and reusable:
// a parser fills the same Event again and again without allocating in steady state (but for
// the rare parts of master-data and agent events, see EventRare).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/copied_box.h"
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

// Grouped by size so that only 7 bytes are padding (256 bytes): every waiting event in the
// reorder buffer holds one.
struct EventFields {
  // Envelope (the id string is in Event)
  std::uint64_t id_hash = 0;
  TimeMs ts = 0;
  Symbol order_id = kNoSymbol;
  EventType type = EventType::kClockTick;

  // Identities named by the payload
  Symbol user_id = kNoSymbol;
  Symbol merchant_id = kNoSymbol;
  Symbol zone = kNoSymbol;
  Symbol community = kNoSymbol;
  Symbol rider_id = kNoSymbol;
  Symbol sku = kNoSymbol;
  // Transaction and refund ids are only ever compared, never shown: kept as hashes, so they
  // cost no interning (0: absent).
  std::uint64_t txn_id = 0;
  std::uint64_t refund_id = 0;
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
  // (one-byte scalars shared by several types)
  bool accepted = false;
  bool online = false;
  bool has_position = false;  // top-level lat/lng (rider.location, rider.status, zone.config)
  CancelledBy cancelled_by = CancelledBy::kUnknown;
  AttemptFailure attempt_failure = AttemptFailure::kOther;
  ComplaintKind complaint_kind = ComplaintKind::kOther;
  bool has_items = false;  // an `items` array was given (`[]` included; absent or null: not)
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
  LatLng position;  // with has_position
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

// What only master data and agent events carry: a catalog item's tags, a zone's pickup
// points, a user's channels, a person's agent.* fields. About 290 bytes that nearly every
// event leaves empty, so an Event keeps them behind one pointer, allocated only for a line
// that has one of them: the reorder buffer, which holds tens of thousands of waiting events,
// then holds half the bytes.
struct EventRare {
  std::vector<Symbol> tags;
  std::vector<PickupPoint> pickup_points;
  std::vector<Channel> channels;
  AgentFields agent;

  bool empty() const {
    const AgentFields& a = agent;
    return tags.empty() && pickup_points.empty() && channels.empty() && a.agent_id.empty() && a.incident_id.empty() &&
           a.name.empty() && a.to.empty() && a.text.empty() && a.resolution_code.empty() && a.skills == 0 &&
           a.capacity == kAbsent && !a.supervisor && !a.on_duty;
  }
};

struct Event : EventFields {
  std::string id;
  std::vector<Item> items;

  // The rare parts, read: empty when the line had none.
  const EventRare& rare_parts() const { return rare_.get(); }
  const std::vector<Symbol>& tags() const { return rare_parts().tags; }
  const std::vector<PickupPoint>& pickup_points() const { return rare_parts().pickup_points; }
  const std::vector<Channel>& channels() const { return rare_parts().channels; }
  const AgentFields& agent() const { return rare_parts().agent; }
  // The rare parts, to write: allocated on first use.
  EventRare& rare() { return rare_.mut(); }
  bool has_rare() const { return rare_.allocated(); }

  // Makes the event empty again. The containers keep their capacity, but the rare parts are
  // given back: an event that had them is followed by thousands without.
  void reset() {
    static_cast<EventFields&>(*this) = kEmptyEventFields;
    id.clear();
    items.clear();
    rare_.reset();
  }
  void drop_rare() { rare_.reset(); }

 private:
  CopiedBox<EventRare> rare_;  // copied with the event
};

}  // namespace og
