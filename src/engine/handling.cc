// Automatic handling inside the engine (docs/handling.md): each incident runs the playbook of
// its type (rules/playbook.h) as a small state machine on the engine's own event time. Steps
// emit commands (handling/command.h), wait for the owner's event that proves the fix, retry,
// fall back, and escalate to the people desk (src/people). Agent events drive the desk.
// Everything here is a function of the events and the configuration: no clock, no I/O.
#include <algorithm>

#include <fmt/format.h>

#include "core/geo.h"
#include "core/hash.h"
#include "engine/engine_core.h"
#include "handling/choice.h"
#include "core/saturating.h"

namespace og {
namespace {

constexpr std::uint16_t kMaxStepsPerRun = 64;  // a playbook whose targets loop stops here

bool contains(const std::vector<EventType>& types, EventType type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

const Step& current_step(const PlaybookRun& run, const Incident& incident) {
  return run.config->playbooks[static_cast<std::size_t>(incident.type)].steps[run.step];
}

// Local time in Beijing as people read it on a phone: "10:45".
std::string clock_beijing(TimeMs t) {
  const std::int64_t minutes = ((t / kMinuteMs + 8 * 60) % (24 * 60) + 24 * 60) % (24 * 60);
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

// Money the platform gives (compensation), as against money of the customer's that goes back
// (a duplicate or excess payment, a refund already owed): only the first needs a person for a
// repeat customer.
bool compensates(AmountRule rule) {
  return rule != AmountRule::kPaid && rule != AmountRule::kOverpaid && rule != AmountRule::kDuplicate &&
         rule != AmountRule::kRefund;
}

bool remediates(StepAction action) { return emits_command(action) && action != StepAction::kNotify; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Starting and stopping

void EngineCore::start_playbooks() {
  while (!to_start_.empty()) {
    const std::vector<std::uint32_t> raised = std::move(to_start_);
    to_start_.clear();
    for (const std::uint32_t index : raised) start_playbook(index);
  }
}

void EngineCore::start_playbook(std::uint32_t index) {
  Incident& incident = log.at(index);
  if (incident.is_closed() || !config.handling_enabled) return;
  const TimeMs at = acting_at_ == kAbsent ? incident.detected_at : std::max(incident.detected_at, acting_at_);
  PlaybookRun run;
  run.config = config.handling;
  run.incident = index;
  if (incident.order != kNoSymbol) run.order = order_index(incident.order);
  run.sku = incident.sku;
  if (const Event* e = current_event_) {
    run.reference = e->id;
    if (run.order == UINT32_MAX && e->order_id != kNoSymbol) run.order = order_index(e->order_id);
    switch (e->type) {
      case EventType::kPaymentSucceeded: run.paid = e->amount; break;
      case EventType::kStockShortage:
        run.sku = e->sku;
        if (e->requested != kAbsent && e->available != kAbsent && e->requested > e->available) {
          run.short_qty = e->requested - std::max<std::int64_t>(e->available, 0);
        }
        break;
      case EventType::kComplaintFiled:
      case EventType::kPickingCompleted: run.items = canonical_items(e->items); break;
      case EventType::kOrderCreated:  // a mismatch of a pick that came before the order
        if (incident.type == IncidentType::kPickingMismatch && run.order != UINT32_MAX) {
          if (const OrderExtras* extra = find_extras(run.order)) run.items = canonical_items(extra->picked_before_created);
        }
        break;
      case EventType::kDeliveryAttemptFailed: run.attempt_failure = e->attempt_failure; break;
      default: break;
    }
  }
  if (run.paid == kAbsent && run.order != UINT32_MAX) {
    if (const OrderExtras* extra = find_extras(run.order); extra != nullptr && !extra->paid_before_created.empty()) {
      run.paid = incident.type == IncidentType::kDuplicatePayment ? extra->paid_before_created.back().amount
                                                                   : extra->paid_before_created.front().amount;
    } else if (extra != nullptr && !extra->more_payments.empty() && incident.type == IncidentType::kDuplicatePayment) {
      run.paid = extra->more_payments.back().amount;
    }
  }
  if (incident.type == IncidentType::kStateInconsistent) {
    escalate(incident, at, "state_inconsistent");  // always, whatever the configuration says
    return;
  }
  if (incident.user != kNoSymbol) {
    const Policies& policies = run.config->policies;
    run.repeat_customer = user_incidents_between(incident.user, at - policies.repeat_window_ms, at) >= policies.repeat_incidents;
  }
  if (run.repeat_customer && run.config->policies.repeat_escalates_all) {
    escalate(incident, at, "repeat_customer");  // INCIDENTS.md: a person, not the playbook
    return;
  }
  if (run.config->playbooks[static_cast<std::size_t>(incident.type)].steps.empty()) return;  // stays open
  incident.status = IncidentStatus::kHandling;
  auto [it, inserted] = runs_.insert_or_assign(index, std::move(run));
  enter_step(it->second, 0, at);
}

void EngineCore::stop_run(std::uint32_t incident) {
  const auto it = runs_.find(incident);
  if (it == runs_.end()) return;
  timers_.cancel(it->second.timer);
  runs_.erase(it);
}

void EngineCore::arm_run_timer(PlaybookRun& run, PlaybookRun::Phase phase, TimeMs deadline, TimeMs now) {
  timers_.cancel(run.timer);
  run.phase = phase;
  ++run.generation;
  run.timer = timers_.schedule(std::max(deadline, now), (static_cast<std::uint64_t>(run.incident) << 32) |
                                                            (static_cast<std::uint64_t>(TimerKind::kPlaybook) << 16) |
                                                            run.generation);
}

// ---------------------------------------------------------------------------------------------
// The state machine

bool EngineCore::step_applies(const PlaybookRun& run, const Step& step) const {
  for (std::size_t c = 0; c < kConditionCount; ++c) {
    const auto condition = static_cast<Condition>(c);
    if (((step.when >> c) & 1u) && !condition_holds(run, step, condition)) return false;
    if (((step.unless >> c) & 1u) && condition_holds(run, step, condition)) return false;
  }
  return true;
}

void EngineCore::enter_step(PlaybookRun& run, std::size_t step, TimeMs at) {
  Incident& incident = log.at(run.incident);
  const auto& steps = run.config->playbooks[static_cast<std::size_t>(incident.type)].steps;
  for (; step < steps.size(); ++step) {
    const Step& candidate = steps[step];
    if (!step_applies(run, candidate)) continue;
    if (run.step_count++ >= kMaxStepsPerRun) {
      escalate(incident, at, "playbook_loops");
      return;
    }
    run.step = static_cast<std::uint16_t>(step);
    run.attempt = 0;
    run.interval_ms = candidate.interval_ms;
    if (candidate.delay_ms > 0) {
      arm_run_timer(run, PlaybookRun::Phase::kDelay, at + candidate.delay_ms, at);
      return;
    }
    attempt_step(run, at);
    return;
  }
  finish_run(run, at);
}

void EngineCore::attempt_step(PlaybookRun& run, TimeMs at) {
  Incident& incident = log.at(run.incident);
  const Step& step = current_step(run, incident);
  // Conditions hold at each attempt, not only on entry: an order cancelled during a delay or
  // between retries is not charged again, nor cancelled twice. A delayed first attempt whose
  // conditions went is skipped, as on entry; a retry whose conditions went ends the step as
  // failed, and its on_failure decides (it is no failed remediation of the order).
  if (run.attempt > 0 || step.delay_ms > 0) {
    if (!step_applies(run, step)) {
      if (run.attempt == 0) {
        enter_step(run, run.step + 1u, at);
      } else {
        follow(run, step.on_failure, at, "step_failed:" + step.name);
      }
      return;
    }
  }
  ++run.attempt;
  run.attempt_at = at;
  switch (step.action) {
    case StepAction::kEscalate:
      escalate(incident, at, "playbook:" + step.name);
      return;
    case StepAction::kResolve: {
      const std::int64_t amount = step_amount(run, step);
      if (amount != kAbsent && amount > 0) incident.loss = saturating_add(incident.loss, amount);
      finish_run(run, at);
      return;
    }
    case StepAction::kWait:
      break;
    default: {
      if (pays_out(step.action) && run.repeat_customer && compensates(step.amount)) {  // repeat_escalates = "payouts"
        escalate(incident, at, "repeat_customer");
        return;
      }
      std::optional<RateCapHit> capped;
      if (!emit_step_commands(run, step, at, capped)) {
        // The step cannot act (no rider, no substitute, an amount nobody can work out): a
        // failure, with no retry, since nothing would change.
        run.attempt = static_cast<std::uint16_t>(step.attempts);
        attempt_failed(run, at, kNoSymbol);
        return;
      }
      if (capped) {
        // Over a rate cap (an incident storm): a person decides instead (decisions #49).
        incident.rate_capped = static_cast<std::uint8_t>(static_cast<std::size_t>(capped->kind) + 1);
        escalate(incident, at, capped->cause);
        return;
      }
      break;
    }
  }
  const DurationMs timeout = step_timeout(run, step);
  const bool waits = step.action == StepAction::kWait || !step.await.empty() || !step.fail_on.empty() || timeout != kNoTimeout;
  if (!waits) {
    follow(run, step.on_success, at, {});
    return;
  }
  if (timeout == kNoTimeout) {
    timers_.cancel(run.timer);
    run.phase = step.await.empty() ? PlaybookRun::Phase::kHold : PlaybookRun::Phase::kAwait;
    return;
  }
  arm_run_timer(run, PlaybookRun::Phase::kAwait, at + timeout, at);
}

// The refund the run's current step sent last: the order's latest refund when it is this
// incident's (nearly always), else found among the commands from the newest back (another
// incident on the order refunded since).
Command* EngineCore::run_refund_command(const PlaybookRun& run) {
  const Incident& incident = log.at(run.incident);
  if (current_step(run, incident).action != StepAction::kRefundIssue || run.order == UINT32_MAX) return nullptr;
  const OrderExtras* extra = find_extras(run.order);
  if (extra == nullptr || extra->last_refund_command == UINT32_MAX) return nullptr;
  if (commands[extra->last_refund_command].incident_id == incident.id) return &commands[extra->last_refund_command];
  for (std::size_t i = extra->last_refund_command; i-- > 0;) {
    if (commands[i].incident_id == incident.id && commands[i].name == "refund.issue") return &commands[i];
  }
  return nullptr;
}

void EngineCore::attempt_failed(PlaybookRun& run, TimeMs at, Symbol code) {
  Incident& incident = log.at(run.incident);
  const Step& step = current_step(run, incident);
  const std::string_view code_text = code == kNoSymbol ? std::string_view{} : interner.view(code);
  const bool stop = !code_text.empty() && std::find(step.stop_codes.begin(), step.stop_codes.end(), code_text) != step.stop_codes.end();
  if (!stop && run.attempt < step.attempts) {
    DurationMs interval = run.interval_ms;
    for (const CodeInterval& by_code : step.interval_by_code) {
      if (by_code.code == code_text) interval = by_code.interval_ms;
    }
    run.interval_ms = static_cast<DurationMs>(static_cast<double>(run.interval_ms) * step.backoff);
    const TimeMs next = std::max(at, run.attempt_at + interval);
    if (next <= at) {
      attempt_step(run, at);
    } else {
      arm_run_timer(run, PlaybookRun::Phase::kBackoff, next, at);
    }
    return;
  }
  if (remediates(step.action) && run.order != UINT32_MAX) {
    OrderExtras& extra = extras(run.order);
    if (extra.remediation_failures < UINT8_MAX) ++extra.remediation_failures;
    if (extra.remediation_failures >= run.config->policies.remediation_failures) {
      escalate(incident, at, "remediation_failed_twice");
      return;
    }
  }
  follow(run, step.on_failure, at, "step_failed:" + step.name);
}

void EngineCore::follow(PlaybookRun& run, const StepTarget& target, TimeMs at, std::string_view cause) {
  switch (target.kind) {
    case StepTarget::Kind::kNext: enter_step(run, run.step + 1u, at); return;
    case StepTarget::Kind::kDone: finish_run(run, at); return;
    case StepTarget::Kind::kEscalate:
      escalate(log.at(run.incident), at, cause.empty() ? std::string_view("playbook") : cause);
      return;
    case StepTarget::Kind::kStep: enter_step(run, target.step, at); return;
  }
}

void EngineCore::finish_run(PlaybookRun& run, TimeMs at) {
  Incident& incident = log.at(run.incident);
  const std::uint32_t index = run.incident;
  if (!incident.is_closed() && incident.status == IncidentStatus::kHandling) log.resolve(incident, Resolution::kAuto, at);
  stop_run(index);  // `run` is gone from here on
}

void EngineCore::fire_playbook(std::uint32_t incident_index, std::uint32_t generation, TimeMs at) {
  const auto it = runs_.find(incident_index);
  if (it == runs_.end() || it->second.generation != generation) return;
  PlaybookRun& run = it->second;
  if (log.at(incident_index).is_closed()) return stop_run(incident_index);
  switch (run.phase) {
    case PlaybookRun::Phase::kDelay:
    case PlaybookRun::Phase::kBackoff: attempt_step(run, at); break;
    case PlaybookRun::Phase::kAwait: {
      // A refund sent again on silence: the one before is taken as not gone through, as the
      // re-issue takes it (else three unanswered re-issues of 10 count 30). Silence before an
      // escalation leaves the last one counted: nobody knows (decision 60).
      if (run.attempt < current_step(run, log.at(incident_index)).attempts) {
        if (Command* refund = run_refund_command(run); refund != nullptr && !refund->payout_failed) refund_did_not_go_through(*refund);
      }
      attempt_failed(run, at, kNoSymbol);
      break;
    }
    case PlaybookRun::Phase::kHold: break;
  }
}

void EngineCore::playbook_event(std::uint32_t o, const Event& e) {
  if (runs_.empty()) return;
  const OrderExtras* extra = find_extras(o);
  if (extra == nullptr) return;
  // Ending a run never changes the order's incident list (only raising does, in the rules),
  // so it is walked in place.
  for (std::size_t i = 0; i < extra->incidents.size(); ++i) {
    const std::uint32_t index = extra->incidents[i];
    const auto it = runs_.find(index);
    if (it == runs_.end()) continue;
    PlaybookRun& run = it->second;
    Incident& incident = log.at(index);
    if (incident.is_closed()) {
      stop_run(index);
      continue;
    }
    if (e.type == EventType::kSubstitutionResponded && (run.sku == kNoSymbol || e.sku == run.sku)) {
      run.offer_accepted = e.accepted;
      run.accepted_substitute = e.accepted ? e.substitute_sku : kNoSymbol;
    }
    if (run.phase != PlaybookRun::Phase::kAwait && run.phase != PlaybookRun::Phase::kHold) continue;
    const Step& step = current_step(run, incident);
    const TimeMs at = std::max(e.ts, run.attempt_at);
    if (contains(step.fail_on, e.type)) {
      // A refund step failed by a refund.failed: the refund it sent did not go through, under
      // whatever refund id the payment system reports it (REFUND_FAILED's re-issues of an
      // announced refund came back under its id, and each counted as paid). A failure stamped
      // before that refund went out, or announced as another refund of another amount, is
      // not its answer (decision 57).
      if (e.type == EventType::kRefundFailed) {
        if (Command* refund = run_refund_command(run)) {
          if (e.ts < refund->at || announced_as_another_refund(*extra, e, *refund)) continue;
          if (!refund->payout_failed) refund_did_not_go_through(*refund);
        }
      }
      timers_.cancel(run.timer);
      run.phase = PlaybookRun::Phase::kBackoff;
      attempt_failed(run, at, e.code);
      continue;
    }
    // A re-issued refund succeeds under the owner's new refund id: for the order, that is the
    // refund succeeding, which is what clears REFUND_FAILED.
    if (incident.type == IncidentType::kRefundFailed && e.type == EventType::kRefundSucceeded && !incident.actions.empty()) {
      clear(&incident, e);
      continue;
    }
    // A redo is proved by the warehouse's next pick only if it now matches the order (the first
    // pick still stands for detection, decision 17). A pick of the redo's own millisecond was
    // made before it was asked for: it answers nothing, and is not taken as the fix either.
    if (incident.type == IncidentType::kPickingMismatch && e.type == EventType::kPickingCompleted) {
      if (!contains(step.await, e.type) || run.phase != PlaybookRun::Phase::kAwait || e.ts <= run.attempt_at) continue;
      timers_.cancel(run.timer);
      if (e.has_items) run.items = canonical_items(e.items);  // what the goods now hold: a refund after pickup reads it
      if (e.has_items && pick_matches_order(o, e.items)) {
        follow(run, step.on_success, at, {});
      } else {
        run.phase = PlaybookRun::Phase::kBackoff;
        attempt_failed(run, at, e.code);
      }
      continue;
    }
    // For a type that clears itself, only the clearing proves the fix (and ends the run).
    if (contains(step.await, e.type) && !clears_itself(incident.type)) {
      timers_.cancel(run.timer);
      follow(run, step.on_success, at, {});
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Facts a step reads

std::int64_t EngineCore::unit_price_of(std::uint32_t o, Symbol sku) const {
  for (const OrderItem& item : items_of(o)) {
    if (item.sku == sku && item.unit_price != kAbsent) return item.unit_price;
  }
  const auto it = catalog_.find(sku);
  return it == catalog_.end() ? kAbsent : it->second.price;
}

namespace {

// The incidents whose refunds give back the value of the order's goods: together they never
// give back more than the order's payable `amount` (decisions #61). Refunds of a payment
// itself (a duplicate, an overpayment, a payment without an order) are not of the goods; the
// re-issue of a failed refund is counted as if it were, and is refunded whole or not at all: a
// person decides where the two kinds meet. An incident's loss is what it paid out, refunds and,
// with a playbook of one's own, coupons: those count too.
bool refunds_goods(IncidentType type) {
  switch (type) {
    case IncidentType::kRefundFailed:  // a re-issue of a failed refund, most often of goods
    case IncidentType::kOutOfStock:
    case IncidentType::kPickingMismatch:
    case IncidentType::kPriceMismatch:
    case IncidentType::kDamagedGoods:
    case IncidentType::kWrongOrMissingItem: return true;
    default: return false;
  }
}

}  // namespace

std::int64_t EngineCore::shortage_refunded_before(const PlaybookRun& run) const {
  return std::max<std::int64_t>(goods_refunded(run.order, run.sku) - log.at(run.incident).loss, 0);
}

std::int64_t EngineCore::goods_refunded(std::uint32_t o, Symbol sku) const {
  const OrderExtras* extra = find_extras(o);
  if (extra == nullptr) return 0;
  std::int64_t total = 0;
  for (const std::uint32_t index : extra->incidents) {
    const Incident& incident = log.at(index);
    if (refunds_goods(incident.type) && (sku == kNoSymbol || incident.sku == sku)) total = saturating_add(total, incident.loss);
  }
  return total;
}

std::int64_t EngineCore::price_above_catalog(std::uint32_t o) const {
  std::int64_t total = 0;
  for (const OrderItem& item : items_of(o)) {
    const auto it = catalog_.find(item.sku);
    if (item.unit_price == kAbsent || it == catalog_.end() || it->second.price == kAbsent) continue;
    if (item.unit_price > it->second.price) total = saturating_add(total, saturating_mul(item.unit_price - it->second.price, item.qty));
  }
  return total;
}

bool EngineCore::condition_holds(const PlaybookRun& run, const Step& step, Condition condition) const {
  const OrderState* s = run.order == UINT32_MAX ? nullptr : &orders_[run.order];
  const Policies& policies = run.config->policies;
  switch (condition) {
    case Condition::kOverpaid:
      return s != nullptr && run.paid != kAbsent && s->amount != kAbsent && run.paid > s->amount;
    case Condition::kUnderpaid:
      return s != nullptr && run.paid != kAbsent && s->amount != kAbsent && run.paid < s->amount;
    case Condition::kBeforePickup: return s != nullptr && s->picked_up_at() == kAbsent;
    case Condition::kAfterPickup: return s != nullptr && s->picked_up_at() != kAbsent;
    case Condition::kRefundWithinCap: {
      const std::int64_t amount = step_amount(run, step);
      return amount != kAbsent && amount <= policies.refund_auto_cap;
    }
    case Condition::kCouponWithinCap: {
      const OrderExtras* extra = run.order == UINT32_MAX ? nullptr : find_extras(run.order);
      return extra != nullptr && extra->coupon_discount <= policies.coupon_honour_cap;
    }
    case Condition::kPrefSubstitute: return s != nullptr && s->substitution_pref == SubstitutionPref::kSubstitute;
    case Condition::kPrefContact: return s != nullptr && s->substitution_pref == SubstitutionPref::kContact;
    case Condition::kPrefRefund: return s != nullptr && s->substitution_pref == SubstitutionPref::kRefund;
    case Condition::kHasSubstitute: return !substitutes_for(run, 1).empty();
    case Condition::kOfferAccepted: return run.offer_accepted && run.accepted_substitute != kNoSymbol;
    case Condition::kRiderAvailable: return run.order != UINT32_MAX && best_rider_for(run.order) != kNoSymbol;
    case Condition::kMissingItems:
    case Condition::kWrongItems: {
      if (run.order == UINT32_MAX) return false;
      const auto ordered = expected_picking(run.order);
      const auto qty_in = [](const std::vector<SkuQty>& list, Symbol sku) {
        for (const SkuQty& line : list) {
          if (line.sku == sku) return line.qty;
        }
        return std::int64_t{0};
      };
      if (condition == Condition::kMissingItems) {
        return std::any_of(ordered.begin(), ordered.end(), [&](const SkuQty& line) { return qty_in(run.items, line.sku) < line.qty; });
      }
      return std::any_of(run.items.begin(), run.items.end(), [&](const SkuQty& line) { return qty_in(ordered, line.sku) < line.qty; });
    }
    case Condition::kWrongAddress: return run.attempt_failure == AttemptFailure::kWrongAddress;
    case Condition::kHasPickupPoint: return run.order != UINT32_MAX && nearest_pickup_point(run.order) != nullptr;
    case Condition::kHasKnownAddress: {
      if (s == nullptr || s->user == kNoSymbol || s->community == kNoSymbol) return false;
      const UserState* u = users_.find(s->user);
      return u != nullptr && u->complete_address_community == s->community;
    }
    case Condition::kOrderPaid: return s != nullptr && s->paid_at() != kAbsent;
    case Condition::kPriceAboveCatalog: return s != nullptr && price_above_catalog(run.order) > 0;
    case Condition::kOrderCancelled: {
      if (s == nullptr) return false;
      if (s->cancelled_at() != kAbsent) return true;
      // Or another incident's playbook has asked for the cancellation (PAYMENT_TIMEOUT's,
      // while a payment failure's retries run): one handling of the order, not two that
      // retry a payment OrderGuard itself asked to give up.
      const OrderExtras* extra = find_extras(run.order);
      return extra != nullptr && std::any_of(extra->incidents.begin(), extra->incidents.end(), [&](std::uint32_t index) {
               const auto& actions = log.at(index).actions;
               return index != run.incident && std::find(actions.begin(), actions.end(), "order.cancel") != actions.end();
             });
    }
    case Condition::kCount: break;
  }
  return false;
}

std::int64_t EngineCore::step_amount(const PlaybookRun& run, const Step& step) const {
  const Incident& incident = log.at(run.incident);
  const OrderState* s = run.order == UINT32_MAX ? nullptr : &orders_[run.order];
  const Policies& policies = run.config->policies;
  const auto value_of = [&](const std::vector<SkuQty>& lines) -> std::int64_t {
    if (lines.empty() || run.order == UINT32_MAX) return kAbsent;
    std::int64_t total = 0;
    for (const SkuQty& line : lines) {
      const std::int64_t price = unit_price_of(run.order, line.sku);
      if (price == kAbsent) return kAbsent;
      total = saturating_add(total, saturating_mul(price, line.qty));
    }
    return total;
  };
  switch (step.amount) {
    case AmountRule::kNone: return kAbsent;
    case AmountRule::kPaid: return run.paid != kAbsent ? run.paid : (s != nullptr ? s->amount : kAbsent);
    case AmountRule::kOverpaid:
      return s != nullptr && run.paid != kAbsent && s->amount != kAbsent ? run.paid - s->amount : kAbsent;
    case AmountRule::kDuplicate: return run.paid;
    case AmountRule::kRefund: {
      const OrderExtras* extra = run.order == UINT32_MAX ? nullptr : find_extras(run.order);
      if (extra == nullptr) return kAbsent;
      for (const RefundWatch& watch : extra->refunds) {
        if (watch.refund_id == incident.refund_id) return watch.amount;
      }
      // A refund OrderGuard issued fails under the payment system's own refund id, which no
      // refund.requested announced: the order's latest refund.issue not yet confirmed by a
      // refund.succeeded is the one to re-issue (none: the amount is unknown, a person decides).
      return extra->last_refund_command == UINT32_MAX ? kAbsent : commands[extra->last_refund_command].amount;
    }
    case AmountRule::kShort: {
      if (run.order == UINT32_MAX || run.sku == kNoSymbol) return kAbsent;
      std::int64_t qty = run.short_qty;
      if (qty == kAbsent) {
        for (const OrderItem& item : items_of(run.order)) {
          if (item.sku == run.sku) qty = (qty == kAbsent ? 0 : qty) + item.qty;
        }
      }
      const std::int64_t price = unit_price_of(run.order, run.sku);
      if (qty == kAbsent || price == kAbsent) return kAbsent;
      // The short quantity is refunded once: a shortage of the SKU reported again (a
      // warehouse's retry, under a new event id) owes only what goes beyond the refunds for
      // the earlier reports (decisions #61).
      return saturating_add(saturating_mul(qty, price), -shortage_refunded_before(run));
    }
    case AmountRule::kMissing: {
      // Missing against what should have been picked (accepted substitutions included); a
      // missing substitute is worth what its original was ordered at.
      if (run.order == UINT32_MAX) return kAbsent;
      const OrderExtras* extra = find_extras(run.order);
      std::vector<SkuQty> missing;
      for (const SkuQty& line : expected_picking(run.order)) {
        std::int64_t picked = 0;
        for (const SkuQty& p : run.items) {
          if (p.sku == line.sku) picked = p.qty;
        }
        if (picked < line.qty) missing.push_back(SkuQty{ordered_sku(extra, line.sku), line.qty - picked});
      }
      return missing.empty() ? 0 : value_of(missing);
    }
    case AmountRule::kAffected: return value_of(run.items);
    case AmountRule::kDamaged: {
      const std::int64_t value = value_of(run.items);
      return value == kAbsent ? kAbsent : value * policies.damage_refund_percent / 100;
    }
    case AmountRule::kPriceDifference: return run.order == UINT32_MAX ? kAbsent : price_above_catalog(run.order);
    case AmountRule::kLateness: {
      if (s == nullptr || s->promise_at() == kAbsent || s->delivered_at() == kAbsent) return kAbsent;
      const DurationMs late = s->delivered_at() - s->promise_at();
      std::int64_t amount = 0;
      for (const LatenessTier& tier : policies.lateness_coupons) {
        if (late > tier.over_ms) amount = tier.amount;  // "15–30 min ¥5, over 30 min ¥10": 30:00 is ¥5
      }
      return amount;
    }
    case AmountRule::kCoupon: {
      const OrderExtras* extra = run.order == UINT32_MAX ? nullptr : find_extras(run.order);
      return extra == nullptr ? kAbsent : extra->coupon_discount;
    }
    case AmountRule::kCount: break;
  }
  return kAbsent;
}

DurationMs EngineCore::step_timeout(const PlaybookRun& run, const Step& step) const {
  if (step.timeout_ms != kTypeParameter) {
    if (step.timeout_ms != kNoTimeout) return step.timeout_ms;
    return step.attempts > 1 ? run.interval_ms : kNoTimeout;
  }
  const Incident& incident = log.at(run.incident);
  switch (incident.type) {
    case IncidentType::kPaymentTimeout: return config.payment_timeout_ms;
    case IncidentType::kPaidNoOrder: return config.paid_no_order_timeout_ms;
    case IncidentType::kRiderStalled: return config.stall_timeout_ms;
    case IncidentType::kOrderStuck:
    case IncidentType::kRiderNotAssigned:
    case IncidentType::kRiderCancelled: {
      if (run.order == UINT32_MAX) return kNoTimeout;
      const Stage stage = incident.stage == Stage::kCount ? Stage::kAssign : incident.stage;
      const DurationMs limit = config.stage_limit_ms(orders_[run.order].kind, stage);
      return limit > 0 ? limit : kNoTimeout;
    }
    default: return kNoTimeout;
  }
}

std::vector<std::string> EngineCore::substitutes_for(const PlaybookRun& run, std::size_t count) const {
  if (run.sku == kNoSymbol || run.order == UINT32_MAX) return {};
  const auto original = catalog_.find(run.sku);
  if (original == catalog_.end() || original->second.category == kNoSymbol) return {};
  const std::int64_t original_price = unit_price_of(run.order, run.sku);
  if (original_price == kAbsent) return {};
  const std::int64_t needed = std::max<std::int64_t>(run.short_qty == kAbsent ? 1 : run.short_qty, 1);
  std::vector<SubstituteCandidate> candidates;
  for (const auto& [sku, entry] : catalog_) {
    if (sku == run.sku || entry.category != original->second.category || entry.price == kAbsent) continue;
    const auto level = stock_levels_.find(sku);
    SubstituteCandidate candidate;
    candidate.sku = interner.view(sku);
    candidate.same_category = true;
    candidate.price = entry.price;
    candidate.in_stock = level != stock_levels_.end() && level->second.available >= needed;
    for (const Symbol tag : entry.tags) {
      candidate.shared_tags += static_cast<int>(std::count(original->second.tags.begin(), original->second.tags.end(), tag));
    }
    candidates.push_back(candidate);
  }
  std::vector<std::string> out;
  for (const int i : best_substitutes(candidates, original_price, run.config->policies.substitute_max_price_ratio, count)) {
    out.emplace_back(candidates[static_cast<std::size_t>(i)].sku);
  }
  return out;
}

Symbol EngineCore::best_rider_for(std::uint32_t o) const {
  const OrderState& s = orders_[o];
  if (s.zone == kNoSymbol) return kNoSymbol;
  // The rider collects at the zone's station; without one, the order's address stands in.
  const auto zone = zones_.find(s.zone);
  const bool has_station = zone != zones_.end() && zone->second.has_centre;
  const LatLng pickup = has_station ? zone->second.centre : s.address_position;
  const bool has_pickup = has_station || s.address_has_position;
  const std::int64_t max_load = config.handling->policies.rider_max_load;
  // best_rider's ranking, one rider at a time: the distance (trigonometry) only for riders
  // who qualify and could still win on load, and no candidate list.
  RiderCandidate best;
  Symbol best_id = kNoSymbol;
  for (const RiderState& rider : riders_.records()) {
    if (rider.id == kNoSymbol) continue;
    RiderCandidate candidate;
    candidate.online = rider.online;
    candidate.in_zone = rider.zone == s.zone;
    candidate.active_orders = rider.active_orders;
    candidate.excluded = rider.id == s.rider && s.current_rider_cancelled;
    if (!rider_qualifies(candidate, max_load)) continue;
    if (best_id != kNoSymbol && candidate.active_orders > best.active_orders) continue;
    const bool known = has_pickup && rider.has_position;
    // Farther north or south of the pickup than the best so far, on the same load: it can
    // neither win nor tie. The margin (a millionth of a millimetre per metre, and a
    // millimetre) is far above the rounding of either distance, so a tie is never pruned.
    if (known && best_id != kNoSymbol && candidate.active_orders == best.active_orders && best.distance_m >= 0 &&
        latitude_gap_m(rider.position, pickup) > best.distance_m * (1 + 1e-9) + 1e-3) {
      continue;
    }
    candidate.id = interner.view(rider.id);
    candidate.distance_m = known ? great_circle_m(rider.position, pickup) : -1;
    if (best_id == kNoSymbol || rider_ranks_before(candidate, best)) {
      best = candidate;
      best_id = rider.id;
    }
  }
  return best_id;
}

const PickupPoint* EngineCore::nearest_pickup_point(std::uint32_t o) const {
  const OrderState& s = orders_[o];
  const auto zone = zones_.find(s.zone);
  if (s.zone == kNoSymbol || zone == zones_.end() || zone->second.pickup_points.empty()) return nullptr;
  const PickupPoint* best = nullptr;
  double best_distance = 0;
  for (const PickupPoint& point : zone->second.pickup_points) {
    const double distance = s.address_has_position ? great_circle_m(point.position, s.address_position) : 0;
    if (best == nullptr || distance < best_distance ||
        (distance == best_distance && interner.view(point.id) < interner.view(best->id))) {
      best = &point;
      best_distance = distance;
    }
  }
  return best;
}

std::vector<std::uint32_t> EngineCore::duplicate_unpaid_extras(Symbol user_id, std::uint32_t newest) const {
  std::vector<std::uint32_t> out;
  const UserState* u = users_.find(user_id);
  if (u == nullptr || newest == UINT32_MAX) return out;
  const OrderState& kept = orders_[newest];
  const auto items = canonical_items(items_of(newest));
  for (const auto& [created_at, other] : u->recent_orders) {
    if (other == newest || created_at <= kept.created_at() - config.duplicate_unpaid_window_ms || created_at > kept.created_at()) continue;
    const OrderState& candidate = orders_[other];
    if (candidate.is_paid_at(kept.created_at()) || candidate.cancelled_at() != kAbsent) continue;
    if (canonical_items(items_of(other)) == items) out.push_back(other);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Commands

Command& EngineCore::new_command(const PlaybookRun& run, const Step& step, std::string_view target, TimeMs at) {
  Incident& incident = log.at(run.incident);
  Command& command = commands.emplace_back();
  // The same incident, step, attempt and target always give the same id.
  std::uint64_t h = hash64(incident.id);
  h = hash_combine(h, run.step);
  h = hash_combine(h, run.attempt);
  h = hash_combine(h, hash64(target));
  command.id = fmt::format("cmd-{:016x}", h);
  command.name = std::string(step_action_name(step.action));
  command.incident_id = incident.id;
  command.order_id = std::string(interner.view(incident.order));
  command.at = at;
  command.reason = step.reason;
  incident.actions.push_back(command.name);
  if (incident.first_action_at == kAbsent) incident.first_action_at = at;
  return command;
}

bool EngineCore::emit_step_commands(PlaybookRun& run, const Step& step, TimeMs at, std::optional<RateCapHit>& capped) {
  Incident& incident = log.at(run.incident);
  const OrderState* s = run.order == UINT32_MAX ? nullptr : &orders_[run.order];
  const auto view = [&](Symbol symbol) { return std::string(interner.view(symbol)); };
  switch (step.action) {
    case StepAction::kNotify:
      notify(run, step, at, capped);  // a notification the limits hold back is not a failure
      return true;
    case StepAction::kRefundIssue:
    case StepAction::kCouponIssue: {
      std::int64_t amount = step_amount(run, step);
      if (amount == kAbsent) return false;
      if (step.action == StepAction::kRefundIssue && s != nullptr && s->amount != kAbsent && refunds_goods(incident.type)) {
        // Never more than the order was: what is left is refunded, and with nothing left (a
        // second complaint about goods already refunded in full) a person looks; a re-issue of
        // a failed refund is the whole of it or a person's (decisions #61).
        const std::int64_t left = s->amount - goods_refunded(run.order);
        if (amount > left && (left <= 0 || incident.type == IncidentType::kRefundFailed)) return false;
        amount = std::min(amount, left);
      }
      if (amount <= 0) {  // nothing owed
        if (step.action == StepAction::kRefundIssue && step.amount == AmountRule::kShort) {
          // A shortage the earlier reports' refunds gave back: what the customer is told is
          // the refund they had.
          if (const std::int64_t earlier = shortage_refunded_before(run); earlier > 0) run.last_payout = earlier;
        }
        return true;
      }
      const RateCapKind cap = step.action == StepAction::kRefundIssue ? RateCapKind::kRefund : RateCapKind::kCoupon;
      capped = rate_caps.admit({&cap, 1}, kNoSymbol, amount, at, run.config->policies.rate_caps, step_action_name(step.action));
      if (capped) return true;
      Command& command = new_command(run, step, {}, at);
      command.amount = amount;
      command.reference = run.reference;
      if (s != nullptr) command.user_id = view(s->user);
      if (step.action == StepAction::kRefundIssue && run.order != UINT32_MAX) {
        extras(run.order).last_refund_command = static_cast<std::uint32_t>(commands.size() - 1);
      }
      incident.loss = saturating_add(incident.loss, amount);
      run.last_payout = amount;
      return true;
    }
    case StepAction::kOrderSubstitute: {
      Symbol substitute = run.offer_accepted ? run.accepted_substitute : kNoSymbol;
      if (substitute == kNoSymbol) {
        const auto best = substitutes_for(run, 1);
        if (best.empty()) return false;
        substitute = interner.find(best.front());
      }
      const std::int64_t original = s == nullptr ? kAbsent : unit_price_of(run.order, run.sku);
      const auto entry = catalog_.find(substitute);
      Command& command = new_command(run, step, {}, at);
      command.sku = view(run.sku);
      command.substitute_sku = view(substitute);
      command.qty = run.short_qty != kAbsent ? run.short_qty : 1;
      if (entry != catalog_.end() && entry->second.price != kAbsent) {
        command.unit_price = original == kAbsent ? entry->second.price : std::min(original, entry->second.price);
      }
      return true;
    }
    case StepAction::kRiderReassign: {
      if (run.order == UINT32_MAX) return false;
      const Symbol rider = best_rider_for(run.order);
      if (rider == kNoSymbol) return false;
      new_command(run, step, {}, at).rider_id = view(rider);
      return true;
    }
    case StepAction::kPickupOffer: {
      const PickupPoint* point = run.order == UINT32_MAX ? nullptr : nearest_pickup_point(run.order);
      if (point == nullptr) return false;
      Command& command = new_command(run, step, {}, at);
      command.pickup_point_id = view(point->id);
      if (s != nullptr) command.user_id = view(s->user);
      return true;
    }
    case StepAction::kReplenishRequest: {
      const auto entry = catalog_.find(incident.subject);
      const auto level = stock_levels_.find(incident.subject);
      const std::int64_t reorder = entry != catalog_.end() && entry->second.reorder_point != kAbsent ? entry->second.reorder_point
                                                                                                   : config.default_reorder_point;
      const std::int64_t available = level == stock_levels_.end() ? 0 : level->second.available;
      Command& command = new_command(run, step, {}, at);
      command.sku = view(incident.subject);
      command.qty = std::max<std::int64_t>(2 * reorder - available, 1);
      return true;
    }
    case StepAction::kOrderCancel:
      if (incident.type == IncidentType::kDuplicateUnpaidOrders) {
        // Every extra unpaid order goes; the newest stays.
        for (const std::uint32_t extra : duplicate_unpaid_extras(incident.subject, run.order)) {
          const std::string order_id = view(orders_[extra].order_id);
          Command& command = new_command(run, step, order_id, at);
          command.order_id = order_id;
          command.user_id = view(incident.subject);
        }
        return true;
      }
      new_command(run, step, {}, at);
      return true;
    case StepAction::kPaymentRetry: {
      Command& command = new_command(run, step, {}, at);
      if (s != nullptr && s->amount != kAbsent) command.amount = s->amount;
      return true;
    }
    case StepAction::kPickingRedo:
      new_command(run, step, {}, at).sku = view(run.sku);
      return true;
    case StepAction::kUserRestrict:
      new_command(run, step, {}, at).user_id = view(incident.subject_kind == SubjectKind::kUser ? incident.subject : incident.user);
      return true;
    case StepAction::kRiderWarn:
      new_command(run, step, {}, at).rider_id = view(incident.subject_kind == SubjectKind::kRider ? incident.subject : incident.rider);
      return true;
    case StepAction::kZoneAlert: {
      Command& command = new_command(run, step, {}, at);
      command.zone = view(incident.zone);
      command.linked = incident.linked;
      return true;
    }
    default:
      new_command(run, step, {}, at);
      return true;
  }
}

bool EngineCore::notify(PlaybookRun& run, const Step& step, TimeMs at, std::optional<RateCapHit>& capped) {
  Incident& incident = log.at(run.incident);
  const OrderState* s = run.order == UINT32_MAX ? nullptr : &orders_[run.order];
  const auto view = [&](Symbol symbol) { return std::string(interner.view(symbol)); };
  const auto it = run.config->templates.find(step.template_name);
  if (it == run.config->templates.end()) return false;  // the loader checks this; a safety net
  std::string recipient;
  Symbol user_id = kNoSymbol;
  std::string_view channel = step.channel;
  if (step.to == "customer") {
    user_id = s != nullptr && s->user != kNoSymbol ? s->user : incident.user;
    recipient = user_id != kNoSymbol ? view(user_id) : view(incident.order);
    if (user_id != kNoSymbol) {
      const UserState* u = users_.find(user_id);
      const auto bit_of = [](std::string_view name) { return name == "app" ? 1u : name == "sms" ? 2u : 4u; };
      if (u != nullptr && u->channels != 0 && (u->channels & bit_of(channel)) == 0) {
        // A customer without the app still hears what the app would have said, on the cheapest
        // channel they take; an SMS or a call they do not take (a conversation's next step
        // after the app) is not made.
        channel = step.channel != "app" ? std::string_view{} : (u->channels & 2u) != 0 ? "sms" : "phone";
        if (channel.empty()) {
          ++notifications_suppressed;  // the customer does not take this channel
          return false;
        }
      }
    }
  } else if (step.to == "rider") {
    recipient = view(s != nullptr && s->rider != kNoSymbol ? s->rider : incident.rider);
  } else {
    recipient = view(incident.zone);
  }
  // A template that names the substitutes or the pickup point offers them: the command
  // carries them as parameters too.
  const auto mentions = [&](std::string_view placeholder) {
    return it->second.zh.find(placeholder) != std::string::npos || it->second.en.find(placeholder) != std::string::npos;
  };
  std::vector<std::string> substitutes;
  if (mentions("{substitutes}")) substitutes = substitutes_for(run, static_cast<std::size_t>(run.config->policies.substitute_offer_count));
  std::string substitutes_text;
  for (const auto& sku : substitutes) substitutes_text += (substitutes_text.empty() ? "" : "、") + sku;
  const PickupPoint* point = run.order == UINT32_MAX ? nullptr : nearest_pickup_point(run.order);
  std::string eta;
  if (s != nullptr && s->last_ping_at() != kAbsent && s->address_has_position) {
    const double seconds = great_circle_m(s->track.get().last_ping, s->address_position) / config.late_risk_speed_mps * config.late_risk_factor;
    eta = clock_beijing(s->last_ping_at() + static_cast<TimeMs>(seconds * 1000));
  }
  const std::int64_t amount = run.last_payout != kNoAmount ? run.last_payout : step_amount(run, step);
  const std::vector<std::pair<std::string_view, std::string>> values = {
      {"order_id", view(incident.order)},
      {"amount", amount == kAbsent || amount == kNoAmount ? std::string() : yuan(amount)},
      {"eta", eta},
      {"pickup_point", point == nullptr ? std::string() : view(point->id)},
      {"sku", view(run.sku)},
      {"substitutes", substitutes_text},
      {"minutes", std::to_string(config.stall_timeout_ms / kMinuteMs)},
      {"stage", incident.stage == Stage::kCount ? std::string() : std::string(stage_name(incident.stage))},
      {"zone", view(incident.zone)},
      {"community", view(incident.community)},
  };
  std::string text = render_template(it->second.zh, values);
  std::string text_en = render_template(it->second.en, values);
  std::uint64_t content = hash64(step.to);
  for (const std::string_view part : {std::string_view(recipient), channel,
                                      std::string_view(step.template_name), std::string_view(text)}) {
    content = hash_combine(content, hash64(part));
  }
  content = hash_combine(content, hash64(interner.view(incident.order)));
  // Per incident: a second incident on the order (a rider stalled again, a second failed
  // attempt) contacts again, as its own row of the spec says.
  content = hash_combine(content, hash64(incident.id));
  const std::int64_t limit = step.to == "customer" ? run.config->policies.notify_max_per_hour : INT64_MAX;
  const std::uint64_t recipient_key = hash64(step.to + ":" + recipient);
  const NotifyVerdict verdict = notify_limiter_.check(recipient_key, content, incident.index, at, limit);
  if (verdict != NotifyVerdict::kSend) {
    ++notifications_suppressed;
    return false;
  }
  // Text messages and calls to customers cost money and patience: they have rate caps, in-app
  // notifications do not (decisions #50).
  if (step.to == "customer" && (channel == "sms" || channel == "phone")) {
    const bool sms = channel == "sms";
    const std::array<RateCapKind, 2> caps = sms ? std::array{RateCapKind::kSms, RateCapKind::kSmsPerUser}
                                                : std::array{RateCapKind::kPhone, RateCapKind::kPhonePerUser};
    capped = rate_caps.admit(caps, user_id, 0, at, run.config->policies.rate_caps, sms ? "notify sms" : "notify phone");
    if (capped) return false;
  }
  notify_limiter_.record(recipient_key, content, incident.index, at);
  Command& command = new_command(run, step, channel, at);
  command.to = step.to;
  command.channel = std::string(channel);
  command.template_name = step.template_name;
  command.text = std::move(text);
  command.text_en = std::move(text_en);
  command.substitute_skus = std::move(substitutes);
  if (step.to == "customer" && s != nullptr) command.user_id = view(s->user);
  if (step.to == "rider") command.rider_id = recipient;
  if (step.to == "operations") command.zone = recipient;
  if (point != nullptr && mentions("{pickup_point}")) command.pickup_point_id = view(point->id);
  return true;
}

// ---------------------------------------------------------------------------------------------
// People

void EngineCore::escalate(Incident& incident, TimeMs at, std::string_view cause) {
  stop_run(incident.index);
  if (incident.is_closed() || incident.escalated_at != kAbsent) return;
  incident.status = IncidentStatus::kEscalated;
  incident.escalated_at = at;
  escalations.push_back(incident.index);
  people::EscalatedCase escalated;
  escalated.incident_id = incident.id;
  escalated.type = incident.type;
  escalated.about = incident.about_type;
  escalated.severity = incident.severity;
  escalated.priority = incident.priority;
  escalated.order_value = incident.order_amount == kAbsent ? people::kUnknownOrderValue : incident.order_amount;
  escalated.vip = incident.vip;
  escalated.zone = std::string(interner.view(incident.zone));
  escalated.community = std::string(interner.view(incident.community));
  escalated.user = std::string(interner.view(incident.user));
  escalated.cause = std::string(cause.substr(0, 128));
    // The desk's time never goes back; a late event's escalation happens at the desk's now.
  if (auto ok = desk.escalate(escalated, desk_time(at)); !ok) {
    refusals.push_back(AgentRefusal{incident.id, "escalation: " + ok.error()});
  }
  sync_desk();
}

void EngineCore::withdraw_from_desk(const Incident& incident, std::string_view code, TimeMs at) {
  if (incident.escalated_at == kAbsent) return;
    if (desk.withdraw(incident.id, code, desk_time(at))) sync_desk();
}

void EngineCore::on_agent_event(const Event& e) {
  const AgentFields& a = e.agent();
  people::Result<void> result;
  switch (e.type) {
    case EventType::kAgentJoined: {
      people::Agent agent;
      agent.id = a.agent_id;
      agent.name = a.name;
      for (std::size_t skill = 0; skill < people::kSkillCount; ++skill) {
        if ((a.skills >> skill) & 1u) agent.skills = people::Skills::either(agent.skills, {static_cast<people::Skill>(skill)});
      }
      agent.capacity = a.capacity == kAbsent ? 0 : static_cast<int>(std::clamp<std::int64_t>(a.capacity, -1, 1000));
      agent.on_duty = a.on_duty;
      agent.supervisor = a.supervisor;
      result = desk.add_agent(agent, e.ts);
      break;
    }
    case EventType::kAgentDuty: result = desk.set_duty(a.agent_id, a.on_duty, e.ts); break;
    case EventType::kAgentAck: result = desk.acknowledge(a.incident_id, a.agent_id, e.ts); break;
    case EventType::kAgentResolve: result = desk.resolve(a.incident_id, a.agent_id, a.resolution_code, a.text, e.ts); break;
    case EventType::kAgentReassign: result = desk.reassign(a.incident_id, a.agent_id, a.to, e.ts); break;
    case EventType::kAgentEscalate: result = desk.escalate_further(a.incident_id, a.agent_id, a.text, e.ts); break;
    case EventType::kAgentComment: result = desk.comment(a.incident_id, a.agent_id, a.text, e.ts); break;
    case EventType::kAgentFalsePositive: result = desk.mark_false_positive(a.incident_id, a.agent_id, e.ts); break;
    default: return;
  }
  if (!result) refusals.push_back(AgentRefusal{e.id, fmt::format("{}: {}", event_type_name(e.type), result.error())});
  sync_desk();
}

void EngineCore::sync_desk() {
  for (people::Action& action : desk.take_log()) {
    Incident* incident = action.incident_id.empty() ? nullptr : log.find_by_id(action.incident_id);
    if (incident != nullptr && !incident->is_closed()) {
      const auto handled = [&] {
        if (incident->first_action_at == kAbsent || incident->first_action_at > action.at) incident->first_action_at = action.at;
      };
      switch (action.kind) {
        case people::ActionKind::kAssigned:
        case people::ActionKind::kReassigned:
        case people::ActionKind::kEscalatedFurther:
        case people::ActionKind::kSlaBreached:
          if (!action.target.empty()) {
            incident->status = IncidentStatus::kAssigned;
            incident->assignee = action.target;
          }
          if (action.kind == people::ActionKind::kEscalatedFurther) handled();
          break;
        case people::ActionKind::kReturned:
          incident->status = IncidentStatus::kEscalated;
          incident->assignee.clear();
          break;
        case people::ActionKind::kAcknowledged: handled(); break;
        case people::ActionKind::kResolved:
          if (!action.actor.empty()) {
            handled();
            log.resolve(*incident, Resolution::kManual, action.at);
          }
          break;
        case people::ActionKind::kFalsePositive:
          handled();
          incident->false_positive = true;
          log.resolve(*incident, Resolution::kManual, action.at);
          break;
        default: break;
      }
    }
    desk_actions.push_back(std::move(action));
  }
}

void EngineCore::count_gmv(std::uint32_t o) {
  OrderState& s = orders_[o];
  if (s.gmv_counted || !s.created || s.amount == kAbsent) return;
  if (s.paid_at() == kAbsent && s.payment_method != PaymentMethod::kCod) return;
  s.gmv_counted = true;
  gmv = saturating_add(gmv, s.amount);
  if (s.cancelled_at() != kAbsent) honoured_coupon_counts(o, true);  // paid late, after its cancellation
}

}  // namespace og
