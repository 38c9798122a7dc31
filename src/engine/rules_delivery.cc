// Fulfilment and delivery rules (配送异常): ORDER_STUCK and RIDER_NOT_ASSIGNED (the stage
// table), RIDER_CANCELLED, RIDER_STALLED, DELIVERY_LATE_RISK, DELIVERY_LATE, DELIVERY_FAILED,
// and STATE_INCONSISTENT for fulfilment events that the order's state rules out.
#include <algorithm>

#include "core/geo.h"
#include "engine/engine_core.h"

namespace og {
namespace {

bool rider_is_current(const OrderState& s) {
  return s.rider_assigned_at != kAbsent && !s.current_rider_cancelled;
}

// How many stages of the pipeline the order has left behind (0..kStageCount).
std::size_t stages_passed(const OrderState& s) {
  if (s.picked_up_at != kAbsent || s.delivered_at != kAbsent) return kStageCount;
  if (s.rider_assigned_at != kAbsent) return static_cast<std::size_t>(Stage::kPickup);
  if (s.pick_completed_at != kAbsent) return static_cast<std::size_t>(Stage::kAssign);
  if (s.pick_started_at != kAbsent) return static_cast<std::size_t>(Stage::kPick);
  if (s.reserved_at != kAbsent) return static_cast<std::size_t>(Stage::kPickStart);
  return 0;
}

}  // namespace

void EngineCore::refresh_stage(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  const std::size_t passed = stages_passed(s);
  // A cancelled or completed order's later fulfilment events only feed STATE_INCONSISTENT.
  if (!s.is_closed_at(e.ts)) {
    for (std::size_t stage = 0; stage < passed; ++stage) {
      clear(find_open_for_order(o, IncidentType::kOrderStuck, static_cast<std::uint32_t>(stage) + 1), e);
    }
    if (passed > static_cast<std::size_t>(Stage::kAssign)) clear(find_open_for_order(o, IncidentType::kRiderNotAssigned), e);
  }

  // Which stage runs now, and since when. The pipeline starts at payment (creation for cash on
  // delivery); no stage of an order counts from before its pipeline started.
  Stage next = Stage::kCount;
  TimeMs start = kAbsent;
  const TimeMs pipeline_start = s.payment_method == PaymentMethod::kCod ? s.created_at : s.paid_at;
  if (s.created && pipeline_start != kAbsent && s.cancelled_at == kAbsent && s.completed_at == kAbsent &&
      passed < kStageCount) {
    if (rider_is_current(s)) {
      next = Stage::kPickup;
      start = s.rider_assigned_at;
    } else if (s.rider_assigned_at != kAbsent) {
      next = Stage::kCount;  // the rider cancelled: RIDER_CANCELLED watches for the next one
    } else if (s.kind == OrderKind::kErrand) {
      next = Stage::kAssign;
      start = pipeline_start;
    } else if (s.pick_completed_at != kAbsent) {
      next = Stage::kAssign;
      start = s.pick_completed_at;
    } else if (s.pick_started_at != kAbsent) {
      next = Stage::kPick;
      start = s.pick_started_at;
    } else if (s.reserved_at != kAbsent) {
      next = Stage::kPickStart;
      start = s.reserved_at;
      if (s.slot_start != kAbsent) start = std::max(start, s.slot_start - config.slot_lead_ms);
    } else {
      next = Stage::kReserve;
      start = pipeline_start;
    }
    start = std::max(start, pipeline_start);
    if (next != Stage::kCount && config.stage_limit_ms(s.kind, next) <= 0) next = Stage::kCount;
  }
  if (next == s.stage && (next == Stage::kCount || start == s.stage_started_at)) return;
  // A stage that stopped without being passed (the rider cancelled; a late event moved the
  // start): an incident its old deadline raised is disproved when `e` came at or before it.
  if (s.stage != Stage::kCount && static_cast<std::size_t>(s.stage) >= passed) {
    if (s.stage == Stage::kAssign) retract_if_disproved(o, IncidentType::kRiderNotAssigned, e);
    else retract_if_disproved(o, IncidentType::kOrderStuck, e, static_cast<std::uint32_t>(s.stage) + 1);
  }
  timers_.cancel(s.stage_timer);
  s.stage = next;
  s.stage_started_at = start;
  if (next == Stage::kCount) return;
  keep_id(s.stage_event, e);
  s.stage_timer = schedule(start + config.stage_limit_ms(s.kind, next), e.ts, o, TimerKind::kStage,
                           static_cast<std::uint32_t>(next));
}

void EngineCore::fire_stage(std::uint32_t o, Stage stage, TimeMs at) {
  OrderState& s = order(o);
  if (s.stage != stage) return;
  const TimeMs deadline = s.stage_started_at + config.stage_limit_ms(s.kind, stage);
  Raise request{.type = stage == Stage::kAssign ? IncidentType::kRiderNotAssigned : IncidentType::kOrderStuck,
                .at = at, .order = o, .watch_deadline = deadline, .evidence = {event_id(s.stage_event)}};
  if (stage != Stage::kAssign) request.stage = stage;
  raise(std::move(request));
}

void EngineCore::arm_delivery_late(std::uint32_t o, TimeMs now) {
  OrderState& s = order(o);
  if (!s.created || s.promise_at == kAbsent || s.cancelled_at != kAbsent || s.completed_at != kAbsent) return;
  if (s.payment_method == PaymentMethod::kOnline && s.paid_at == kAbsent) return;
  if (timers_.is_live(s.delivery_late_timer)) return;
  const TimeMs deadline = s.promise_at + config.delivery_late_grace_ms;
  if (s.delivered_at != kAbsent && s.delivered_at <= deadline) return;
  s.delivery_late_timer = schedule(deadline, now, o, TimerKind::kDeliveryLate);
}

void EngineCore::fire_delivery_late(std::uint32_t o, TimeMs at) {
  OrderState& s = order(o);
  const TimeMs deadline = s.promise_at + config.delivery_late_grace_ms;
  if ((s.delivered_at != kAbsent && s.delivered_at <= deadline) || s.is_closed_at(deadline)) return;
  raise(Raise{.type = IncidentType::kDeliveryLate, .at = at, .order = o, .watch_deadline = deadline,
              .evidence = {event_id(s.created_event)}});
}

void EngineCore::drop_fulfilment_watches(std::uint32_t o) {
  OrderState& s = order(o);
  timers_.cancel(s.payment_timer);
  timers_.cancel(s.stage_timer);
  timers_.cancel(s.delivery_late_timer);
  timers_.cancel(s.stall_timer);
  s.stage = Stage::kCount;
  s.stall_running = false;
}

void EngineCore::check_state_consistency(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  const bool after_completion = s.completed_at != kAbsent && s.completed_at < e.ts;
  const bool moved_after_cancel = (e.type == EventType::kDeliveryPickedUp || e.type == EventType::kDeliveryDelivered) &&
                                  s.cancelled_at != kAbsent && s.cancelled_at < e.ts;
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
  if (e.ts == s.rider_assigned_at && e.rider_id == s.rider) return count_repeat();
  check_state_consistency(o, e);
  if (s.rider_assigned_at == kAbsent || e.ts >= s.rider_assigned_at) {
    s.rider_assigned_at = e.ts;
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
  if (s.rider_cancelled_at == kAbsent || e.ts > s.rider_cancelled_at) s.rider_cancelled_at = e.ts;
  // Only the rider now assigned (or an unnamed one) stops the pickup stage; a late
  // cancellation by a rider already replaced does not.
  const bool cancels_current = e.ts >= s.rider_assigned_at && (e.rider_id == s.rider || e.rider_id == kNoSymbol);
  if (cancels_current) s.current_rider_cancelled = true;
  Incident* incident = raise(Raise{.type = IncidentType::kRiderCancelled, .at = e.ts, .order = o, .evidence = {e.id}});
  if (incident != nullptr && s.rider_assigned_at != kAbsent && s.rider_assigned_at > e.ts) {
    // A late cancellation: another rider was already assigned after it.
    log.resolve(*incident, Resolution::kSelf, s.rider_assigned_at);
  }
  count_rider_cancellation(o, e);
  refresh_stage(o, e);
}

void EngineCore::on_picked_up(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.ts == s.picked_up_at) return count_repeat();
  check_state_consistency(o, e);
  if (s.picked_up_at != kAbsent && s.picked_up_at <= e.ts) return;
  s.picked_up_at = e.ts;
  refresh_stage(o, e);
  if (s.cancelled_at == kAbsent && s.completed_at == kAbsent && s.delivered_at == kAbsent &&
      order_kind_in(config.stall_order_kinds, s.kind)) {
    restart_stall_clock(o, e, false);
  }
}

void EngineCore::restart_stall_clock(std::uint32_t o, const Event& e, bool has_position) {
  OrderState& s = order(o);
  s.stall_running = true;
  s.stall_awaits_first_location = !has_position;
  s.stall_anchor_at = e.ts;
  if (has_position) s.stall_anchor = e.position;
  keep_id(s.stall_event, e);
  timers_.cancel(s.stall_timer);
  s.stall_timer = schedule(e.ts + config.stall_timeout_ms, e.ts, o, TimerKind::kStall);
}

void EngineCore::fire_stall(std::uint32_t o, TimeMs at) {
  OrderState& s = order(o);
  if (!s.stall_running) return;
  const TimeMs deadline = s.stall_anchor_at + config.stall_timeout_ms;
  if ((s.delivered_at != kAbsent && s.delivered_at <= deadline) || s.is_closed_at(deadline)) return;
  raise(Raise{.type = IncidentType::kRiderStalled, .at = at, .order = o, .watch_deadline = deadline,
              .evidence = {event_id(s.stall_event)}});
}

void EngineCore::on_rider_location(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.rider_id != kNoSymbol) {
    RiderState& rider = riders_[e.rider_id];
    if (rider.position_at == kAbsent || e.ts >= rider.position_at) {
      rider.has_position = true;
      rider.position = e.position;
      rider.position_at = e.ts;
    }
  }
  const bool out_for_delivery = s.picked_up_at != kAbsent && s.picked_up_at <= e.ts &&
                                !(s.delivered_at != kAbsent && s.delivered_at <= e.ts) && !s.is_closed_at(e.ts);
  if (!out_for_delivery) return;

  if (!s.late_risk_raised && s.created && order_kind_in(config.late_risk_order_kinds, s.kind) &&
      s.promise_at != kAbsent && e.ts < s.promise_at && s.address_has_position) {
    const double travel_ms =
        great_circle_m(e.position, s.address_position) / config.late_risk_speed_mps * config.late_risk_factor * 1000.0;
    if (static_cast<double>(e.ts) + travel_ms > static_cast<double>(s.promise_at)) {
      s.late_risk_raised = true;
      raise(Raise{.type = IncidentType::kDeliveryLateRisk, .at = e.ts, .order = o, .evidence = {e.id}});
    }
  }

  if (!order_kind_in(config.stall_order_kinds, s.kind)) return;
  // Pings older than the last restart (or stop) say nothing new: that also makes a re-sent
  // ping harmless, so pings need no dedupe memory.
  if (s.stall_anchor_at != kAbsent && e.ts < s.stall_anchor_at) return;
  bool restart = false;
  if (!s.stall_running) restart = true;  // stopped by a failed attempt: the next location starts it
  else restart = s.stall_awaits_first_location || great_circle_m(e.position, s.stall_anchor) >= config.stall_min_move_m;
  if (!restart) return;
  // Clears only when the rider really moved: a clock restarted by the first ping after a
  // failed attempt, at the same spot, is not a move.
  const bool moved = s.stall_awaits_first_location || !s.stall_running ||
                     great_circle_m(e.position, s.stall_anchor) >= config.stall_min_move_m;
  const bool moved_from_anchor = s.stall_anchor_at == kAbsent || great_circle_m(e.position, s.stall_anchor) >= config.stall_min_move_m;
  if (moved && moved_from_anchor) clear(find_open_for_order(o, IncidentType::kRiderStalled), e);
  restart_stall_clock(o, e, true);
}

void EngineCore::on_attempt_failed(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  check_state_consistency(o, e);
  Incident* failed = raise(Raise{.type = IncidentType::kDeliveryFailed, .at = e.ts, .order = o, .evidence = {e.id}});
  if (failed != nullptr && s.delivered_at != kAbsent && s.delivered_at > e.ts) {
    log.resolve(*failed, Resolution::kSelf, s.delivered_at);  // a late failure: delivered after it
  }
  retract_if_disproved(o, IncidentType::kRiderStalled, e);
  if (s.stall_running && e.ts >= s.stall_anchor_at) {
    s.stall_running = false;
    s.stall_anchor_at = e.ts;  // the next ping after the failure starts the clock again
    timers_.cancel(s.stall_timer);
  }
}

void EngineCore::on_delivered(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.ts == s.delivered_at) return count_repeat();
  check_state_consistency(o, e);
  if (s.delivered_at != kAbsent && s.delivered_at <= e.ts) return;
  s.delivered_at = e.ts;
  timers_.cancel(s.delivery_late_timer);
  timers_.cancel(s.stall_timer);
  s.stall_running = false;
  retract_if_disproved(o, IncidentType::kDeliveryLate, e);
  if (!s.is_closed_at(e.ts)) {
    clear(find_open_for_order(o, IncidentType::kDeliveryFailed), e);
    clear(find_open_for_order(o, IncidentType::kRiderStalled), e);
  }
  refresh_stage(o, e);
}

}  // namespace og
