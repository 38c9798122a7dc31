// Order lifecycle: creation, address changes, cancellation, completion. Each hands the
// facts to the rules of every category that reads them.
#include <algorithm>

#include "engine/engine_core.h"

namespace og {

void EngineCore::on_order_created(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (s.created) return count_repeat();  // the first order.created wins; a re-sent one changes nothing
  s.created = true;
  s.set_created_at(e.ts);
  keep_id(s.created_event, e);
  s.user = e.user_id;
  s.zone = e.zone;
  s.community = e.community;
  s.kind = e.kind;
  s.payment_method = e.payment_method;
  s.amount = e.amount;
  s.set_promise_at(e.promise_at);
  s.set_slot_start(e.slot_start);
  s.address_present = e.address.present;
  s.address_has_text = e.address.has_text;
  s.address_has_building = e.address.has_building;
  s.address_has_room = e.address.has_room;
  s.address_has_position = e.address.has_position;
  s.address_position = e.address.position;
  s.items = item_pool_.add(e.items);
  if (e.coupon.present && e.coupon.discount > 0) extras(o).coupon_discount = e.coupon.discount;
  const UserState* profile = users_.find(s.user);
  const bool profile_vip = profile != nullptr && profile->has_profile_tier && profile->vip;
  s.vip = (e.has_user_tier && e.user_tier == UserTier::kVip) || profile_vip;
  if (e.has_substitution_pref) s.substitution_pref = e.substitution_pref;
  else if (profile != nullptr && profile->has_profile_pref) s.substitution_pref = profile->substitution_pref;

  if (const OrderExtras* extra = find_extras(o)) timers_.cancel(extra->paid_no_order_timer);
  adopt_early_incidents(o);  // first: the paid-no-order incident the order clears takes its facts too
  clear(find_open_for_order(o, IncidentType::kPaidNoOrder), e);
  if (const OrderExtras* extra = find_extras(o)) {
    for (const PaymentRecord& payment : extra->paid_before_created) check_amount_mismatch(o, payment, e);
  }
  arm_payment_timeout(o, e.ts);
  check_prices_and_coupon(o, e);
  check_address(o, e);
  check_amount_anomaly(o, e);
  check_duplicate_unpaid(o, e);
  if (s.pick_completed_at() != kAbsent && s.pick_items_known) {  // picked before it was created: `[]` too
    // Kept: a PICKING_MISMATCH raised here starts its playbook from it.
    const OrderExtras* extra = find_extras(o);
    check_picking(o, e, extra != nullptr ? extra->picked_before_created : std::vector<Item>{});
  }
  refresh_stage(o, e);
  arm_delivery_late(o, e.ts);
  const bool complete_address = e.address.has_text && e.address.has_position && (e.address.has_building || e.address.has_room);
  if (complete_address && s.user != kNoSymbol && s.community != kNoSymbol) user(s.user).complete_address_community = s.community;
}

// A cancellation or completion that arrives late can prove a missed fulfilment deadline was
// never due: "when an order is cancelled or completed, its pending fulfilment deadlines are
// dropped".
void EngineCore::retract_fulfilment_deadlines(std::uint32_t o, const Event& e) {
  for (const IncidentType type : {IncidentType::kDeliveryLate, IncidentType::kRiderStalled, IncidentType::kRiderNotAssigned}) {
    retract_if_disproved(o, type, e);
  }
  for (std::size_t stage = 0; stage < kStageCount; ++stage) {
    retract_if_disproved(o, IncidentType::kOrderStuck, e, static_cast<std::uint32_t>(stage) + 1);
  }
}

void EngineCore::raise_if_fulfilled_after(std::uint32_t o, const Event& e, std::initializer_list<TimeMs> fulfilment) {
  TimeMs first_after = kAbsent;
  for (const TimeMs t : fulfilment) {
    if (t != kAbsent && t > e.ts && (first_after == kAbsent || t < first_after)) first_after = t;
  }
  if (first_after == kAbsent) return;
  raise(Raise{.type = IncidentType::kStateInconsistent, .at = first_after, .order = o, .evidence = {e.id}});
}

// Incidents raised before the order itself was known (a payment, a shortage, a complaint that
// came first) take on its facts now, resolved ones too (decisions #5): the high-value raise,
// zone, community, customer. Those that learn their community count towards its hotspots
// then, and those that learn their customer towards a repeat customer, as if raised with them.
void EngineCore::adopt_early_incidents(std::uint32_t o) {
  const OrderExtras* extra = find_extras(o);
  if (extra == nullptr) return;
  const OrderState& s = order(o);
  const std::vector<std::uint32_t> early = extra->incidents;  // a hotspot raised below adds to the log
  for (const std::uint32_t index : early) {
    Incident& incident = log.at(index);
    const bool new_community = incident.community == kNoSymbol && s.community != kNoSymbol;
    const bool new_user = incident.user == kNoSymbol && s.user != kNoSymbol;
    incident.zone = s.zone;
    incident.community = s.community;
    incident.user = s.user;
    incident.order_amount = s.amount;
    incident.vip = s.vip;
    if (s.amount != kAbsent && s.amount >= config.high_value_amount) incident.severity = Severity::kHigh;
    incident.priority = priority_of(incident);
    if (new_user) note_user_incident(incident.user, index);
    if (new_community && incident.status != IncidentStatus::kRetracted) count_for_hotspot(incident, s.created_at());  // may move the log
  }
}

void EngineCore::on_address_changed(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (!e.address.present) return;
  s.address_present = true;
  s.address_has_text = e.address.has_text;
  s.address_has_building = e.address.has_building;
  s.address_has_room = e.address.has_room;
  s.address_has_position = e.address.has_position;
  s.address_position = e.address.position;
  if (s.created) check_address(o, e);
}

void EngineCore::on_order_cancelled(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (s.cancelled_at() != kAbsent && s.cancelled_at() <= e.ts) return count_repeat();  // already cancelled
  const bool first_cancellation = s.cancelled_at() == kAbsent;
  s.set_cancelled_at(e.ts);
  keep_id(s.cancelled_event, e);
  // A late cancellation can make fulfilment already applied impossible: picked up or
  // delivered after it. Detected at the first such event, as in ts order.
  raise_if_fulfilled_after(o, e, {s.picked_up_at(), s.delivered_at()});
  retract_if_disproved(o, IncidentType::kPaymentTimeout, e);
  retract_fulfilment_deadlines(o, e);
  drop_fulfilment_watches(o);
  arm_stock_release(o, e.ts);
  if (first_cancellation && e.cancelled_by == CancelledBy::kUser) count_user_cancellation(o, e);
  if (!s.gmv_counted) honoured_coupon_counts(o, false);
}

// A coupon honoured at checkout gives nothing up on an order cancelled before it was paid:
// the loss rate counts it only for orders in the GMV (decisions #60). A payment that arrives
// after the cancellation, stamped before it, puts it back (count_gmv): the same either way.
void EngineCore::honoured_coupon_counts(std::uint32_t o, bool counts) {
  const OrderExtras* extra = find_extras(o);
  if (extra == nullptr) return;
  for (const std::uint32_t index : extra->incidents) {
    Incident& incident = log.at(index);
    if (incident.type != IncidentType::kCouponInvalid || incident.resolution != Resolution::kAuto || !incident.actions.empty()) continue;
    const std::int64_t loss = counts ? extra->coupon_discount : 0;
    if (incident.loss == loss) continue;
    incident.loss = loss;
    note_closed_change(incident);
  }
}

void EngineCore::on_order_completed(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (s.completed_at() != kAbsent && s.completed_at() <= e.ts) return count_repeat();
  s.set_completed_at(e.ts);
  raise_if_fulfilled_after(o, e, {s.reserved_at(), s.pick_started_at(), s.pick_completed_at(), s.rider_assigned_at(),
                                  s.picked_up_at(), s.delivered_at()});
  retract_fulfilment_deadlines(o, e);
  drop_fulfilment_watches(o);
}

}  // namespace og
