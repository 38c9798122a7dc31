// Fulfilment and delivery rules (配送异常): ORDER_STUCK and RIDER_NOT_ASSIGNED (the stage
// table), RIDER_CANCELLED, RIDER_STALLED, DELIVERY_LATE_RISK, DELIVERY_LATE, DELIVERY_FAILED,
// and STATE_INCONSISTENT for fulfilment events that the order's state rules out.
#include <algorithm>

#include "core/geo.h"
#include "engine/engine_core.h"

namespace og {
namespace {

bool seen(TimeMs t) { return t != kAbsent; }

IncidentType stuck_type(Stage stage) { return stage == Stage::kAssign ? IncidentType::kRiderNotAssigned : IncidentType::kOrderStuck; }
std::uint32_t stuck_detail(Stage stage) { return stage == Stage::kAssign ? 0 : static_cast<std::uint32_t>(stage) + 1; }

// The late-risk rule asks only whether the rider can still make it, and the polynomial
// bounds on the distance settle nearly every ping; the exact distance decides whenever the
// answer lies within their rounding margin (kMargin; bounds and distance alike round at about
// 1e-14).
constexpr double kMargin = 1e-9;

// ts + the time to cover the distance from `from` to `to` at `speed_mps`, `factor` times
// over, is after `deadline` (as ms; the sum in doubles, as the rule states it).
bool arrives_after(TimeMs ts, LatLng from, LatLng to, double speed_mps, double factor, TimeMs deadline) {
  const auto travel_ms = [&](double distance_m) { return distance_m / speed_mps * factor * 1000.0; };
  const auto after = [&](double distance_m) { return static_cast<double>(ts) + travel_ms(distance_m) > static_cast<double>(deadline); };
  // One ms beyond the relative margin covers the sum's rounding (ts is about 2^41 ms).
  const auto clearly = [&](double distance_m, double scale, double ms) {
    return static_cast<double>(ts) + travel_ms(distance_m) * scale + ms - static_cast<double>(deadline);
  };
  // Most pings are nowhere near late: the loose bound from two subtractions settles them.
  if (clearly(meridian_then_parallel_m(from, to), 1 + kMargin, 1.0) < 0) return false;
  const DistanceBounds bounds = great_circle_bounds_m(from, to);
  if (clearly(bounds.high, 1 + kMargin, 1.0) < 0) return false;
  if (clearly(bounds.low, 1 - kMargin, -1.0) > 0) return true;
  return after(great_circle_m(from, to));
}

}  // namespace

// The stage table read as its "from -> to" columns: each stage is its own watch, so a rider
// assigned while picking is still going on does not silence the pick stage. Two tracks: the
// warehouse (reserve, pick_start, pick), where a later warehouse event also ends earlier
// stages (a missing stock.reserved is not a stuck order), and dispatch (assign, pickup).
// Goods that left (picked up or delivered) end every stage. Stages start only once the order
// is known, and a stage that began with an earlier payment counts from the payment's ts.
TimeMs EngineCore::stage_start(std::uint32_t o, Stage stage) const { return stage_starts(o)[static_cast<std::size_t>(stage)]; }

bool EngineCore::stages_can_run(const OrderState& s) {
  return s.created && !s.has_cancelled_at() && !s.has_completed_at() && !s.has_picked_up_at() && !s.has_delivered_at();
}

// Every stage's start at once, given stages_can_run(s): each track runs at most one stage at
// a time, so the milestones are read once and each track's stage picked by them, with no
// loop over the stages (refresh_stage asks this at every fulfilment event).
std::array<TimeMs, kStageCount> EngineCore::running_stage_starts(const OrderState& s) const {
  std::array<TimeMs, kStageCount> starts;
  starts.fill(kAbsent);
  const auto& limits = config.stages[static_cast<std::size_t>(s.kind)].limit_ms;
  const auto runs = [&limits](Stage stage) { return limits[static_cast<std::size_t>(stage)] > 0; };
  const auto at = [&starts](Stage stage) -> TimeMs& { return starts[static_cast<std::size_t>(stage)]; };
  const TimeMs pipeline_start = s.payment_method == PaymentMethod::kCod ? s.created_at() : s.paid_at();
  // The warehouse track: a later warehouse event also ends the earlier stages.
  if (!s.has_pick_completed_at()) {
    if (s.has_pick_started_at()) {
      if (runs(Stage::kPick)) at(Stage::kPick) = s.pick_started_at();
    } else if (s.has_reserved_at()) {
      if (runs(Stage::kPickStart)) {
        at(Stage::kPickStart) = s.has_slot_start() ? std::max(s.reserved_at(), s.slot_start() - config.slot_lead_ms) : s.reserved_at();
      }
    } else if (runs(Stage::kReserve)) {
      at(Stage::kReserve) = pipeline_start;
    }
  }
  // Dispatch. Errands have no warehouse: assignment is due from payment (creation for cash on
  // delivery). After a rider cancelled, RIDER_CANCELLED watches for the next one
  // (docs/decisions.md #8).
  if (!s.has_rider_assigned_at()) {
    if (runs(Stage::kAssign)) at(Stage::kAssign) = s.kind == OrderKind::kErrand ? pipeline_start : s.pick_completed_at();
  } else if (!s.current_rider_cancelled && runs(Stage::kPickup)) {
    at(Stage::kPickup) = s.rider_assigned_at();
  }
  return starts;
}

std::array<TimeMs, kStageCount> EngineCore::stage_starts(std::uint32_t o) const {
  const OrderState& s = orders_[o];
  if (!stages_can_run(s)) {
    std::array<TimeMs, kStageCount> starts;
    starts.fill(kAbsent);
    return starts;
  }
  return running_stage_starts(s);
}

void EngineCore::refresh_stage(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  const auto starts = stage_starts(o);
  // Only an order with an incident has extras (raise() adds it to them): without, there is
  // no stuck stage to clear.
  for (std::size_t index = 0; s.has_extras && index < kStageCount; ++index) {
    const auto stage = static_cast<Stage>(index);
    if (starts[index] != kAbsent) continue;
    Incident* stuck = find_open_for_order(o, stuck_type(stage), stuck_detail(stage));
    if (stuck == nullptr || s.is_closed_at(e.ts)) continue;  // a closed order's events only feed STATE_INCONSISTENT
    // A late event on an order cancelled or completed since: the closing, not this event, is
    // why no stage runs. Only an event that would end the stage anyway says it passed (a late
    // payment proves nothing about a pickup).
    if (!s.has_picked_up_at() && !s.has_delivered_at() && running_stage_starts(s)[index] != kAbsent) continue;
    // Stopped without its next event (the rider cancelled): an incident its deadline raised is
    // proved wrong when the stop came at or before that deadline. Otherwise the stage passed.
    const bool stopped = stage == Stage::kPickup && s.current_rider_cancelled && !seen(s.picked_up_at()) && !seen(s.delivered_at());
    if (stopped) retract_if_disproved(o, stuck_type(stage), e, stuck_detail(stage));
    else clear(stuck, e);
  }
  keep_id(s.stage_event, e);
  arm_stage_timer(o, e.ts, starts);
}

void EngineCore::arm_stage_timer(std::uint32_t o, TimeMs now, const std::array<TimeMs, kStageCount>& starts) {
  OrderState& s = order(o);
  TimeMs earliest = kAbsent;
  std::size_t earliest_stage = kStageCount;
  // Fired starts are rare times: an order without their block has none.
  const bool any_fired = s.times.has_block();
  for (std::size_t index = 0; index < kStageCount; ++index) {
    const auto stage = static_cast<Stage>(index);
    const TimeMs start = starts[index];
    if (start == kAbsent || (any_fired && s.stage_fired_start(index) == start)) continue;
    const TimeMs deadline = start + config.stage_limit_ms(s.kind, stage);
    if (earliest == kAbsent || deadline < earliest) {
      earliest = deadline;
      earliest_stage = index;
    }
  }
  if (earliest_stage == kStageCount) return timers_.cancel(s.stage_timer);
  reschedule(s.stage_timer, earliest, now, o, TimerKind::kStage, static_cast<std::uint32_t>(earliest_stage));
}

void EngineCore::fire_stage(std::uint32_t o, Stage stage, TimeMs at) {
  OrderState& s = order(o);
  const TimeMs start = stage_start(o, stage);
  const auto index = static_cast<std::size_t>(stage);
  if (start != kAbsent && s.stage_fired_start(index) != start) {
    s.set_stage_fired_start(index, start);
    const TimeMs deadline = start + config.stage_limit_ms(s.kind, stage);
    Raise request{.type = stuck_type(stage), .at = deadline, .order = o, .watch_deadline = deadline, .evidence = {event_id(s.stage_event)}};
    if (stage != Stage::kAssign) request.stage = stage;
    raise(std::move(request));
  }
  arm_stage_timer(o, at, stage_starts(o));  // the next stage still running, if any
}

void EngineCore::arm_delivery_late(std::uint32_t o, TimeMs now) {
  OrderState& s = order(o);
  if (!s.created || s.promise_at() == kAbsent || s.cancelled_at() != kAbsent || s.completed_at() != kAbsent) return;
  if (s.payment_method == PaymentMethod::kOnline && s.paid_at() == kAbsent) return;
  if (timers_.is_live(s.delivery_late_timer)) return;
  const TimeMs deadline = s.promise_at() + config.delivery_late_grace_ms;
  if (s.delivered_at() != kAbsent && s.delivered_at() <= deadline) return;
  s.delivery_late_timer = schedule(deadline, now, o, TimerKind::kDeliveryLate);
}

void EngineCore::fire_delivery_late(std::uint32_t o) {
  OrderState& s = order(o);
  const TimeMs deadline = s.promise_at() + config.delivery_late_grace_ms;
  if ((s.delivered_at() != kAbsent && s.delivered_at() <= deadline) || s.is_closed_at(deadline)) return;
  raise(Raise{.type = IncidentType::kDeliveryLate, .at = deadline, .order = o, .watch_deadline = deadline,
              .evidence = {event_id(s.created_event)}});
}

void EngineCore::drop_fulfilment_watches(std::uint32_t o) {
  OrderState& s = order(o);
  timers_.cancel(s.payment_timer);
  timers_.cancel(s.stage_timer);
  timers_.cancel(s.delivery_late_timer);
  timers_.cancel(s.track.get().stall_timer);
  s.stall_running = false;
}

void EngineCore::check_state_consistency(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  const bool after_completion = s.completed_at() != kAbsent && s.completed_at() < e.ts;
  const bool moved_after_cancel = (e.type == EventType::kDeliveryPickedUp || e.type == EventType::kDeliveryDelivered) &&
                                  s.cancelled_at() != kAbsent && s.cancelled_at() < e.ts;
  const bool picked_up_unpaid = e.type == EventType::kDeliveryPickedUp && s.created &&
                                s.payment_method == PaymentMethod::kOnline && !s.is_paid_at(e.ts);
  if (after_completion || moved_after_cancel) {
    raise(Raise{.type = IncidentType::kStateInconsistent, .at = e.ts, .order = o, .evidence = {e.id}});
  } else if (picked_up_unpaid) {
    // A payment stamped at or before the pickup that arrives late proves this wrong: the
    // pickup's ts is the "deadline" such evidence must beat.
    raise(Raise{.type = IncidentType::kStateInconsistent, .at = e.ts, .order = o, .watch_deadline = e.ts,
                .evidence = {e.id}});
  }
}

void EngineCore::on_rider_assigned(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.ts == s.rider_assigned_at() && e.rider_id == s.rider) return count_repeat();
  check_state_consistency(o, e);
  if (s.rider_assigned_at() == kAbsent || e.ts >= s.rider_assigned_at()) {
    s.set_rider_assigned_at(e.ts);
    s.rider = e.rider_id;
    s.current_rider_cancelled = false;
  }
  if (Incident* cancelled = find_open_for_order(o, IncidentType::kRiderCancelled);
      cancelled && e.ts > cancelled->detected_at && !s.is_closed_at(e.ts)) {
    clear(cancelled, e);
  }
  refresh_stage(o, e);
}

void EngineCore::on_rider_cancelled(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (s.rider_cancelled_at() == kAbsent || e.ts > s.rider_cancelled_at()) s.set_rider_cancelled_at(e.ts);
  // Only the rider now assigned (or an unnamed one) stops the pickup stage; a late
  // cancellation by a rider already replaced does not.
  const bool cancels_current = e.ts >= s.rider_assigned_at() && (e.rider_id == s.rider || e.rider_id == kNoSymbol);
  if (cancels_current) s.current_rider_cancelled = true;
  if (s.is_closed_at(e.ts)) return;  // a closed order's fulfilment events only feed STATE_INCONSISTENT
  Incident* incident = raise(Raise{.type = IncidentType::kRiderCancelled, .at = e.ts, .order = o, .evidence = {e.id}});
  // Another rider already assigned after it (a late cancellation), or at the same millisecond:
  // decision 2 applies an assignment before a cancellation of one ts, yet it is the cancelled
  // rider's replacement, which clears the incident.
  const bool replaced = s.rider_assigned_at() != kAbsent &&
                        (s.rider_assigned_at() > e.ts || (s.rider_assigned_at() == e.ts && !cancels_current && e.rider_id != kNoSymbol));
  if (incident != nullptr && replaced) log.resolve(*incident, Resolution::kSelf, s.rider_assigned_at());
  count_rider_cancellation(o, e);
  refresh_stage(o, e);
}

void EngineCore::on_picked_up(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.ts == s.picked_up_at()) return count_repeat();
  check_state_consistency(o, e);
  if (s.picked_up_at() != kAbsent && s.picked_up_at() <= e.ts) return;
  s.set_picked_up_at(e.ts);
  refresh_stage(o, e);
  if (s.cancelled_at() == kAbsent && s.completed_at() == kAbsent && s.delivered_at() == kAbsent &&
      order_kind_in(config.stall_order_kinds, s.kind)) {
    restart_stall_clock(o, e, false);
    // A pickup that arrives after the rider's pings: the latest of them is the first location
    // after pickup in event time, and restarts the clock (moving pings in between would each
    // have restarted it; the latest is where the last restart can be).
    if (s.last_ping_at() != kAbsent && s.last_ping_at() >= e.ts) {
      s.stall_awaits_first_location = false;
      DeliveryTrack& track = track_of(s);
      track.stall_anchor = track.last_ping;
      s.set_stall_anchor_at(s.last_ping_at());
      reschedule(track.stall_timer, s.last_ping_at() + config.stall_timeout_ms, e.ts, o, TimerKind::kStall);
    }
  }
}

void EngineCore::restart_stall_clock(std::uint32_t o, const Event& e, bool has_position) {
  OrderState& s = order(o);
  s.stall_running = true;
  s.stall_awaits_first_location = !has_position;
  s.set_stall_anchor_at(e.ts);
  DeliveryTrack& track = track_of(s);
  if (has_position) track.stall_anchor = e.position;
  keep_id(s.stall_event, e);
  reschedule(track.stall_timer, e.ts + config.stall_timeout_ms, e.ts, o, TimerKind::kStall);
}

void EngineCore::fire_stall(std::uint32_t o, TimeMs at) {
  OrderState& s = order(o);
  if (!s.stall_running) return;
  const TimeMs deadline = s.stall_anchor_at() + config.stall_timeout_ms;
  if ((s.delivered_at() != kAbsent && s.delivered_at() <= deadline) || s.is_closed_at(deadline)) return;
  raise(Raise{.type = IncidentType::kRiderStalled, .at = at, .order = o, .watch_deadline = deadline,
              .evidence = {event_id(s.stall_event)}});
}

void EngineCore::on_rider_location(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.rider_id != kNoSymbol) {
    RiderState& rider = riders_[e.rider_id];
    rider.id = e.rider_id;
    if (rider.position_at == kAbsent || e.ts >= rider.position_at) {
      rider.has_position = true;
      rider.position = e.position;
      rider.position_at = e.ts;
    }
  }
  if (s.last_ping_at() == kAbsent || e.ts >= s.last_ping_at()) {
    s.set_last_ping_at(e.ts);
    track_of(s).last_ping = e.position;
  }
  const bool out_for_delivery = s.picked_up_at() != kAbsent && s.picked_up_at() <= e.ts &&
                                !(s.delivered_at() != kAbsent && s.delivered_at() <= e.ts) && !s.is_closed_at(e.ts);
  if (!out_for_delivery) return;

  if (!s.late_risk_raised && s.created && order_kind_in(config.late_risk_order_kinds, s.kind) &&
      s.promise_at() != kAbsent && e.ts < s.promise_at() && s.address_has_position) {
    if (arrives_after(e.ts, e.position, s.address_position, config.late_risk_speed_mps, config.late_risk_factor, s.promise_at())) {
      s.late_risk_raised = true;
      raise(Raise{.type = IncidentType::kDeliveryLateRisk, .at = e.ts, .order = o, .evidence = {e.id}});
    }
  }

  if (!order_kind_in(config.stall_order_kinds, s.kind)) return;
  // Pings older than the last restart (or stop) say nothing new: that also makes a re-sent
  // ping harmless, so pings need no dedupe memory.
  if (s.stall_anchor_at() != kAbsent && e.ts < s.stall_anchor_at()) return;
  // The distance from the anchor, worked out once when first needed (a ping that moved far,
  // the usual one, needs it twice).
  int far = -1;
  const auto far_from_anchor = [&]() __attribute__((always_inline)) {
    if (far < 0) far = great_circle_at_least_m(e.position, s.track.get().stall_anchor, config.stall_min_move_m) ? 1 : 0;
    return far == 1;
  };
  // A clock stopped by a failed attempt, or waiting for the first location after pickup,
  // restarts at the next location; a running one when the rider moved far enough.
  if (s.stall_running && !s.stall_awaits_first_location && !far_from_anchor()) return;
  // Clears only when the rider really moved: a clock restarted by the first ping after a
  // failed attempt, at the same spot, is not a move.
  if (s.stall_anchor_at() == kAbsent || far_from_anchor()) clear(find_open_for_order(o, IncidentType::kRiderStalled), e);
  restart_stall_clock(o, e, true);
}

void EngineCore::on_attempt_failed(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  check_state_consistency(o, e);
  if (s.is_closed_at(e.ts)) return;  // a closed order's fulfilment events only feed STATE_INCONSISTENT
  Incident* failed = raise(Raise{.type = IncidentType::kDeliveryFailed, .at = e.ts, .order = o, .evidence = {e.id}});
  if (failed != nullptr && s.delivered_at() != kAbsent && s.delivered_at() > e.ts) {
    log.resolve(*failed, Resolution::kSelf, s.delivered_at());  // a late failure: delivered after it
  }
  retract_if_disproved(o, IncidentType::kRiderStalled, e);
  if (s.stall_running && e.ts >= s.stall_anchor_at()) {
    s.stall_running = false;
    s.set_stall_anchor_at(e.ts);  // the next ping after the failure starts the clock again
    timers_.cancel(s.track.get().stall_timer);
  }
}

void EngineCore::on_delivered(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.ts == s.delivered_at()) return count_repeat();
  check_state_consistency(o, e);
  if (s.delivered_at() != kAbsent && s.delivered_at() <= e.ts) return;
  s.set_delivered_at(e.ts);
  timers_.cancel(s.delivery_late_timer);
  timers_.cancel(s.track.get().stall_timer);
  s.stall_running = false;
  retract_if_disproved(o, IncidentType::kDeliveryLate, e);
  if (!s.is_closed_at(e.ts)) {
    clear(find_open_for_order(o, IncidentType::kDeliveryFailed), e);
    clear(find_open_for_order(o, IncidentType::kRiderStalled), e);
  }
  refresh_stage(o, e);
}

}  // namespace og
