#include "engine/engine.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/hash.h"
#include "engine/engine_core.h"

namespace og {
namespace {

// One window per (community, type): the exact pair, never a hash that could merge two.
std::uint64_t hotspot_key(Symbol community, IncidentType type) {
  return (static_cast<std::uint64_t>(community) << 8) | static_cast<std::uint64_t>(type);
}

// Timer payload: order index (32 bits) | kind (8 bits) | detail (16 bits).
std::uint64_t pack(std::uint32_t order, TimerKind kind, std::uint32_t detail) {
  return (static_cast<std::uint64_t>(order) << 32) | (static_cast<std::uint64_t>(kind) << 16) | (detail & 0xffffu);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Engine (public facade)

Engine::Engine(RulesConfig config) : core_(std::make_unique<EngineCore>(std::move(config))) {}
Engine::~Engine() = default;
Interner& Engine::interner() { return core_->interner; }
const Interner& Engine::interner() const { return core_->interner; }
IngestOutcome Engine::ingest(const Event& event) { return core_->ingest(event); }
Event& Engine::staging_event() { return core_->staging_event(); }
IngestOutcome Engine::ingest_staged() { return core_->ingest_staged(); }
void Engine::advance_watermark(TimeMs time_ms) { core_->advance_watermark(time_ms); }
void Engine::prefetch_event_id(std::uint64_t id_hash) const { core_->prefetch_event_id(id_hash); }
void Engine::finish(TimeMs until_ms) { core_->finish(until_ms); }
void Engine::replace_config(RulesConfig config) { core_->config = std::move(config); }
TimeMs Engine::watermark() const { return core_->watermark; }
TimeMs Engine::max_event_time() const { return core_->max_ts; }
const IncidentLog& Engine::incidents() const { return core_->log; }
const EngineCounters& Engine::counters() const { return core_->counters; }
const RulesConfig& Engine::config() const { return core_->config; }
std::size_t Engine::order_count() const { return core_->order_count(); }

std::optional<OrderView> Engine::order_view(std::string_view order_id) const {
  const Symbol symbol = core_->interner.find(order_id);
  const std::uint32_t o = core_->find_order(symbol);
  if (o == UINT32_MAX) return std::nullopt;
  const OrderState& s = core_->orders_view()[o];
  const auto view = [&](Symbol value) { return std::string(core_->interner.view(value)); };
  OrderView out{view(s.user), view(s.zone), view(s.community), view(s.rider), s.amount, s.vip, {}, s.promise_at()};
  const std::pair<std::string_view, TimeMs> milestones[] = {
      {"created", s.created_at()},           {"paid", s.paid_at()},
      {"payment_failed", s.payment_failed_at()}, {"stock_reserved", s.reserved_at()},
      {"picking_started", s.pick_started_at()}, {"picking_completed", s.pick_completed_at()},
      {"rider_assigned", s.rider_assigned_at()}, {"rider_cancelled", s.rider_cancelled_at()},
      {"picked_up", s.picked_up_at()},       {"delivered", s.delivered_at()},
      {"completed", s.completed_at()},       {"stock_released", s.released_at()},
      {"cancelled", s.cancelled_at()},
  };
  for (const auto& milestone : milestones) {
    if (milestone.second != kAbsent) out.milestones.push_back(milestone);
  }
  std::stable_sort(out.milestones.begin(), out.milestones.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  return out;
}
EngineMemory Engine::memory_usage() const { return core_->memory_usage(); }
const std::vector<Command>& Engine::commands() const { return core_->commands; }
std::vector<std::uint32_t> Engine::take_closed_changes() { return std::exchange(core_->closed_changed, {}); }
const std::vector<std::uint32_t>& Engine::escalations() const { return core_->escalations; }
const std::vector<AgentRefusal>& Engine::agent_refusals() const { return core_->refusals; }
const std::string& Engine::refusal() const { return core_->refusal; }
const people::PeopleDesk& Engine::desk() const { return core_->desk; }
const std::vector<people::Action>& Engine::desk_actions() const { return core_->desk_actions; }
std::int64_t Engine::gmv() const { return core_->gmv; }
std::uint64_t Engine::notifications_suppressed() const { return core_->notifications_suppressed; }
const std::array<std::uint64_t, kRateCapCount>& Engine::rate_capped() const { return core_->rate_caps.capped(); }

// ---------------------------------------------------------------------------------------------
// Arrival, dedupe, reorder buffer, timers

EngineCore::EngineCore(RulesConfig config_in)
    : config(std::move(config_in)), seen_ids_(static_cast<std::size_t>(config.dedupe_max_ids)) {}

EngineMemory EngineCore::memory_usage() const {
  // Hash-map nodes cost their value plus about two pointers and the bucket slot.
  constexpr std::size_t kNodeOverhead = 3 * sizeof(void*);
  // A heap block costs its bytes plus the allocator's header and rounding, about 16 bytes.
  constexpr std::size_t kBlockOverhead = 16;
  const auto block = [](const auto& vector) {
    return vector.capacity() == 0 ? 0 : vector.capacity() * sizeof(vector[0]) + kBlockOverhead;
  };
  EngineMemory memory;
  memory.orders = orders_.memory_bytes() + order_by_symbol_.capacity() * sizeof(std::uint32_t);
  memory.orders += delivery_tracks_ * (sizeof(DeliveryTrack) + kBlockOverhead);
  memory.order_items = item_pool_.memory_bytes();
  for (const auto& [order, extra] : extras_) {
    memory.order_extras += sizeof(OrderExtras) + kNodeOverhead + extra.more_payments.capacity() * sizeof(PaymentRecord) +
                           extra.refunds.capacity() * sizeof(RefundWatch) +
                           extra.accepted_substitutions.capacity() * sizeof(std::pair<Symbol, Symbol>) +
                           extra.incidents.capacity() * sizeof(std::uint32_t) +
                           extra.picked_before_created.capacity() * sizeof(Item);
  }
  memory.dedupe = seen_ids_.memory_bytes();
  memory.interned = interner.bytes_used();
  memory.evidence_ids = ids_.memory_bytes();
  memory.timers = timers_.memory_bytes();
  memory.people = users_.memory_bytes() + riders_.memory_bytes();
  for (const UserState& user : users_.records()) {
    memory.people += block(user.recent_orders) + block(user.amounts);
    if (user.history) {
      memory.people += sizeof(UserHistory) + kBlockOverhead + block(user.history->user_cancellations) + block(user.history->incidents);
    }
  }
  for (const RiderState& rider : riders_.records()) memory.people += block(rider.cancellations);
  memory.reorder_buffer = pending_events_.capacity() * sizeof(Event) + block(free_slots_) + block(spare_items_) +
                          (in_order_.size() + out_of_order_.size()) * sizeof(Pending);
  for (std::size_t slot = 0; slot < pending_events_.size(); ++slot) {
    const Event& event = pending_events_[slot];
    memory.reorder_buffer += block(event.items) + (event.id.capacity() > 15 ? event.id.capacity() + 1 + kBlockOverhead : 0);
    if (event.has_rare()) {
      const EventRare& rare = event.rare_parts();
      memory.reorder_buffer += sizeof(EventRare) + kBlockOverhead + block(rare.tags) + block(rare.pickup_points) + block(rare.channels);
    }
  }
  for (const std::vector<Item>& items : spare_items_) memory.reorder_buffer += block(items);
  memory.incidents = log.memory_bytes();
  for (const Incident& incident : log.all()) memory.incidents += sizeof(Incident) + incident.id.capacity();
  return memory;
}

std::uint32_t EngineCore::new_order_index(Symbol order_id) {
  // Grown by an eighth, not doubled: the index spans every symbol, and doubling leaves up to
  // half of it unused.
  if (order_by_symbol_.size() <= order_id) {
    const std::size_t capacity = order_by_symbol_.capacity();
    if (order_id >= capacity) order_by_symbol_.reserve(std::max<std::size_t>(order_id + 1, capacity + capacity / 8 + 1024));
    order_by_symbol_.resize(order_id + 1, 0);
  }
  std::uint32_t& slot = order_by_symbol_[order_id];
  if (slot == 0) {
    orders_.emplace_back().order_id = order_id;
    slot = static_cast<std::uint32_t>(orders_.size());
  }
  return slot - 1;
}

bool EngineCore::is_duplicate(const Event& event) {
  if (event.order_id != kNoSymbol) order_index(event.order_id);  // the order exists from its first event
  return !seen_ids_.insert(event.id_hash);
}

OrderExtras& EngineCore::extras(std::uint32_t o) {
  orders_[o].has_extras = true;
  return extras_[o];
}

const OrderExtras* EngineCore::find_extras(std::uint32_t o) const {
  if (!orders_[o].has_extras) return nullptr;
  const auto it = extras_.find(o);
  return it == extras_.end() ? nullptr : &it->second;
}

void ItemPool::put(Line& line, std::uint64_t position, const OrderItem& item) {
  std::memcpy(line.bytes, &item.sku, sizeof item.sku);
  std::int32_t price = kWidePrice;
  if (item.unit_price == kAbsent) {
    price = kNoPrice;
  } else if (item.unit_price > kWidePrice && item.unit_price <= INT32_MAX) {
    price = static_cast<std::int32_t>(item.unit_price);
  } else {
    wide_prices_[position] = item.unit_price;
  }
  std::memcpy(line.bytes + 4, &price, sizeof price);
  if (item.qty < kWideQty) {
    line.bytes[8] = static_cast<std::uint8_t>(item.qty);
  } else {
    line.bytes[8] = kWideQty;
    wide_qtys_[position] = item.qty;
  }
}

ItemRange ItemPool::add(const std::vector<Item>& items) {
  if (items.empty()) return {};
  if (used_ + items.size() > kChunkItems) {
    if (!chunks_.empty()) filled_.push_back(static_cast<std::uint16_t>(used_));
    chunks_.push_back(std::make_unique_for_overwrite<Line[]>(kChunkItems));
    used_ = 0;
  }
  const std::uint64_t chunk = chunks_.size() - 1;
  Line* out = chunks_.back().get();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const auto qty = static_cast<std::uint64_t>(item.qty);
    put(out[used_ + i], chunk << kChunkBits | (used_ + i),
        OrderItem{item.sku, static_cast<std::uint32_t>(std::min<std::uint64_t>(qty, UINT32_MAX)), item.unit_price});
  }
  const ItemRange range{static_cast<std::uint32_t>(chunk), static_cast<std::uint16_t>(used_),
                        static_cast<std::uint16_t>(items.size())};
  used_ += items.size();
  return range;
}

std::uint64_t canonical_hash(std::span<const SkuQty> items) {
  std::uint64_t h = 0x51ed27d0b4a1c3f5ULL;
  for (const SkuQty& item : items) h = hash_combine(hash_combine(h, item.sku), static_cast<std::uint64_t>(item.qty));
  return h;
}

std::uint32_t EngineCore::take_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  pending_events_.emplace_back();
  return static_cast<std::uint32_t>(pending_events_.size() - 1);
}

// Inline: it runs once per event, on the hot path.
[[gnu::always_inline]] inline void EngineCore::free_slot(std::uint32_t slot, Event& event) {
  std::vector<Item>& items = event.items;
  if (items.capacity() != 0) {
    items.clear();
    spare_items_.emplace_back(std::move(items));  // leaves `items` without storage
  }
  event.drop_rare();
  free_slots_.push_back(slot);
}

Event& EngineCore::staging_event() {
  if (staging_slot_ == kNoSlot) {
    staging_slot_ = take_slot();
    Event& event = pending_events_[staging_slot_];
    if (event.items.capacity() == 0 && !spare_items_.empty()) {
      event.items.swap(spare_items_.back());
      spare_items_.pop_back();
    }
    return event;
  }
  return pending_events_[staging_slot_];
}

IngestOutcome EngineCore::ingest(const Event& event) {
  staging_event() = event;
  return ingest_staged();
}

void EngineCore::refuse_time_jump(const Event& event) {
  const DurationMs jump = event.ts - max_ts;
  const std::string ahead = jump >= 2 * 24 * kHourMs ? fmt::format("{} days", jump / (24 * kHourMs))
                                                      : fmt::format("{} hours", jump / kHourMs);
  refusal = fmt::format(
      "ts: {} is {} after the newest event time {} (more than engine.max_time_jump, {}): not applied; check the "
      "source's clock, and that epoch values are milliseconds",
      format_utc_ms(event.ts), ahead, format_utc_ms(max_ts), format_duration(config.max_time_jump_ms));
}

IngestOutcome EngineCore::ingest_staged() {
  const std::uint32_t slot = staging_slot_;
  staging_slot_ = kNoSlot;
  Event& event = pending_events_[slot];
  // A newest time within one jump of 1970 is no reference: people's actions before any event
  // are stamped at 0 (decisions #35).
  if (max_ts != kAbsent && max_ts > config.max_time_jump_ms && event.ts - max_ts > config.max_time_jump_ms) [[unlikely]] {
    refuse_time_jump(event);
    free_slot(slot, event);
    return IngestOutcome::kRefused;  // not remembered either: the same id with a right ts is welcome
  }
  if (is_duplicate(event)) {
    ++counters.events_duplicate;
    free_slot(slot, event);
    return IngestOutcome::kDuplicate;
  }
  ++counters.events_accepted;
  if (watermark != kAbsent && event.ts < watermark) {
    ++counters.events_late;
    apply(event);
    free_slot(slot, event);
    expire(watermark);  // deadlines the late event armed in the past fire now, in order
    return IngestOutcome::kLate;
  }
  std::vector<Item>& items = event.items;
  if (items.empty()) {
    if (items.capacity() != 0) spare_items_.emplace_back(std::move(items));
  } else if (items.capacity() > items.size() + items.size() / 4) {
    // The list waits for the whole bound (~9.5K of them at 1M open orders): one grown by
    // doubling, or passed on from a longer event, would keep up to half its bytes unused.
    // Lists of the same length then pass from slot to slot with no further allocation.
    items.shrink_to_fit();
  }
  buffer(Pending{event.ts, static_cast<std::uint8_t>(event.type), slot});
  if (max_ts == kAbsent || event.ts > max_ts) {
    max_ts = event.ts;
    watermark = max_ts - config.max_out_of_orderness_ms;
  }
  release(watermark);
  expire(watermark);
  fire_sla_deadlines();
  return IngestOutcome::kAccepted;
}

// Inline, with the heap's work out of line: once per event, and nearly every event arrives
// in order (the FIFO lane).
[[gnu::always_inline]] inline void EngineCore::buffer(Pending pending) {
  if (in_order_.empty() || !PendingAfter{this}(in_order_.back(), pending)) [[likely]] {
    in_order_.push_back(pending);
  } else {
    buffer_out_of_order(pending);
  }
}

// Many events that arrive behind the newest only tie with it: an event of the same
// millisecond came first with a later lifecycle step or id. In the bench's steady stream that
// is every out-of-order event, a quarter of all at 1M open orders, where the heap grew to 54K
// entries and its pops missed the cache (12% of replay). Their place is a few entries from
// the FIFO's back, so they are put there; only events further behind go to the heap.
void EngineCore::buffer_out_of_order(Pending pending) {
  constexpr std::size_t kMaxPassed = 16;
  if (!in_order_.insert_near_back(pending, kMaxPassed, PendingAfter{this})) out_of_order_.push(pending);
}

// Inline for the common case, a heap lane with nothing due yet (the loop runs it twice an
// event; late arrivals wait in the heap for most of the bound): the FIFO's head decides. The
// choice between two due heads and the heap's pop are out of line.
[[gnu::always_inline]] inline bool EngineCore::next_before(TimeMs before_ms, Pending& next) {
  if (out_of_order_.empty() || out_of_order_.top().ts >= before_ms) [[likely]] {
    if (in_order_.empty() || in_order_.front().ts >= before_ms) return false;
    next = in_order_.front();
    in_order_.pop_front();
    return true;
  }
  return next_of_both_before(before_ms, next);
}

bool EngineCore::next_of_both_before(TimeMs before_ms, Pending& next) {
  const bool fifo = !in_order_.empty() && in_order_.front().ts < before_ms;
  if (fifo && !PendingAfter{this}(in_order_.front(), out_of_order_.top())) {
    next = in_order_.front();
    in_order_.pop_front();
  } else {
    next = out_of_order_.top();
    out_of_order_.pop();
  }
  return true;
}

void EngineCore::advance_watermark(TimeMs time_ms) {
  const TimeMs candidate = time_ms - config.max_out_of_orderness_ms;
  if (watermark != kAbsent && candidate <= watermark) return;
  watermark = candidate;
  if (max_ts == kAbsent || time_ms > max_ts) max_ts = time_ms;
  release(watermark);
  expire(watermark);
  fire_sla_deadlines();
}

void EngineCore::fire_sla_deadlines() {
  if (const auto due = desk.next_deadline(); !due || *due >= watermark) [[likely]] return;
  if (desk.now() && *desk.now() < watermark) {
    (void)desk.advance(watermark);
    sync_desk();
  }
}

void EngineCore::finish(TimeMs until_ms) {
  if (max_ts == kAbsent && until_ms == kAbsent) return;
  const TimeMs end = max_ts == kAbsent ? until_ms : std::max(until_ms == kAbsent ? max_ts : until_ms, max_ts);
  finishing_ = true;  // deadlines fired now are not "live": no further event could arrive
  release(end + 1);
  // The input is complete, so nothing can arrive in time for a deadline at `end` any more.
  expire(end + 1);
  max_ts = end;
  watermark = std::max(watermark == kAbsent ? end : watermark, end + 1);
  // SLA deadlines at the end are past too (docs/people.md "Time").
  if (desk.now() && *desk.now() <= end) {
    (void)desk.advance(end + 1);
    sync_desk();
  }
  finishing_ = false;
}

void EngineCore::prefetch_release_ahead() const {
  // An event waits in the reorder buffer for the whole out-of-orderness bound (thousands of
  // events at a steady rate), so what its ingestion touched is cold again when it is applied.
  // A chain of hints a few events ahead, each step reading only what the step before fetched:
  // the event, then its order's index slot (and its rider's), then the order's state (and the
  // rider's record), then its item lines and delivery track (a ping's stall anchor).
  // They change nothing: the events are still applied one by one, in order.
  constexpr std::size_t kEvent = 12, kIndex = 8, kState = 4, kItems = 1;
  const std::size_t queued = in_order_.size();
  if (queued > kEvent) {
    const Event& event = pending_events_[in_order_[kEvent].slot];
    prefetch(&event.order_id);
    prefetch(&event.rider_id);  // events are not line-aligned: it may sit on the next line
  }
  if (queued > kIndex) {
    const Event& event = pending_events_[in_order_[kIndex].slot];
    prefetch_order(event.order_id);
    if (event.rider_id != kNoSymbol) riders_.prefetch_slot(event.rider_id);
  }
  const auto order_of = [this](std::size_t ahead) {
    const Symbol order_id = pending_events_[in_order_[ahead].slot].order_id;
    return order_id < order_by_symbol_.size() ? order_by_symbol_[order_id] : 0;  // index + 1
  };
  if (queued > kState) {
    if (const std::uint32_t slot = order_of(kState); slot != 0) {
      const char* state = reinterpret_cast<const char*>(&orders_[slot - 1]);
      for (std::size_t offset = 0; offset < sizeof(OrderState); offset += 64) prefetch(state + offset);
      prefetch(state + sizeof(OrderState) - 1);
    }
    if (const Symbol rider = pending_events_[in_order_[kState].slot].rider_id; rider != kNoSymbol) riders_.prefetch_record(rider);
  }
  if (queued > kItems) {
    if (const std::uint32_t slot = order_of(kItems); slot != 0) {
      const OrderState& s = orders_[slot - 1];
      item_pool_.prefetch(s.items);
      if (s.track.allocated()) prefetch(&s.track.get());
    }
  }
}

void EngineCore::release(TimeMs before_ms) {
  Pending next{};
  while (next_before(before_ms, next)) {
    prefetch_release_ahead();
    expire(next.ts);  // deadlines strictly before the event fire first
    Event& event = pending_events_[next.slot];
    apply(event);
    free_slot(next.slot, event);
  }
}

void EngineCore::expire(TimeMs before_ms) {
  timers_.expire_before(before_ms, [this](TimeMs deadline, std::uint64_t payload) { fire(deadline, payload); });
}

TimerId EngineCore::schedule(TimeMs deadline_ms, TimeMs now_ms, std::uint32_t o, TimerKind kind, std::uint32_t detail) {
  // A deadline already behind the event that arms it is known only at that event's time.
  return timers_.schedule(std::max(deadline_ms, now_ms), pack(o, kind, detail));
}

void EngineCore::reschedule(TimerId& timer, TimeMs deadline_ms, TimeMs now_ms, std::uint32_t o, TimerKind kind,
                            std::uint32_t detail) {
  timer = timers_.reschedule(timer, std::max(deadline_ms, now_ms), pack(o, kind, detail));
}

void EngineCore::fire(TimeMs at, std::uint64_t payload) {
  acting_at_ = at;
  ++counters.timers_fired;
  if (!finishing_ && max_ts != kAbsent && max_ts >= at) {
    const std::int64_t lag = max_ts - at;
    ++counters.timers_fired_live;
    counters.fire_lag_ms_total += lag;
    counters.fire_lag_ms_max = std::max(counters.fire_lag_ms_max, lag);
  }
  const auto o = static_cast<std::uint32_t>(payload >> 32);
  const auto kind = static_cast<TimerKind>((payload >> 16) & 0xffu);
  const auto detail = static_cast<std::uint32_t>(payload & 0xffffu);
  switch (kind) {
    case TimerKind::kPaymentTimeout: fire_payment_timeout(o, at); break;
    case TimerKind::kPaidNoOrder: fire_paid_no_order(o, at); break;
    case TimerKind::kRefundTimeout: fire_refund_timeout(o, detail, at); break;
    case TimerKind::kStockRelease: fire_stock_release(o, at); break;
    case TimerKind::kStage: fire_stage(o, static_cast<Stage>(detail), at); break;
    case TimerKind::kDeliveryLate: fire_delivery_late(o); break;
    case TimerKind::kStall: fire_stall(o, at); break;
    case TimerKind::kPlaybook: fire_playbook(o, detail, at); break;
  }
  start_playbooks();
}

void EngineCore::apply(const Event& e) {
  current_event_ = &e;
  acting_at_ = e.ts;
  if (e.order_id == kNoSymbol) {
    switch (e.type) {
      case EventType::kCatalogItem: on_catalog_item(e); break;
      case EventType::kStockLevel: on_stock_level(e); break;
      case EventType::kZoneConfig: on_zone_config(e); break;
      case EventType::kRiderStatus: on_rider_status(e); break;
      case EventType::kUserProfile: on_user_profile(e); break;
      default:
        if (is_agent_event(e.type)) on_agent_event(e);
        break;  // clock.tick only moves time
    }
    start_playbooks();
    current_event_ = nullptr;
    return;
  }
  const std::uint32_t o = order_index(e.order_id);
  switch (e.type) {
    case EventType::kOrderCreated: on_order_created(o, e); break;
    case EventType::kOrderAddressChanged: on_address_changed(o, e); break;
    case EventType::kOrderCancelled: on_order_cancelled(o, e); break;
    case EventType::kOrderCompleted: on_order_completed(o, e); break;
    case EventType::kPaymentSucceeded: on_payment_succeeded(o, e); break;
    case EventType::kPaymentFailed: on_payment_failed(o, e); break;
    case EventType::kRefundRequested: on_refund_requested(o, e); break;
    case EventType::kRefundSucceeded: on_refund_succeeded(o, e); break;
    case EventType::kRefundFailed: on_refund_failed(o, e); break;
    case EventType::kStockReserved: on_stock_reserved(o, e); break;
    case EventType::kStockShortage: on_stock_shortage(o, e); break;
    case EventType::kStockReleased: on_stock_released(o, e); break;
    case EventType::kPickingStarted: on_picking_started(o, e); break;
    case EventType::kPickingCompleted: on_picking_completed(o, e); break;
    case EventType::kSubstitutionResponded: on_substitution_responded(o, e); break;
    case EventType::kRiderAssigned: on_rider_assigned(o, e); break;
    case EventType::kRiderCancelled: on_rider_cancelled(o, e); break;
    case EventType::kRiderLocation: on_rider_location(o, e); break;
    case EventType::kDeliveryPickedUp: on_picked_up(o, e); break;
    case EventType::kDeliveryAttemptFailed: on_attempt_failed(o, e); break;
    case EventType::kDeliveryDelivered: on_delivered(o, e); break;
    case EventType::kComplaintFiled: on_complaint(o, e); break;
    case EventType::kRatingSubmitted: on_rating(o, e); break;
    default: break;
  }
  if (e.type == EventType::kOrderCreated || e.type == EventType::kPaymentSucceeded) count_gmv(o);
  if (orders_[o].has_extras) playbook_event(o, e);
  start_playbooks();
  current_event_ = nullptr;
}

// ---------------------------------------------------------------------------------------------
// Incidents

Incident* EngineCore::find_open(IncidentType type, Symbol subject, std::uint32_t detail) {
  return log.find_open(IncidentKey{type, subject, detail});
}

Incident* EngineCore::find_open_for_order(std::uint32_t o, IncidentType type, std::uint32_t detail) {
  const OrderState& s = orders_[o];
  if (!s.has_extras) return nullptr;  // raise() adds every incident about an order to its extras
  return find_open(type, s.order_id, detail);
}

Incident* EngineCore::raise(Raise request) {
  if (!config.enabled(request.type)) return nullptr;
  Incident incident;
  incident.type = request.type;
  incident.subject_kind = subject_kind_of(request.type);
  incident.severity = request.has_severity_override ? request.severity_override : config.type(request.type).severity;
  incident.sku = request.sku;
  incident.stage = request.stage;
  incident.about_type = request.about_type;
  incident.detected_at = request.at;
  incident.watch_deadline_ms = request.watch_deadline;
  incident.refund_id = request.refund_id;
  incident.evidence = std::move(request.evidence);
  if (request.order != UINT32_MAX) {
    const OrderState& state = orders_[request.order];
    incident.subject = state.order_id;
    incident.order = state.order_id;
    incident.zone = state.zone;
    incident.community = state.community;
    incident.user = state.user;
    incident.rider = state.rider;
    incident.order_amount = state.amount;
    incident.vip = state.vip;
    if (state.amount != kAbsent && state.amount >= config.high_value_amount) incident.severity = Severity::kHigh;
  } else {
    incident.subject = request.subject;
    if (incident.subject_kind == SubjectKind::kUser) incident.user = request.subject;
  }
  if (log.find_open(key_of(incident)) != nullptr) return nullptr;
  incident.priority = priority_of(incident);
  Incident& added = log.add(std::move(incident));
  const std::uint32_t index = added.index;
  to_start_.push_back(index);
  if (added.user != kNoSymbol) note_user_incident(added.user, index);
  if (request.order != UINT32_MAX) {
    extras(request.order).incidents.push_back(index);
    count_for_hotspot(added, acting_at_);  // may raise a hotspot: `added` may have moved after it
  }
  return &log.at(index);
}

int EngineCore::priority_of(const Incident& incident) const {
  // Documented in docs/priority.md. Static at detection; the people queue adds urgency as the
  // SLA runs down.
  static constexpr int kSeverityBase[kSeverityCount] = {10, 40, 70};
  int score = kSeverityBase[static_cast<std::size_t>(incident.severity)];
  if (incident.order_amount != kAbsent) score += static_cast<int>(std::min<std::int64_t>(incident.order_amount / 10000, 15));
  if (incident.vip) score += 10;
  if (incident.type == IncidentType::kCommunityHotspot) score += 10;
  if (incident.user != kNoSymbol) {
    // A repeat customer as the handling policy counts one (this incident not listed yet).
    const Policies& policies = config.handling->policies;
    const std::int64_t recent = user_incidents_between(incident.user, incident.detected_at - policies.repeat_window_ms, INT64_MAX);
    if (recent + 1 >= policies.repeat_incidents) score += 5;
  }
  return std::min(score, 100);
}

void EngineCore::note_user_incident(Symbol user, std::uint32_t incident) {
  auto& incidents = users_[user].more().incidents;
  if (incidents.size() >= 64) incidents.erase(incidents.begin());
  incidents.push_back(incident);
}

// A retracted incident was proved wrong: it makes no one a repeat customer (decisions #27).
std::int64_t EngineCore::user_incidents_between(Symbol user, TimeMs from, TimeMs to) const {
  const UserState* state = users_.find(user);
  if (state == nullptr) return 0;
  const auto& incidents = state->read().incidents;
  return std::count_if(incidents.begin(), incidents.end(), [&](std::uint32_t index) {
    const Incident& incident = log.at(index);
    return incident.status != IncidentStatus::kRetracted && incident.detected_at > from && incident.detected_at <= to;
  });
}

void EngineCore::clear(Incident* incident, const Event& evidence, Credit credit) {
  if (incident == nullptr) return;
  incident->evidence.push_back(evidence.id);
  if (incident->watch_deadline_ms != kAbsent && evidence.ts <= incident->watch_deadline_ms) {
    retract(*incident, evidence.ts);
    return;
  }
  // "self" only when nothing was done yet; after a playbook's command the fix is ours.
  const bool acted = credit == Credit::kPlaybookIfActed && !incident->actions.empty();
  log.resolve(*incident, acted ? Resolution::kAuto : Resolution::kSelf, evidence.ts);
  stop_run(incident->index);
  withdraw_from_desk(*incident, "cleared", evidence.ts);
}

void EngineCore::note_late_evidence(IncidentType type, std::uint32_t o, const Event& evidence, std::uint32_t detail) {
  // A closed incident keeps its resolution; the late evidence is recorded on the latest one.
  const OrderExtras* extra = find_extras(o);
  if (extra == nullptr) return;
  for (auto it = extra->incidents.rbegin(); it != extra->incidents.rend(); ++it) {
    Incident& incident = log.at(*it);
    if (incident.type == type && key_of(incident).detail == detail) {
      if (incident.is_closed() && incident.watch_deadline_ms != kAbsent && evidence.ts <= incident.watch_deadline_ms) {
        incident.evidence.push_back(evidence.id);
        note_closed_change(incident);
      }
      return;
    }
  }
}

// `known_at`: when the engine learnt of the incident or of its community, if after its detection
// (a deadline or an order known late): a hotspot it completes is detected then at the earliest (#4).
void EngineCore::count_for_hotspot(const Incident& incident, TimeMs known_at) {
  if (incident.community == kNoSymbol || incident.subject_kind != SubjectKind::kOrder) return;
  if (!config.enabled(IncidentType::kCommunityHotspot)) return;
  HotspotWindow& window = hotspots_[hotspot_key(incident.community, incident.type)];
  const TimeMs t = incident.detected_at;
  const DurationMs span = config.hotspot_window_ms;
  // Keep what any later window could still count (late incidents can carry older times).
  std::erase_if(window.incidents, [&](const auto& entry) { return entry.first <= t - 2 * span; });
  window.incidents.emplace_back(t, incident.index);
  std::sort(window.incidents.begin(), window.incidents.end());
  if (find_open(IncidentType::kCommunityHotspot, incident.community, static_cast<std::uint32_t>(incident.type) + 1)) return;
  // The windows this incident belongs to end at its own time or at a later incident's within
  // the window (a late incident can complete a window that ends after it). The earliest that
  // holds enough incidents, and that the once-per-window limit allows, raises the hotspot.
  for (const auto& [end, unused] : window.incidents) {
    if (end < t || end >= t + span) continue;
    std::vector<std::uint32_t> in_window;
    for (const auto& [detected, index] : window.incidents) {
      if (detected > end - span && detected <= end) in_window.push_back(index);
    }
    if (static_cast<std::int64_t>(in_window.size()) < config.hotspot_count) continue;
    if (window.raised_at != kAbsent && end - window.raised_at < span && window.raised_at - end < span) continue;
    Raise request{.type = IncidentType::kCommunityHotspot, .at = std::max(end, known_at), .subject = incident.community,
                  .about_type = incident.type, .evidence = {}};
    for (const std::uint32_t index : in_window) {
      if (!log.at(index).evidence.empty()) request.evidence.push_back(log.at(index).evidence.front());
    }
    // Raising adds to the log, which may move every incident: `incident` is not read after it.
    const Symbol zone = incident.zone, community = incident.community;
    if (Incident* hotspot = raise(std::move(request))) {
      for (const std::uint32_t index : in_window) hotspot->linked.push_back(log.at(index).id);
      hotspot->zone = zone;
      hotspot->community = community;
      window.raised_at = end;
    }
    return;
  }
}

void EngineCore::retract(Incident& incident, TimeMs at) {
  log.retract(incident, at);
  stop_run(incident.index);
  withdraw_from_desk(incident, "retracted", at);
  if (incident.community == kNoSymbol || incident.subject_kind != SubjectKind::kOrder) return;
  const auto it = hotspots_.find(hotspot_key(incident.community, incident.type));
  if (it == hotspots_.end()) return;
  auto& entries = it->second.incidents;
  std::erase_if(entries, [&](const auto& entry) { return entry.second == incident.index; });
  // "Retracted ones excluded": a hotspot that counted this incident and is left with too few
  // is retracted too, and its once-per-window limit no longer holds.
  Incident* hotspot = find_open(IncidentType::kCommunityHotspot, incident.community, static_cast<std::uint32_t>(incident.type) + 1);
  if (hotspot == nullptr || std::find(hotspot->linked.begin(), hotspot->linked.end(), incident.id) == hotspot->linked.end()) return;
  const auto still_counted = std::count_if(hotspot->linked.begin(), hotspot->linked.end(), [&](const std::string& id) {
    return std::any_of(entries.begin(), entries.end(), [&](const auto& entry) { return log.at(entry.second).id == id; });
  });
  if (still_counted >= config.hotspot_count) return;
  hotspot->evidence.push_back(incident.evidence.empty() ? incident.id : incident.evidence.back());
  log.retract(*hotspot, at);
  stop_run(hotspot->index);
  withdraw_from_desk(*hotspot, "retracted", at);
  it->second.raised_at = kAbsent;
}

}  // namespace og

namespace og {

void EngineCore::retract_if_disproved(std::uint32_t o, IncidentType type, const Event& e, std::uint32_t detail) {
  Incident* incident = find_open_for_order(o, type, detail);
  if (incident == nullptr || incident->watch_deadline_ms == kAbsent || e.ts > incident->watch_deadline_ms) return;
  incident->evidence.push_back(e.id);
  retract(*incident, e.ts);
}

}  // namespace og
