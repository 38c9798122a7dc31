// Payment rules (支付异常): PAYMENT_TIMEOUT, PAYMENT_FAILED, PAID_NO_ORDER,
// PAYMENT_AMOUNT_MISMATCH, DUPLICATE_PAYMENT, REFUND_FAILED, STOCK_NOT_RELEASED.
#include <algorithm>

#include "core/saturating.h"
#include "engine/engine_core.h"

namespace og {

void EngineCore::arm_payment_timeout(std::uint32_t o, TimeMs now) {
  OrderState& s = order(o);
  if (!s.created || s.payment_method != PaymentMethod::kOnline) return;
  const TimeMs deadline = s.created_at() + config.payment_timeout_ms;
  if (s.is_paid_at(deadline) || (s.payment_failed_at() != kAbsent && s.payment_failed_at() <= deadline) ||
      s.is_closed_at(deadline)) {
    return;
  }
  timers_.cancel(s.payment_timer);
  s.payment_timer = schedule(deadline, now, o, TimerKind::kPaymentTimeout);
}

void EngineCore::fire_payment_timeout(std::uint32_t o, TimeMs at) {
  OrderState& s = order(o);
  const TimeMs deadline = s.created_at() + config.payment_timeout_ms;
  if (s.is_paid_at(deadline) || (s.payment_failed_at() != kAbsent && s.payment_failed_at() <= deadline) ||
      s.is_closed_at(deadline)) {
    return;
  }
  raise(Raise{.type = IncidentType::kPaymentTimeout, .at = at, .order = o, .watch_deadline = deadline,
              .evidence = {event_id(s.created_event)}});
}

void EngineCore::fire_paid_no_order(std::uint32_t o, TimeMs at) {
  OrderState& s = order(o);
  const TimeMs deadline = s.paid_at() + config.paid_no_order_timeout_ms;
  if (s.created && s.created_at() <= deadline) return;
  raise(Raise{.type = IncidentType::kPaidNoOrder, .at = at, .order = o, .watch_deadline = deadline,
              .evidence = {event_id(s.paid_event)}});
}

void EngineCore::check_amount_mismatch(std::uint32_t o, const PaymentRecord& payment, const Event& e) {
  OrderState& s = order(o);
  if (!s.created || s.amount == kAbsent || payment.amount == s.amount) return;
  raise(Raise{.type = IncidentType::kPaymentAmountMismatch, .at = std::max(payment.at, s.created_at()), .order = o,
              .evidence = {e.id}});
}

void EngineCore::on_payment_succeeded(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  const OrderExtras* extra = find_extras(o);
  const auto same_txn = [&](const PaymentRecord& p) { return p.txn_id == e.txn_id; };
  if ((s.payment_count > 0 && s.first_txn == e.txn_id) ||
      (extra != nullptr && std::any_of(extra->more_payments.begin(), extra->more_payments.end(), same_txn))) {
    return count_repeat();  // the same transaction reported again, under any event id
  }

  const PaymentRecord payment{e.txn_id, e.ts, e.amount};
  const bool first = s.payment_count == 0;
  if (first) {
    s.first_txn = e.txn_id;
  } else if (s.payment_count < kMaxPaymentsPerOrder) {
    extras(o).more_payments.push_back(payment);
  }
  if (s.payment_count < kMaxPaymentsPerOrder) ++s.payment_count;
  if (!first) {
    // Known once both payments are: at the later of this one and the earliest other (paid_at
    // does not include this payment yet), which matters when this one arrives late.
    raise(Raise{.type = IncidentType::kDuplicatePayment, .at = std::max(e.ts, s.paid_at()), .order = o,
                .evidence = {e.id}});
  }
  if (s.paid_at() == kAbsent || e.ts < s.paid_at()) {
    s.set_paid_at(e.ts);
    keep_id(s.paid_event, e);
  }

  timers_.cancel(s.payment_timer);
  if (Incident* timeout = find_open_for_order(o, IncidentType::kPaymentTimeout)) {
    clear(timeout, e);
  } else {
    note_late_evidence(IncidentType::kPaymentTimeout, o, e);  // closed already: it keeps its end, and records this
  }
  // "A later payment.succeeded": applied after the failure, which equal timestamps are too.
  if (Incident* failed = find_open_for_order(o, IncidentType::kPaymentFailed); failed && e.ts >= failed->detected_at) {
    clear(failed, e, Credit::kCause);
  }
  // A payment stamped at or before a pickup (or refund) that looked unpaid arrives late.
  retract_if_disproved(o, IncidentType::kStateInconsistent, e);
  // A shortage on an order already paid is the paid kind (high): a late payment proves it.
  for (const std::uint32_t index : find_extras(o) != nullptr ? find_extras(o)->incidents : std::vector<std::uint32_t>{}) {
    Incident& shortage = log.at(index);
    if (shortage.type == IncidentType::kOutOfStock && !shortage.is_closed() && shortage.detected_at >= e.ts &&
        shortage.severity < config.type(IncidentType::kOutOfStock).severity) {
      shortage.severity = config.type(IncidentType::kOutOfStock).severity;
      shortage.priority = priority_of(shortage);
    }
  }
  if (!s.created && first) {
    extras(o).paid_no_order_timer = schedule(e.ts + config.paid_no_order_timeout_ms, e.ts, o, TimerKind::kPaidNoOrder);
  }
  if (!s.created) extras(o).paid_before_created.push_back(payment);
  if (s.created) {
    check_amount_mismatch(o, payment, e);
    refresh_stage(o, e);
    arm_delivery_late(o, e.ts);
  }
}

void EngineCore::on_payment_failed(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (s.payment_failed_at() == kAbsent || e.ts < s.payment_failed_at()) s.set_payment_failed_at(e.ts);
  retract_if_disproved(o, IncidentType::kPaymentTimeout, e);
  timers_.cancel(s.payment_timer);
  Incident* incident = raise(Raise{.type = IncidentType::kPaymentFailed, .at = e.ts, .order = o, .evidence = {e.id}});
  if (incident != nullptr && s.paid_at() != kAbsent && s.paid_at() > e.ts) {
    // The success that clears it was already applied (it arrived before this late failure).
    incident->evidence.push_back(event_id(s.paid_event));
    log.resolve(*incident, Resolution::kSelf, s.paid_at());
  }
}

void EngineCore::on_refund_requested(std::uint32_t o, const Event& e) {
  auto& refunds = extras(o).refunds;
  // A refund is known by its id; requests without one are each a refund of their own.
  auto known = e.refund_id == 0 ? refunds.end()
                                : std::find_if(refunds.begin(), refunds.end(), [&](const RefundWatch& w) { return w.refund_id == e.refund_id; });
  if (known != refunds.end() && known->requested_at != kAbsent) return count_repeat();
  if (known == refunds.end()) {
    if (refunds.size() >= kMaxRefundWatchesPerOrder) return;
    known = refunds.insert(refunds.end(), RefundWatch{});
    known->refund_id = e.refund_id;
  }
  RefundWatch& watch = *known;
  watch.requested_at = e.ts;
  watch.amount = e.amount;
  watch.requested_event = keep_id(e);
  // The success may already be known (it arrived first): no watch is needed if it was in time.
  const TimeMs deadline = e.ts + config.refund_timeout_ms;
  if (watch.succeeded_at != kAbsent && watch.succeeded_at <= deadline) return;
  watch.timer = schedule(deadline, e.ts, o, TimerKind::kRefundTimeout, static_cast<std::uint32_t>(known - refunds.begin()));
}

void EngineCore::on_refund_succeeded(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (!s.is_paid_at(e.ts)) {
    // A late payment stamped at or before this refund proves it wrong (watch_deadline).
    raise(Raise{.type = IncidentType::kStateInconsistent, .at = e.ts, .order = o, .watch_deadline = e.ts, .evidence = {e.id}});
  }
  // A refund of the order went through: ours is confirmed (an awaited event matches by order
  // and type, decision 30), and no later failure of an unknown refund re-issues it.
  extras(o).last_refund_command = UINT32_MAX;
  auto& refunds = extras(o).refunds;
  const auto settle = [&](RefundWatch& watch) {
    watch.succeeded_at = e.ts;
    timers_.cancel(watch.timer);
  };
  // Its own refund by id; else, when either side has no id (decision 16), the oldest refund of
  // the order still waiting.
  bool matched = false;
  for (RefundWatch& watch : refunds) {
    if (e.refund_id == 0 || watch.refund_id != e.refund_id) continue;
    matched = true;
    if (watch.succeeded_at == kAbsent) settle(watch);
  }
  for (RefundWatch& watch : refunds) {
    if (matched) break;
    if ((e.refund_id == 0 || watch.refund_id == 0) && watch.succeeded_at == kAbsent && watch.requested_at != kAbsent) {
      matched = true;
      settle(watch);
    }
  }
  // Remember a success whose request has not arrived yet, so the request arms no watch.
  if (!matched && e.refund_id != 0 && refunds.size() < kMaxRefundWatchesPerOrder) {
    RefundWatch& watch = refunds.emplace_back();
    watch.refund_id = e.refund_id;
    watch.succeeded_at = e.ts;
  }
  Incident* incident = find_open_for_order(o, IncidentType::kRefundFailed);
  if (incident != nullptr &&
      (incident->refund_id == e.refund_id || incident->refund_id == 0 || e.refund_id == 0)) {
    clear(incident, e);
  } else {
    note_late_evidence(IncidentType::kRefundFailed, o, e);
  }
}

// Loss is money that moved (INCIDENTS.md's loss rate): a refund OrderGuard issued counts when
// it goes out, and comes back out when a refund.failed shows it did not go through. The
// failure is taken as ours (decision 57) unless a refund.requested announced it as another
// refund: one requested before ours went out, or for another amount.
void EngineCore::take_back_failed_refund(std::uint32_t o, const Event& e) {
  const OrderExtras* extra = find_extras(o);
  if (extra == nullptr || extra->last_refund_command == UINT32_MAX) return;
  Command& command = commands[extra->last_refund_command];
  if (command.payout_failed || e.ts < command.at) return;  // a late failure is not of a refund sent after it
  for (const RefundWatch& watch : extra->refunds) {
    if (watch.refund_id == e.refund_id && watch.requested_at != kAbsent && watch.requested_at < command.at) return;
  }
  if (announced_as_another_refund(*extra, e, command)) return;
  refund_did_not_go_through(command);
}

// A refund.requested announced the failed refund, for another amount than ours.
bool EngineCore::announced_as_another_refund(const OrderExtras& extra, const Event& e, const Command& refund) {
  return std::any_of(extra.refunds.begin(), extra.refunds.end(), [&](const RefundWatch& watch) {
    return watch.refund_id == e.refund_id && watch.requested_at != kAbsent && watch.amount != refund.amount;
  });
}

void EngineCore::refund_did_not_go_through(Command& command) {
  command.payout_failed = true;
  if (Incident* issuer = log.find_by_id(command.incident_id)) {
    issuer->loss = saturating_add(issuer->loss, -command.amount);
    note_closed_change(*issuer);
  }
}

void EngineCore::on_refund_failed(std::uint32_t o, const Event& e) {
  take_back_failed_refund(o, e);
  TimeMs succeeded_after = kAbsent;  // a success of this refund after the failure
  if (find_extras(o) != nullptr) {
    for (RefundWatch& watch : extras(o).refunds) {
      if (watch.refund_id != e.refund_id) continue;
      // The failure is this refund's incident: its 24 h watch would only raise it once more,
      // after the playbook's re-issue (under a new refund id) had paid it, and pay it again.
      timers_.cancel(watch.timer);
      if (succeeded_after == kAbsent && watch.succeeded_at != kAbsent && watch.succeeded_at > e.ts) {
        succeeded_after = watch.succeeded_at;
      }
    }
  }
  Incident* incident =
      raise(Raise{.type = IncidentType::kRefundFailed, .at = e.ts, .order = o, .refund_id = e.refund_id, .evidence = {e.id}});
  // A late failure of a refund that already succeeded after it: cleared by itself.
  if (incident != nullptr && succeeded_after != kAbsent) log.resolve(*incident, Resolution::kSelf, succeeded_after);
}

void EngineCore::fire_refund_timeout(std::uint32_t o, std::uint32_t w, TimeMs at) {
  const OrderExtras* extra = find_extras(o);
  if (extra == nullptr || w >= extra->refunds.size()) return;
  const RefundWatch& watch = extra->refunds[w];
  const TimeMs deadline = watch.requested_at + config.refund_timeout_ms;
  if (watch.succeeded_at != kAbsent && watch.succeeded_at <= deadline) return;
  Incident* incident = raise(Raise{.type = IncidentType::kRefundFailed, .at = at, .order = o, .watch_deadline = deadline,
                                   .refund_id = watch.refund_id, .evidence = {event_id(watch.requested_event)}});
  if (incident != nullptr && watch.succeeded_at != kAbsent) log.resolve(*incident, Resolution::kSelf, watch.succeeded_at);
}

void EngineCore::arm_stock_release(std::uint32_t o, TimeMs now) {
  OrderState& s = order(o);
  if (s.cancelled_at() == kAbsent || s.reserved_at() == kAbsent || s.reserved_at() > s.cancelled_at()) return;
  if (s.released_at() != kAbsent && s.released_at() >= s.reserved_at()) return;
  if (const OrderExtras* extra = find_extras(o); extra != nullptr && timers_.is_live(extra->stock_release_timer)) return;
  extras(o).stock_release_timer = schedule(s.cancelled_at() + config.stock_release_timeout_ms, now, o, TimerKind::kStockRelease);
}

void EngineCore::fire_stock_release(std::uint32_t o, TimeMs at) {
  OrderState& s = order(o);
  const TimeMs deadline = s.cancelled_at() + config.stock_release_timeout_ms;
  if (s.released_at() != kAbsent && s.released_at() >= s.reserved_at() && s.released_at() <= deadline) return;
  raise(Raise{.type = IncidentType::kStockNotReleased, .at = at, .order = o, .watch_deadline = deadline,
              .evidence = {event_id(s.cancelled_event)}});
}

void EngineCore::on_stock_released(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (s.released_at() == kAbsent || e.ts > s.released_at()) s.set_released_at(e.ts);
  if (s.reserved_at() != kAbsent && e.ts >= s.reserved_at()) {
    if (const OrderExtras* extra = find_extras(o)) timers_.cancel(extra->stock_release_timer);
  }
  if (Incident* incident = find_open_for_order(o, IncidentType::kStockNotReleased)) {
    clear(incident, e);
  } else {
    note_late_evidence(IncidentType::kStockNotReleased, o, e);
  }
}

}  // namespace og
