// Engine snapshots (docs/snapshots.md): Engine::snapshot() writes the whole state as bytes,
// Engine::restore() builds an engine that continues exactly where that one was. Bytes in,
// bytes out: no clock, no file.
//
// Layout: a 32-byte header (magic, version, payload length, hash64 of the payload), then the
// payload, section by section in the order of EngineCore::save(). Hash containers are written
// in key order, so the same state always gives the same bytes (and a restored engine's
// snapshot is the snapshot it came from). Everything read is checked: a value out of range, an
// index past its table or a broken structure is a serial::Error, reported by restore().
#include <algorithm>
#include <cstring>
#include <bit>
#include <tuple>
#include <type_traits>

#include <fmt/format.h>

#include "core/hash.h"
#include "core/serial.h"
#include "engine/engine_core.h"
#include "events/parser.h"
#include "people/people_serial.h"

namespace og::serial {

// ---- enums ------------------------------------------------------------------------------------

#define OG_ENUM_MAX(Type, Last)                  \
  template <>                                    \
  struct EnumMax<Type> {                         \
    static constexpr Type value = Type::Last;    \
  };
OG_ENUM_MAX(EventType, kClockTick)
OG_ENUM_MAX(OrderKind, kMall)
OG_ENUM_MAX(PaymentMethod, kCod)
OG_ENUM_MAX(UserTier, kVip)
OG_ENUM_MAX(SubstitutionPref, kRefund)
OG_ENUM_MAX(CancelledBy, kSystem)
OG_ENUM_MAX(AttemptFailure, kRefused)
OG_ENUM_MAX(ComplaintKind, kExpired)
OG_ENUM_MAX(Channel, kPhone)
OG_ENUM_MAX(SubjectKind, kCommunity)
OG_ENUM_MAX(Stage, kCount)  // kCount: no stage
OG_ENUM_MAX(IncidentStatus, kRetracted)
OG_ENUM_MAX(Resolution, kManual)
OG_ENUM_MAX(StepAction, kResolve)
OG_ENUM_MAX(AmountRule, kCoupon)
OG_ENUM_MAX(StepTarget::Kind, kStep)
OG_ENUM_MAX(PlaybookRun::Phase, kHold)
#undef OG_ENUM_MAX

// ---- plain data -------------------------------------------------------------------------------
// A field added to one of these structs must be added here (and kVersion raised when old
// snapshots can no longer be read); the size checks below catch most additions.

#define OG_DESCRIBE(Type) \
  template <typename Ar, typename T> \
    requires std::same_as<std::remove_const_t<T>, Type> \
  void describe(Ar& ar, T& v)

OG_DESCRIBE(LatLng) { ar(v.lat, v.lng); }
OG_DESCRIBE(TimerId) { ar(v.index, v.generation); }
OG_DESCRIBE(EventRef) { ar(v.at); }
OG_DESCRIBE(ItemRange) { ar(v.chunk, v.offset, v.count); }
OG_DESCRIBE(Item) { ar(sym(v.sku), v.qty, v.unit_price, v.expires_at); }
OG_DESCRIBE(OrderItem) { ar(sym(v.sku), v.qty, v.unit_price); }
OG_DESCRIBE(PickupPoint) { ar(sym(v.id), v.position); }
OG_DESCRIBE(SkuQty) { ar(sym(v.sku), v.qty); }
OG_DESCRIBE(Address) { ar(v.present, v.has_text, v.has_building, v.has_room, v.has_position, v.position); }
OG_DESCRIBE(Coupon) { ar(v.present, sym(v.code), v.discount, v.min_spend, v.expires_at); }

OG_DESCRIBE(AgentFields) {
  ar(v.agent_id, v.incident_id, v.name, v.to, v.text, v.resolution_code, v.skills, v.capacity, v.supervisor, v.on_duty);
}

OG_DESCRIBE(Event) {
  ar(v.id_hash, v.type, v.ts, sym(v.order_id), sym(v.user_id), sym(v.merchant_id), sym(v.zone), sym(v.community),
     sym(v.rider_id), v.txn_id, v.refund_id, sym(v.sku), sym(v.substitute_sku), sym(v.category), sym(v.warehouse),
     sym(v.code));
  ar(v.kind, v.payment_method, v.user_tier, v.has_user_tier, v.substitution_pref, v.has_substitution_pref,
     v.promise_at, v.slot_start, v.slot_end, v.address, v.coupon);
  ar(v.amount, v.requested, v.available, v.price, v.reorder_point, v.active_orders, v.score, v.radius_m, v.accepted,
     v.online, v.has_position, v.position, v.cancelled_by, v.attempt_failure, v.complaint_kind, v.has_items);
  ar(v.id, v.items);
  if constexpr (kWriting<Ar>) {
    const EventRare& rare = v.rare_parts();
    ar(syms(rare.tags), rare.pickup_points, rare.channels, rare.agent);
  } else {
    EventRare rare;
    ar(syms(rare.tags), rare.pickup_points, rare.channels, rare.agent);
    if (!rare.empty()) v.rare() = std::move(rare);  // absent, as the parser leaves it
  }
  if constexpr (!kWriting<Ar>) {
    // The parser's limits, which the engine's storage relies on.
    ar.check(v.id.size() <= kMaxIdBytes && v.items.size() <= 1000, "an event over the parser's limits");
  }
}

OG_DESCRIBE(RefundWatch) { ar(v.refund_id, v.amount, v.requested_at, v.succeeded_at, v.requested_event, v.timer); }
OG_DESCRIBE(PaymentRecord) { ar(v.txn_id, v.at, v.amount); }

OG_DESCRIBE(OrderExtras) {
  ar(v.more_payments, v.refunds,
     each(v.accepted_substitutions, [](auto& a, auto& pair) { a(sym(pair.first), sym(pair.second)); }), v.incidents,
     v.picked_before_created, v.paid_before_created, v.coupon_discount, v.last_refund_command, v.paid_no_order_timer,
     v.stock_release_timer, v.remediation_failures);
}

// The order's times and flags, compact in memory (engine_core.h), go out as the plain fields
// they were: one zigzag varint per time, one byte per flag.
template <typename Ar, typename T>
void order_times(Ar& ar, T& v, std::initializer_list<OrderTime> which) {
  for (const OrderTime field : which) {
    const auto i = static_cast<std::size_t>(field);
    if constexpr (kWriting<Ar>) {
      ar(v.times.get(i));
    } else {
      TimeMs t = kAbsent;
      ar(t);
      v.times.set(i, t);
    }
  }
}

#define OG_FLAGS(X)                                                                                                   \
  X(created) X(vip) X(has_extras) X(address_present) X(address_has_text) X(address_has_building) X(address_has_room) \
      X(address_has_position) X(stall_running) X(stall_awaits_first_location) X(late_risk_raised)                      \
          X(current_rider_cancelled) X(gmv_counted) X(pick_items_known)

OG_DESCRIBE(OrderState) {
  using enum OrderTime;
  ar(sym(v.order_id), sym(v.user), sym(v.zone), sym(v.community), sym(v.rider), v.first_txn, v.amount);
  order_times(ar, v, {kCreated, kPaid, kPaymentFailed, kCancelled, kCompleted, kReserved, kReleased, kPickStarted,
                      kPickCompleted, kRiderAssigned, kRiderCancelled, kPickedUp, kDelivered, kPromise, kSlotStart});
  for (std::size_t stage = 0; stage < kStageCount; ++stage) {
    order_times(ar, v, {static_cast<OrderTime>(static_cast<std::size_t>(kStageFired) + stage)});
  }
  order_times(ar, v, {kStallAnchor});
  // The delivery track (engine_core.h) goes out in place, as the plain fields it was; one that
  // reads back as all defaults is not allocated.
  const auto track_fields = [&](DeliveryTrack& track) {
    ar(v.address_position, track.stall_anchor, track.last_ping);
    order_times(ar, v, {kLastPing});
    ar(v.payment_timer, v.delivery_late_timer, v.stage_timer, track.stall_timer);
  };
  if constexpr (kWriting<Ar>) {
    DeliveryTrack track = v.track.get();
    track_fields(track);
  } else {
    DeliveryTrack track;
    track_fields(track);
    static_assert(sizeof(DeliveryTrack) == 2 * sizeof(LatLng) + sizeof(TimerId));  // no padding to compare
    const DeliveryTrack none;
    if (std::memcmp(&track, &none, sizeof track) != 0) v.track.mut() = track;
  }
  ar(v.created_event, v.paid_event, v.cancelled_event, v.stage_event, v.stall_event, v.items, v.picked_hash);
  ar(v.kind, v.payment_method, v.substitution_pref);
  if constexpr (kWriting<Ar>) {
#define OG_PUT_FLAG(name) ar(static_cast<bool>(v.name));
    OG_FLAGS(OG_PUT_FLAG)
#undef OG_PUT_FLAG
  } else {
#define OG_GET_FLAG(name) \
  {                       \
    bool flag = false;    \
    ar(flag);             \
    v.name = flag;        \
  }
    OG_FLAGS(OG_GET_FLAG)
#undef OG_GET_FLAG
  }
  ar(v.payment_count);
}
#undef OG_FLAGS

const auto kTimedSymbols = [](auto& a, auto& pair) { a(pair.first, sym(pair.second)); };

// A user's rare history (engine_core.h) goes out in place, as the plain fields it was; a
// history that reads back empty is not allocated.
OG_DESCRIBE(UserState) {
  const auto fields = [&](auto& history) {
    ar(each(history.user_cancellations, kTimedSymbols), history.frequent_cancel_raised_at, v.recent_orders,
       history.duplicate_unpaid_raised_at, v.amounts, history.incidents, v.vip, v.has_profile_tier,
       v.substitution_pref, v.has_profile_pref, v.channels, sym(v.complete_address_community));
  };
  if constexpr (kWriting<Ar>) {
    fields(v.read());
  } else {
    UserHistory history;
    fields(history);
    if (!history.empty()) v.history = std::make_unique<UserHistory>(std::move(history));
  }
}

OG_DESCRIBE(RiderState) {
  ar(sym(v.id), each(v.cancellations, kTimedSymbols), v.frequent_cancel_raised_at, sym(v.zone), v.online,
     v.has_position, v.position, v.position_at, v.active_orders);
}

OG_DESCRIBE(CatalogEntry) { ar(v.price, sym(v.category), syms(v.tags), v.reorder_point); }
OG_DESCRIBE(ZoneEntry) { ar(v.has_centre, v.centre, v.radius_m, v.pickup_points); }
OG_DESCRIBE(HotspotWindow) { ar(v.incidents, v.raised_at); }

// Without its configuration: the core writes the version's index before it.
OG_DESCRIBE(PlaybookRun) {
  ar(v.incident, v.order, v.step, v.attempt, v.generation, v.step_count, v.phase, v.timer, v.attempt_at,
     v.interval_ms, v.reference, v.paid, sym(v.sku), v.short_qty, v.items, v.attempt_failure, v.repeat_customer,
     v.offer_accepted, sym(v.accepted_substitute), v.last_payout);
}

OG_DESCRIBE(Incident) {
  ar(v.index, v.id, v.type, v.severity, v.priority, v.subject_kind, sym(v.subject), sym(v.order), sym(v.sku), v.stage,
     v.about_type, sym(v.zone), sym(v.community), sym(v.user), sym(v.rider), v.refund_id, v.order_amount, v.vip);
  ar(v.detected_at, v.watch_deadline_ms, v.status, v.resolution, v.resolved_at, v.retracted_at, v.first_action_at,
     v.escalated_at, v.assignee, v.loss, v.false_positive, v.evidence, v.actions, v.linked);
  // rate_capped: in the "rate caps" section at the end (EngineCore::save).
  if constexpr (!kWriting<Ar>) ar.check(v.type != IncidentType::kCount, "an incident of no type");
}

OG_DESCRIBE(Command) {
  ar(v.id, v.name, v.incident_id, v.order_id, v.at, v.amount, v.qty, v.unit_price, v.sku, v.substitute_sku,
     v.substitute_skus, v.rider_id, v.user_id, v.zone, v.pickup_point_id, v.reference, v.channel, v.to,
     v.template_name, v.text, v.text_en, v.reason, v.linked, v.payout_failed);
}

OG_DESCRIBE(AgentRefusal) { ar(v.event_id, v.message); }

OG_DESCRIBE(EngineCounters) {
  ar(v.events_accepted, v.events_late, v.events_duplicate, v.events_repeated, v.timers_fired, v.timers_fired_live,
     v.fire_lag_ms_max, v.fire_lag_ms_total);
}

// ---- configuration ----------------------------------------------------------------------------

OG_DESCRIBE(TypeSwitch) { ar(v.enabled, v.severity); }
OG_DESCRIBE(StageLimits) { ar(v.limit_ms); }
OG_DESCRIBE(StepTarget) { ar(v.kind, v.step); }
OG_DESCRIBE(CodeInterval) { ar(v.code, v.interval_ms); }
OG_DESCRIBE(LatenessTier) { ar(v.over_ms, v.amount); }
OG_DESCRIBE(NotifyTemplate) { ar(v.zh, v.en); }
OG_DESCRIBE(Playbook) { ar(v.steps); }

OG_DESCRIBE(Step) {
  ar(v.name, v.action, v.when, v.unless, v.delay_ms, v.amount, v.to, v.channel, v.template_name, v.reason, v.await,
     v.fail_on, v.timeout_ms, v.attempts, v.interval_ms, v.backoff, v.interval_by_code, v.stop_codes, v.on_success,
     v.on_failure);
}

OG_DESCRIBE(RateCap) { ar(v.count, v.amount, v.window_ms); }

// rate_caps: in the "rate caps" section at the end (EngineCore::save), which a snapshot from
// before them does not have.
OG_DESCRIBE(Policies) {
  ar(v.lateness_coupons, v.damage_refund_percent, v.refund_auto_cap, v.coupon_honour_cap, v.notify_max_per_hour,
     v.rider_max_load, v.substitute_max_price_ratio, v.substitute_offer_count, v.repeat_incidents, v.repeat_window_ms,
     v.repeat_escalates_all, v.remediation_failures);
}

OG_DESCRIBE(HandlingConfig) { ar(v.playbooks, v.policies, v.templates); }

// Without `handling`: the core writes the version's index beside it.
OG_DESCRIBE(RulesConfig) {
  ar(v.max_out_of_orderness_ms, v.high_value_amount, v.dedupe_max_ids, v.max_time_jump_ms, v.sla_ms, v.types, v.handling_enabled);
  ar(v.payment_timeout_ms, v.paid_no_order_timeout_ms, v.refund_timeout_ms, v.stock_release_timeout_ms,
     v.out_of_stock_unpaid_severity, v.default_reorder_point, v.min_shelf_life_ms, v.damaged_complaint_kinds,
     v.wrong_item_complaint_kinds, v.slot_lead_ms, v.stages, v.stall_timeout_ms, v.stall_min_move_m,
     v.stall_order_kinds, v.late_risk_speed_mps, v.late_risk_factor, v.late_risk_order_kinds, v.delivery_late_grace_ms);
  ar(v.frequent_cancellation_count, v.frequent_cancellation_window_ms, v.duplicate_unpaid_others,
     v.duplicate_unpaid_window_ms, v.anomaly_min_orders, v.anomaly_history, v.anomaly_multiple, v.anomaly_min_excess,
     v.negative_review_max_score, v.rider_cancel_count, v.rider_cancel_window_ms, v.hotspot_count, v.hotspot_window_ms);
}

#undef OG_DESCRIBE

// Tripwires: a struct that grows has probably gained a field the snapshot does not write yet.
// Add the field to its describe() above, then update the size here.
static_assert(sizeof(EventFields) == 256, "EventFields changed: update describe(Event) in engine/snapshot.cc");
static_assert(sizeof(Event) == 320, "Event changed: update describe(Event) in engine/snapshot.cc");
static_assert(sizeof(OrderState) == 200, "OrderState changed: update describe(OrderState) in engine/snapshot.cc");
static_assert(sizeof(OrderExtras) == 176, "OrderExtras changed: update describe(OrderExtras) in engine/snapshot.cc");
static_assert(sizeof(UserState) == 72, "UserState changed: update describe(UserState) in engine/snapshot.cc");
static_assert(sizeof(RiderState) == 80, "RiderState changed: update describe(RiderState) in engine/snapshot.cc");
static_assert(sizeof(PlaybookRun) == 160, "PlaybookRun changed: update describe(PlaybookRun) in engine/snapshot.cc");
static_assert(sizeof(Incident) == 288, "Incident changed: update describe(Incident) in engine/snapshot.cc");
static_assert(sizeof(Command) == 632, "Command changed: update describe(Command) in engine/snapshot.cc");
static_assert(sizeof(RulesConfig) == 488, "RulesConfig changed: update describe(RulesConfig) in engine/snapshot.cc");
static_assert(sizeof(Step) == 328, "Step changed: update describe(Step) in engine/snapshot.cc");
static_assert(sizeof(Policies) == 256, "Policies changed: update describe(Policies) in engine/snapshot.cc");
static_assert(sizeof(EngineCounters) == 64, "EngineCounters changed: update describe(EngineCounters)");
static_assert(sizeof(people::Case) == 432, "people::Case changed: update people/people_serial.h");
static_assert(sizeof(people::Action) == 200, "people::Action changed: update people/people_serial.h");

}  // namespace og::serial

namespace og {

using serial::sym;
using serial::syms;

namespace {

constexpr std::string_view kMagic = "OGSNAPSH";
// Raised whenever the payload's layout changes; restore() reads only its own version.
constexpr std::uint32_t kVersion = 6;
constexpr std::size_t kHeaderBytes = 32;  // magic, version, reserved (0), payload length, hash

void put_fixed(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_fixed(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)])) << (8 * i);
  }
  return value;
}

// Hash-map contents in key order: the bytes must not depend on the table's history.
template <typename Map>
std::vector<typename Map::key_type> sorted_keys(const Map& map) {
  std::vector<typename Map::key_type> keys;
  keys.reserve(map.size());
  for (const auto& entry : map) keys.push_back(entry.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}

template <typename Map>
void put_map(serial::Writer& w, const Map& map) {
  const auto keys = sorted_keys(map);
  w.varint(keys.size());
  for (const auto& key : keys) w(key, map.at(key));
}

// Keys in increasing order, each once; `check_key` validates one.
template <typename Map, typename CheckKey>
void get_map(serial::Reader& r, Map& map, CheckKey check_key) {
  map.clear();
  const std::size_t n = r.count();
  map.reserve(n);
  typename Map::key_type previous{};
  for (std::size_t i = 0; i < n; ++i) {
    typename Map::key_type key{};
    r(key);
    r.check(i == 0 || previous < key, "keys out of order");
    check_key(key);
    previous = key;
    r(map[key]);
  }
}

// The protected container of a std::priority_queue, in its heap order.
template <typename Queue>
struct QueueAccess : Queue {
  static typename Queue::container_type& of(Queue& queue) { return queue.*&QueueAccess::c; }
  static const typename Queue::container_type& of(const Queue& queue) { return queue.*&QueueAccess::c; }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Storage pools

void IdArena::save(serial::Writer& w) const {
  w.varint(blocks_.size());
  for (std::size_t b = 0; b < blocks_.size(); ++b) {
    const std::size_t used = b + 1 < blocks_.size() ? filled_[b] : used_;
    w.bytes(std::string_view(blocks_[b].get(), used));
  }
}

void IdArena::load(serial::Reader& r) {
  blocks_.clear();
  filled_.clear();
  used_ = 0;
  const std::size_t count = r.count();
  r.check(count <= (std::size_t{1} << (32 - kBlockBits)), "too many evidence id blocks");
  for (std::size_t b = 0; b < count; ++b) {
    const std::string_view bytes = r.bytes();
    r.check(bytes.size() <= kBlockBytes, "an evidence id block over 1 MiB");
    r.check(b != 0 || !bytes.empty(), "an evidence id arena without its first byte");
    if (!blocks_.empty()) filled_.push_back(static_cast<std::uint32_t>(used_));
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
    std::memcpy(blocks_.back().get(), bytes.data(), bytes.size());
    used_ = bytes.size();
  }
}

bool IdArena::holds(EventRef ref) const {
  if (ref.at == 0) return true;
  const std::size_t block = ref.at >> kBlockBits;
  const std::size_t position = ref.at & (kBlockBytes - 1);
  if (block >= blocks_.size()) return false;
  const std::size_t used = block + 1 < blocks_.size() ? filled_[block] : used_;
  if (position >= used) return false;
  return std::size_t{static_cast<unsigned char>(blocks_[block][position])} <= used - position - 1;
}

void ItemPool::save(serial::Writer& w) const {
  w.varint(chunks_.size());
  for (std::size_t c = 0; c < chunks_.size(); ++c) {
    const std::size_t used = c + 1 < chunks_.size() ? filled_[c] : used_;
    w.varint(used);
    const ItemRange all{static_cast<std::uint32_t>(c), 0, static_cast<std::uint16_t>(used)};
    for (const OrderItem& item : view(all)) w(item);
  }
}

void ItemPool::load(serial::Reader& r) {
  chunks_.clear();
  filled_.clear();
  wide_prices_.clear();
  wide_qtys_.clear();
  used_ = kChunkItems;
  const std::size_t count = r.count();
  for (std::size_t c = 0; c < count; ++c) {
    const std::size_t used = r.count();
    r.check(used <= kChunkItems, "an item chunk over its size");
    if (!chunks_.empty()) filled_.push_back(static_cast<std::uint16_t>(used_));
    chunks_.push_back(std::make_unique_for_overwrite<Line[]>(kChunkItems));
    for (std::size_t i = 0; i < used; ++i) {
      OrderItem item;
      r(item);
      put(chunks_.back()[i], std::uint64_t{c} << kChunkBits | i, item);
    }
    used_ = used;
  }
}

bool ItemPool::holds(ItemRange range) const {
  if (range.count == 0) return true;
  if (range.chunk >= chunks_.size()) return false;
  const std::size_t used = range.chunk + 1u < chunks_.size() ? filled_[range.chunk] : used_;
  return std::size_t{range.offset} + range.count <= used;
}

// ---------------------------------------------------------------------------------------------
// Incident log

void IncidentLog::save(serial::Writer& w) const {
  w(incidents_);
  std::vector<std::pair<std::tuple<std::uint8_t, Symbol, std::uint32_t>, std::uint32_t>> open;
  open.reserve(open_.size());
  for (const auto& [key, index] : open_) {
    open.push_back({{static_cast<std::uint8_t>(key.type), key.subject, key.detail}, index});
  }
  std::sort(open.begin(), open.end());
  w.varint(open.size());
  for (const auto& entry : open) w(entry.second);  // the key follows from the incident
}

void IncidentLog::load(serial::Reader& r) {
  incidents_.clear();
  open_.clear();
  opened_for_.clear();
  by_id_hash_.clear();
  r(incidents_);
  for (std::size_t i = 0; i < incidents_.size(); ++i) {
    const Incident& incident = incidents_[i];
    r.check(incident.index == i, "an incident out of its place");
    const std::string_view id = incident.id;
    r.check(id.size() == 20 && id.starts_with("inc-"), "an incident id not of the form inc-<16 hex digits>");
    std::uint64_t h = 0;
    for (const char c : id.substr(4)) {
      const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      r.check(digit >= 0, "an incident id not of the form inc-<16 hex digits>");
      h = h << 4 | static_cast<std::uint64_t>(digit);
    }
    r.check(by_id_hash_.emplace(h, incident.index).second, "two incidents with one id");
  }
  const std::size_t open = r.count();
  for (std::size_t i = 0; i < open; ++i) {
    std::uint32_t index = 0;
    r(index);
    r.check(index < incidents_.size() && !incidents_[index].is_closed(), "an open-incident index past the log");
    r.check(open_.emplace(key_of(incidents_[index]), index).second, "two open incidents with one key");
    mark_opened_for(incidents_[index].subject);
  }
}

// ---------------------------------------------------------------------------------------------
// The core

void EngineCore::save(serial::Writer& w) const {
  // Configuration, with every playbook version still in use: the current one first, then
  // those open incidents keep, in incident order; runs name theirs by position.
  std::vector<std::shared_ptr<const HandlingConfig>> versions{config.handling};
  std::vector<std::uint32_t> run_keys = sorted_keys(runs_);
  for (const std::uint32_t key : run_keys) {
    const auto& version = runs_.at(key).config;
    if (std::find(versions.begin(), versions.end(), version) == versions.end()) versions.push_back(version);
  }
  w.varint(versions.size());
  for (const auto& version : versions) w(*version);
  w(config);

  // Interned strings in symbol order: interning them again gives the same numbering.
  w.varint(interner.size());
  for (Symbol s = 1; s < interner.size(); ++s) w.bytes(interner.view(s));

  w(max_ts, watermark, counters, gmv, notifications_suppressed, finishing_);

  // Reorder buffer: the slots (free ones are empty), the staging slot, both lanes.
  std::vector<std::uint8_t> free(pending_events_.size(), 0);
  for (const std::uint32_t slot : free_slots_) free[slot] = 1;
  w.varint(pending_events_.size());
  for (std::size_t slot = 0; slot < pending_events_.size(); ++slot) {
    w(free[slot] != 0);
    if (free[slot] == 0) w(pending_events_[slot]);
  }
  w(free_slots_);
  w(staging_slot_);
  const auto put_lane = [&w](const auto& lane) {
    w.varint(lane.size());
    for (const Pending& pending : lane) w(pending.slot);  // ts and rank follow from the event
  };
  put_lane(in_order_);
  put_lane(QueueAccess<decltype(out_of_order_)>::of(out_of_order_));

  seen_ids_.save(w);
  timers_.save(w);
  ids_.save(w);
  item_pool_.save(w);

  w.varint(orders_.size());
  for (std::size_t o = 0; o < orders_.size(); ++o) w(orders_[o]);
  w.varint(order_by_symbol_.size());
  put_map(w, extras_);
  const std::vector<Symbol> user_ids = users_.symbols();
  const std::vector<Symbol> rider_ids = riders_.symbols();
  const auto put_records = [&w](const auto& records) {  // as a std::deque of them was written
    w.varint(records.size());
    for (const auto& record : records) w(record);
  };
  w(syms(user_ids));
  put_records(users_.records());
  w(syms(rider_ids));
  put_records(riders_.records());
  put_map(w, catalog_);
  const auto stock_keys = sorted_keys(stock_levels_);
  w.varint(stock_keys.size());
  for (const Symbol sku : stock_keys) w(sym(sku), stock_levels_.at(sku).available, stock_levels_.at(sku).at);
  put_map(w, zones_);
  put_map(w, hotspots_);

  log.save(w);
  w.varint(run_keys.size());
  for (const std::uint32_t key : run_keys) {
    const PlaybookRun& run = runs_.at(key);
    w.varint(static_cast<std::size_t>(std::find(versions.begin(), versions.end(), run.config) - versions.begin()));
    w(run);
  }
  w(to_start_, commands, escalations, refusals, desk_actions);
  desk.save(w);
  notify_limiter_.save(w);
  // Rate caps, added at the end of format 1: every playbook version's caps, then the windows.
  for (const auto& version : versions) w(version->policies.rate_caps);
  rate_caps.save(w);
  std::vector<std::pair<std::uint32_t, std::uint8_t>> held;  // incidents a cap sent to people
  for (const Incident& incident : log.all()) {
    if (incident.rate_capped != 0) held.emplace_back(incident.index, incident.rate_capped);
  }
  w(held);
}

std::unique_ptr<EngineCore> EngineCore::load(serial::Reader& r) {
  r.section("configuration");
  std::vector<std::shared_ptr<const HandlingConfig>> versions(r.count());
  r.check(!versions.empty(), "no playbook configuration");
  std::vector<HandlingConfig*> editable;  // until the rate caps section fills in their caps
  for (auto& version : versions) {
    auto handling = std::make_shared<HandlingConfig>();
    r(*handling);
    editable.push_back(handling.get());
    version = std::move(handling);
  }
  RulesConfig rules;
  r(rules);
  rules.handling = versions.front();
  auto core = std::make_unique<EngineCore>(std::move(rules));
  EngineCore& c = *core;

  r.section("interned ids");
  const std::size_t symbols = r.count();
  r.check(symbols >= 1, "no interned ids");
  for (std::size_t s = 1; s < symbols; ++s) {
    const std::string_view text = r.bytes();
    r.check(!text.empty() && text.size() <= UINT16_MAX && c.interner.intern(text) == s, "an interned id twice");
  }
  r.set_symbol_limit(symbols);

  r.section("time and counters");
  r(c.max_ts, c.watermark, c.counters, c.gmv, c.notifications_suppressed, c.finishing_);
  r.check(!c.finishing_, "a snapshot taken while finishing");

  r.section("reorder buffer");
  const std::size_t slots = r.count();
  c.pending_events_.grow_to(slots);
  std::vector<std::uint8_t> used(slots, 0);  // 1: free, 2: staged, 3: queued
  for (std::size_t slot = 0; slot < slots; ++slot) {
    bool is_free = false;
    r(is_free);
    if (is_free) {
      used[slot] = 1;
    } else {
      r(c.pending_events_[slot]);
    }
  }
  r(c.free_slots_, c.staging_slot_);
  for (const std::uint32_t slot : c.free_slots_) {
    r.check(slot < slots && used[slot] == 1, "a free slot that is not free, or free twice");
    used[slot] = 4;
  }
  r.check(std::count(used.begin(), used.end(), std::uint8_t{1}) == 0, "a free slot missing from the free list");
  if (c.staging_slot_ != kNoSlot) {
    r.check(c.staging_slot_ < slots && used[c.staging_slot_] == 0, "a staging slot that is taken");
    used[c.staging_slot_] = 2;
  }
  const auto get_lane = [&](auto& lane) {
    lane.resize(r.count());
    for (Pending& pending : lane) {
      std::uint32_t slot = 0;
      r(slot);
      r.check(slot < slots && used[slot] == 0, "a buffered event in a slot that is taken");
      used[slot] = 3;
      const Event& event = c.pending_events_[slot];
      pending = Pending{event.ts, static_cast<std::uint8_t>(event.type), slot};
    }
  };
  get_lane(c.in_order_);
  auto& heap = QueueAccess<decltype(c.out_of_order_)>::of(c.out_of_order_);
  get_lane(heap);
  r.check(std::count(used.begin(), used.end(), std::uint8_t{0}) == 0, "an event slot in no lane");

  r.section("dedupe");
  c.seen_ids_.load(r);
  r.section("timers");
  c.timers_.load(r);
  r.section("evidence ids");
  c.ids_.load(r);
  r.section("order items");
  c.item_pool_.load(r);

  r.section("orders");
  for (std::size_t o = 0, n = r.count(); o < n; ++o) r(c.orders_.emplace_back());
  std::size_t by_symbol = 0;
  r(by_symbol);
  // order_index() grows the index to at most twice the largest order symbol.
  r.check(by_symbol <= 2 * symbols, "an order index larger than the interned ids allow");
  c.order_by_symbol_.assign(by_symbol, 0);
  for (std::size_t o = 0; o < c.orders_.size(); ++o) {
    const OrderState& s = c.orders_[o];
    r.check(s.order_id != kNoSymbol && s.order_id < by_symbol && c.order_by_symbol_[s.order_id] == 0,
            "an order under no id, or two orders under one");
    c.order_by_symbol_[s.order_id] = static_cast<std::uint32_t>(o + 1);
    r.check(c.item_pool_.holds(s.items), "an order's items outside the item pool");
    if (s.track.allocated()) ++c.delivery_tracks_;
    for (const EventRef ref : {s.created_event, s.paid_event, s.cancelled_event, s.stage_event, s.stall_event}) {
      r.check(c.ids_.holds(ref), "an evidence id outside the arena");
    }
  }
  const std::size_t orders = c.orders_.size();
  get_map(r, c.extras_, [&](std::uint32_t o) { r.check(o < orders, "extras of an unknown order"); });

  r.section("users and riders");
  const auto get_table = [&r](auto& table) {
    std::vector<Symbol> keys;
    r(syms(keys));
    std::vector<std::remove_cvref_t<decltype(*table.records().begin())>> records;
    r(records);
    r.check(records.size() == keys.size(), "a table with more records than ids");
    for (std::size_t i = 0; i < keys.size(); ++i) {
      r.check(keys[i] != kNoSymbol && table.find(keys[i]) == nullptr, "a table record under no id, or twice");
      table[keys[i]] = std::move(records[i]);
    }
  };
  get_table(c.users_);
  get_table(c.riders_);

  r.section("master data");
  get_map(r, c.catalog_, [](Symbol) {});
  const std::size_t stock = r.count();
  for (std::size_t i = 0; i < stock; ++i) {
    Symbol sku = kNoSymbol;
    r(sym(sku));
    r.check(!c.stock_levels_.contains(sku), "a stock level twice");
    StockLevel& level = c.stock_levels_[sku];
    r(level.available, level.at);
  }
  get_map(r, c.zones_, [](Symbol) {});
  get_map(r, c.hotspots_, [](std::uint64_t) {});

  r.section("incidents");
  c.log.load(r);
  const std::size_t incidents = c.log.all().size();

  r.section("playbook runs");
  const std::size_t runs = r.count();
  for (std::size_t i = 0; i < runs; ++i) {
    const std::size_t version = r.count();
    r.check(version < versions.size(), "a run of an unknown playbook version");
    PlaybookRun run;
    r(run);
    run.config = versions[version];
    r.check(run.incident < incidents && !c.runs_.contains(run.incident), "a run of an unknown incident, or two");
    r.check(run.order == UINT32_MAX || run.order < orders, "a run of an unknown order");
    const auto& steps = run.config->playbooks[static_cast<std::size_t>(c.log.at(run.incident).type)].steps;
    r.check(run.step < steps.size(), "a run at a step its playbook does not have");
    c.runs_.emplace(run.incident, std::move(run));
  }

  r.section("handling");
  r(c.to_start_, c.commands, c.escalations, c.refusals, c.desk_actions);
  for (const std::uint32_t index : c.to_start_) r.check(index < incidents, "an unknown incident to start");
  for (const std::uint32_t index : c.escalations) r.check(index < incidents, "an unknown escalated incident");
  for (const UserState& user : c.users_.records()) {
    for (const std::uint32_t index : user.read().incidents) r.check(index < incidents, "a user's incident past the log");
  }
  for (const auto& [o, extra] : c.extras_) {
    r.check(extra.last_refund_command == UINT32_MAX || extra.last_refund_command < c.commands.size(),
            "an order's refund past the commands");
  }
  r.section("people desk");
  c.desk.load(r);
  r.section("notification limits");
  c.notify_limiter_.load(r);
  r.section("rate caps");
  if (r.at_end()) {
    // A snapshot from before rate caps: their defaults, with nothing sent yet.
    for (HandlingConfig* version : editable) version->policies.rate_caps = default_handling()->policies.rate_caps;
  } else {
    for (HandlingConfig* version : editable) {
      r(version->policies.rate_caps);
      for (const RateCap& cap : version->policies.rate_caps) {
        r.check(cap.count >= 0 && cap.amount >= 0 && cap.window_ms >= 0, "a negative rate cap");
      }
    }
    c.rate_caps.load(r);
    std::vector<std::pair<std::uint32_t, std::uint8_t>> held;
    r(held);
    for (const auto& [index, kind] : held) {
      r.check(index < c.log.all().size() && kind >= 1 && kind <= kRateCapCount, "an unknown incident held by a rate cap");
      c.log.at(index).rate_capped = kind;
    }
  }
  r.section("end");
  r.check(r.at_end(), "bytes after the end");

  // Cross-references between sections.
  r.section("references");
  for (const auto& [o, extra] : c.extras_) {
    for (const std::uint32_t index : extra.incidents) r.check(index < incidents, "an order's unknown incident");
    for (const RefundWatch& watch : extra.refunds) {
      r.check(c.ids_.holds(watch.requested_event), "an evidence id outside the arena");
    }
  }
  for (const UserState& u : c.users_.records()) {
    for (const auto& entry : u.recent_orders) r.check(entry.second < orders, "a user's unknown order");
  }
  for (const auto& [key, window] : c.hotspots_) {
    for (const auto& entry : window.incidents) r.check(entry.second < incidents, "a hotspot's unknown incident");
  }
  bool timers_ok = true;
  c.timers_.for_each_live([&](TimeMs, std::uint64_t payload) {
    const auto o = static_cast<std::uint32_t>(payload >> 32);
    const auto kind = (payload >> 16) & 0xffu;
    const auto detail = payload & 0xffffu;
    if (kind > static_cast<std::uint64_t>(TimerKind::kPlaybook)) timers_ok = false;
    if (kind != static_cast<std::uint64_t>(TimerKind::kPlaybook) && o >= orders) timers_ok = false;
    if (kind == static_cast<std::uint64_t>(TimerKind::kStage) && detail >= kStageCount) timers_ok = false;
  });
  r.check(timers_ok, "a timer for an unknown order, or of an unknown kind");
  return core;
}

// ---------------------------------------------------------------------------------------------
// The facade

Engine::Engine(std::unique_ptr<EngineCore> core) : core_(std::move(core)) {}

std::string Engine::snapshot() const {
  std::string out(kHeaderBytes, '\0');
  serial::Writer w(out);
  core_->save(w);
  const std::string_view payload = std::string_view(out).substr(kHeaderBytes);
  std::string header(kMagic);
  put_fixed(header, kVersion, 4);
  put_fixed(header, 0, 4);
  put_fixed(header, payload.size(), 8);
  put_fixed(header, hash64(payload), 8);
  out.replace(0, kHeaderBytes, header);
  return out;
}

tl::expected<std::unique_ptr<Engine>, std::string> Engine::restore(std::string_view bytes) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return tl::unexpected(std::string("snapshot: not an OrderGuard engine snapshot (no OGSNAPSH header)"));
  }
  if (bytes.size() < kHeaderBytes) {
    return tl::unexpected(fmt::format("snapshot: truncated: {} bytes, shorter than the {}-byte header", bytes.size(),
                                      kHeaderBytes));
  }
  const std::uint64_t version = get_fixed(bytes, 8, 4);
  if (version != kVersion) {
    return tl::unexpected(fmt::format("snapshot: format version {}, this build reads version {}", version, kVersion));
  }
  if (get_fixed(bytes, 12, 4) != 0) return tl::unexpected(std::string("snapshot: corrupt header (reserved bytes set)"));
  const std::uint64_t length = get_fixed(bytes, 16, 8);
  const std::size_t present = bytes.size() - kHeaderBytes;
  if (length > present) {
    return tl::unexpected(fmt::format("snapshot: truncated: the payload has {} of its {} bytes", present, length));
  }
  if (length < present) {
    return tl::unexpected(fmt::format("snapshot: {} bytes after the {}-byte payload", present - length, length));
  }
  const std::string_view payload = bytes.substr(kHeaderBytes);
  if (hash64(payload) != get_fixed(bytes, 24, 8)) {
    return tl::unexpected(std::string("snapshot: corrupt: the payload does not match its checksum"));
  }
  try {
    serial::Reader r(payload, kHeaderBytes);
    return std::unique_ptr<Engine>(new Engine(EngineCore::load(r)));
  } catch (const serial::Error& error) {
    return tl::unexpected(std::string(error.what()));
  } catch (const std::exception& error) {  // an allocation or a limit of the storage
    return tl::unexpected(fmt::format("snapshot: cannot be restored: {}", error.what()));
  }
}

}  // namespace og
