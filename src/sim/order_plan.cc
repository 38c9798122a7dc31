#include "sim/order_plan.h"

#include <algorithm>
#include <cmath>

#include "sim/random.h"

namespace og::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;
// Effective speed of DELIVERY_LATE_RISK's prediction (4.2 m/s over a 1.3 detour), rounded
// down so that a promise computed with it never predicts late for a clean delivery.
constexpr double kPromiseSpeedMps = 3.2;

TimeMs ceil_minute(TimeMs t) { return (t + kMinuteMs - 1) / kMinuteMs * kMinuteMs; }
TimeMs ceil_hour(TimeMs t) { return (t + kHourMs - 1) / kHourMs * kHourMs; }

DurationMs seconds(Rng& rng, std::int64_t low_s, std::int64_t high_s) { return rng.range(low_s * kSecondMs, high_s * kSecondMs); }

std::int64_t rank_of(EventType type) { return static_cast<std::int64_t>(type); }

struct Route {
  std::vector<LatLng> points;
  std::vector<double> cumulative_m;

  void build(std::vector<LatLng> through) {
    points = std::move(through);
    cumulative_m.assign(1, 0.0);
    for (std::size_t i = 1; i < points.size(); ++i) cumulative_m.push_back(cumulative_m.back() + great_circle_m(points[i - 1], points[i]));
  }
  double length_m() const { return cumulative_m.empty() ? 0 : cumulative_m.back(); }
  LatLng at(double distance_m) const {
    if (points.size() < 2 || distance_m <= 0) return points.front();
    if (distance_m >= length_m()) return points.back();
    std::size_t i = 1;
    while (i + 1 < points.size() && cumulative_m[i] < distance_m) ++i;
    const double span = cumulative_m[i] - cumulative_m[i - 1];
    const double f = span <= 0 ? 0 : (distance_m - cumulative_m[i - 1]) / span;
    return LatLng{points[i - 1].lat + (points[i].lat - points[i - 1].lat) * f,
                  points[i - 1].lng + (points[i].lng - points[i - 1].lng) * f};
  }
};

enum class PayMode : std::uint8_t {
  kPrompt,          // paid within two minutes of creation
  kAt,              // paid at created + pay_at (late payments and near misses)
  kNever,           // never paid; the platform cancels it after 30 min
  kFailedThenPaid,  // payment.failed, then a retry succeeds
  kFailedCancelled, // payment.failed (1-3 times), the system cancels
  kBeforeCreation,  // paid at start, order.created creation_gap later (PAID_NO_ORDER)
  kNeverCreated,    // paid, the order never appears; refunded
  kCod,             // cash on delivery: paid when delivered
  kUserCancel,      // unpaid, the user cancels at cancel_at
  kSystemCancel,    // unpaid, the system cancels at cancel_at
  kAfterPickup,     // an errand picked up before the online payment (STATE_INCONSISTENT)
};

enum class PromiseMode : std::uint8_t { kClean, kTightRisk, kNearRisk };

class Builder {
 public:
  Builder(const WorldModel& world, const PlanRequest& request, std::uint64_t seed, OrderPlan& plan,
          std::vector<TruthRecord>& truth, PlanStats& stats)
      : w_(world), req_(request), p_(plan), truth_(truth), stats_(stats), rng_(derive_seed(seed, request.number)),
        kd_(world.kind(request.kind)), planted_(request.planted), near_(request.near_miss) {}

  void run() {
    p_ = OrderPlan{};
    p_.number = req_.number;
    p_.kind = req_.kind;
    p_.order_id = order_id_for(kd_.prefix, req_.number);
    choose_knobs();
    created_ = pay_mode_ == PayMode::kBeforeCreation || pay_mode_ == PayMode::kNeverCreated ? req_.start + creation_gap_ms_ : req_.start;
    choose_identity();
    if (p_.errand_buy) fee_ = w_.skus()[kd_.service_skus.back()].base_price;
    choose_basket();
    choose_address();
    build_route();
    durations();
    // The platform promises from its plan for a clean run; the planted exception then happens.
    const Durations planned = d_;
    const PayMode planned_pay = pay_mode_;
    const bool planned_rider_cancel = rider_cancel_;
    if (pay_mode_ == PayMode::kAt || pay_mode_ == PayMode::kFailedThenPaid) pay_mode_ = PayMode::kPrompt;
    rider_cancel_ = false;
    timeline();
    choose_promise();
    d_ = planned;
    pay_mode_ = planned_pay;
    rider_cancel_ = planned_rider_cancel;
    perturb();
    timeline();
    if (address_change_) {
      address_changed_at_ = created_ + seconds(rng_, 60, 360);
      if (picked_up_ != kAbsent) address_changed_at_ = std::max(created_ + 5 * kSecondMs, std::min(address_changed_at_, picked_up_ - 30 * kSecondMs));
    }
    delivery();
    plan_picking();
    plan_inconsistency();
    after_sales();
    explicit_truth();
    evaluate_delivery();
    assemble();
  }

 private:
  struct Durations {
    DurationMs pay_ms = 0, reserve_ms = 0, pick_start_ms = 0, pick_ms = 0, assign_ms = 0, pickup_ms = 0, handoff_ms = 0, complete_ms = 0;
  };

  // ---------------------------------------------------------------------------------------
  // What happens to this order

  void choose_knobs() {
    const OrderKind kind = req_.kind;
    p_.errand_buy = kind == OrderKind::kErrand && rng_.chance(0.4);
    switch (req_.role) {
      case Role::kUserCancel: pay_mode_ = PayMode::kUserCancel; break;
      case Role::kMerchantCancel: cancel_after_reserve_ = true; cancel_by_ = CancelledBy::kMerchant; release_after_ms_ = seconds(rng_, 20, 200); break;
      case Role::kDuplicateUnpaid: pay_mode_ = PayMode::kSystemCancel; break;
      case Role::kRiderCancel: rider_cancel_ = true; cancelling_rider_ = req_.rider; break;
      case Role::kHotspotPaymentFailed: pay_mode_ = req_.fail_then_pay ? PayMode::kFailedThenPaid : PayMode::kFailedCancelled; break;
      default: break;
    }
    if (kind == OrderKind::kErrand && !req_.items.empty()) {
      p_.errand_buy = std::any_of(req_.items.begin(), req_.items.end(), [&](const PlanItem& item) { return w_.skus()[item.sku].stocked; });
    }
    if (kind == OrderKind::kErrand && (req_.role == Role::kAnomalyBig || req_.role == Role::kMerchantCancel)) p_.errand_buy = true;
    if (req_.role != Role::kNone) return;
    if (planted_ == Kind::kCount) {
      if (kind != OrderKind::kMall && !p_.errand_buy && rng_.chance(kind == OrderKind::kErrand ? 0.1 : 0.05)) pay_mode_ = PayMode::kCod;
      return;
    }
    variant_ = static_cast<int>(rng_.range(0, 9));
    const bool goods = kind != OrderKind::kErrand || p_.errand_buy;
    switch (planted_) {
      case Kind::kPaymentTimeout:
        if (near_) { pay_mode_ = PayMode::kAt; pay_after_ms_ = variant_ < 5 ? boundary(Limits::kPaymentTimeout) : Limits::kPaymentTimeout - kSecondMs; }
        else if (variant_ < 6) pay_mode_ = PayMode::kNever;
        else { pay_mode_ = PayMode::kAt; pay_after_ms_ = Limits::kPaymentTimeout + seconds(rng_, 30, 600); }
        break;
      case Kind::kPaymentFailed:
        pay_mode_ = variant_ < 6 ? PayMode::kFailedThenPaid : PayMode::kFailedCancelled;
        break;
      case Kind::kPaidNoOrder:
        if (near_) { pay_mode_ = PayMode::kBeforeCreation; creation_gap_ms_ = variant_ < 5 ? boundary(Limits::kPaidNoOrder) : Limits::kPaidNoOrder - kSecondMs; }
        else if (variant_ < 6) { pay_mode_ = PayMode::kBeforeCreation; creation_gap_ms_ = Limits::kPaidNoOrder + seconds(rng_, 5, 80); }
        else pay_mode_ = PayMode::kNeverCreated;
        break;
      case Kind::kPaymentAmountMismatch:
        overpaid_ = rng_.chance(0.4);
        mismatch_by_ = rng_.range(1, 500);
        note_ = overpaid_ ? "overpaid" : "underpaid";
        break;
      case Kind::kStockNotReleased:
        if (!goods) p_.errand_buy = true;
        cancel_after_reserve_ = true;
        cancel_by_ = variant_ < 6 ? CancelledBy::kUser : CancelledBy::kMerchant;
        release_after_ms_ = near_ ? (variant_ % 2 == 0 ? boundary(Limits::kStockRelease) : Limits::kStockRelease - kSecondMs)
                               : (variant_ < 5 ? Limits::kStockRelease + seconds(rng_, 30, 900) : -1);
        break;
      case Kind::kOutOfStock:
      case Kind::kPickingMismatch:
      case Kind::kExpiringProduct:
        if (!goods) p_.errand_buy = true;
        break;
      case Kind::kOrderStuck: {
        if (kind == OrderKind::kGrocery) stuck_stage_ = static_cast<StageId>(std::array<int, 4>{0, 1, 2, 4}[rng_.index(4)]);
        else if (kind == OrderKind::kMall) stuck_stage_ = StageId::kReserve;
        else stuck_stage_ = StageId::kPickup;
        const DurationMs limit = stage_limit_ms(kind, stuck_stage_);
        stage_duration_ms_ = near_ ? (variant_ < 5 ? boundary(limit) : limit - kSecondMs)
                                : limit + (variant_ < 7 ? seconds(rng_, 10, 900) : seconds(rng_, 900, 3600));
        break;
      }
      case Kind::kRiderNotAssigned: {
        stuck_stage_ = StageId::kAssign;
        const DurationMs limit = stage_limit_ms(kind, StageId::kAssign);
        stage_duration_ms_ = near_ ? boundary(limit) : limit + seconds(rng_, 10, kind == OrderKind::kMall ? 3600 : 1200);
        break;
      }
      case Kind::kRiderCancelled:
        if (!near_) { rider_cancel_ = true; cancelling_rider_ = -1; }
        break;
      case Kind::kRiderStalled:
        stall_ = true;
        stall_silent_ = !near_ && variant_ >= 7;
        stall_ms_ = near_ ? seconds(rng_, 300, 480) : seconds(rng_, 700, 1500);
        stall_fraction_ = rng_.between(0.25, 0.75);
        stall_creep_ = near_;
        break;
      case Kind::kDeliveryLateRisk:
        promise_mode_ = near_ ? PromiseMode::kNearRisk : PromiseMode::kTightRisk;
        break;
      case Kind::kDeliveryLate:
        late_target_ = true;
        break;
      case Kind::kDeliveryFailed:
        attempt_failed_ = true;
        attempt_reason_ = static_cast<AttemptFailure>(rng_.range(0, 3));
        attempt_return_ = variant_ >= 7;
        break;
      case Kind::kStateInconsistent:
        inconsistency_ = near_ ? 4 : static_cast<int>(rng_.range(0, 3));
        if (inconsistency_ == 0) {  // picked up after cancellation
          if (!goods) p_.errand_buy = true;
          cancel_after_reserve_ = true;
          cancel_by_ = CancelledBy::kMerchant;
          release_after_ms_ = seconds(rng_, 20, 200);
        } else if (inconsistency_ == 2) {  // refund.succeeded before any payment (cash on delivery)
          pay_mode_ = PayMode::kCod;
          p_.errand_buy = false;
        } else if (inconsistency_ == 3) {  // online errand picked up before payment
          if (kind == OrderKind::kErrand) { pay_mode_ = PayMode::kAfterPickup; p_.errand_buy = false; }
          else inconsistency_ = 1;
        }
        break;
      default:
        break;
    }
  }

  void choose_identity() {
    p_.user = req_.user ? *req_.user : w_.user(req_.kind, req_.user_slot);
    p_.tracked_user = req_.tracked_user;
    p_.community = p_.user.community;
    const CommunityDef& community = w_.communities()[p_.community];
    p_.zone = community.zone;
    zone_ = &w_.zones()[p_.zone];
    if (req_.kind == OrderKind::kMall) p_.merchant_id = w_.merchants()[zone_->merchants[rng_.index(zone_->merchants.size())]].id;
    p_.picker_id = zone_->id + "-P" + std::to_string(rng_.range(1, 40));
    p_.payment_method = pay_mode_ == PayMode::kCod ? PaymentMethod::kCod : PaymentMethod::kOnline;
    rider_ = pick_rider();
  }

  std::int32_t pick_rider() {
    return static_cast<std::int32_t>(zone_->first_rider + static_cast<std::uint32_t>(rng_.index(zone_->rider_count)));
  }

  std::int64_t price(std::uint32_t sku) const { return w_.price_at(sku, created_); }

  void choose_basket() {
    const std::int64_t low = kd_.amount_low;
    const std::int64_t high = low + kBandWidth;
    std::vector<PlanItem>& items = p_.items;
    if (!req_.items.empty()) {
      items = req_.items;
    } else if (req_.kind == OrderKind::kErrand && !p_.errand_buy) {
      std::uint32_t service = kd_.service_skus[rng_.index(kd_.service_skus.size() - 1)];  // not the buy fee
      items.push_back(PlanItem{service, 1, 0});
    } else {
      const std::size_t lines = req_.kind == OrderKind::kMall ? static_cast<std::size_t>(rng_.range(1, 2))
                                                              : static_cast<std::size_t>(rng_.range(1, 4));
      for (std::size_t i = 0; i < lines * 3 && items.size() < lines; ++i) {
        const std::uint32_t sku = kd_.skus[rng_.index(kd_.skus.size())];
        if (std::any_of(items.begin(), items.end(), [&](const PlanItem& item) { return item.sku == sku; })) continue;
        items.push_back(PlanItem{sku, rng_.range(1, req_.kind == OrderKind::kMall ? 2 : 3), 0});
      }
    }
    for (PlanItem& item : items) item.unit_price = price(item.sku);
    if (req_.role == Role::kAnomalyBig) {
      // One line of the dearest goods, enough of it to reach the target.
      std::uint32_t dearest = kd_.skus.front();
      for (std::uint32_t sku : kd_.skus) if (price(sku) > price(dearest)) dearest = sku;
      const std::int64_t unit = price(dearest);
      const std::int64_t qty = req_.target_floor ? req_.target_amount / unit : (req_.target_amount + unit - 1) / unit;
      items.assign(1, PlanItem{dearest, std::max<std::int64_t>(1, qty), unit});
    } else if (req_.items.empty()) {
      fit_band(low - fee_, high - fee_);
    }
    if (planted_ == Kind::kPriceMismatch && !near_) {
      PlanItem& item = items.back();
      const std::int64_t previous = w_.previous_price_at(item.sku, created_);
      const std::int64_t delta = rng_.range(1, 20) * 10;
      std::int64_t others = fee_;
      for (const PlanItem& other : items) if (&other != &item) others += other.qty * other.unit_price;
      const bool stale_fits = previous != kAbsent && previous != item.unit_price && others + previous * item.qty <= high;
      item.unit_price = stale_fits ? previous : (others + (item.unit_price + delta) * item.qty <= high ? item.unit_price + delta : item.unit_price - delta);
      note_ = "stale or wrong unit_price for " + sku_id(item.sku);
    }
    std::int64_t subtotal = 0;
    for (const PlanItem& item : items) subtotal += item.qty * item.unit_price;
    // A bought errand charges the runner's fee on top of the goods (not an item: nobody picks it).
    p_.amount = subtotal + fee_;
    const bool wants_coupon = (planted_ == Kind::kCouponInvalid) || (planted_ == Kind::kCount && req_.role == Role::kNone && rng_.chance(0.1));
    if (wants_coupon && subtotal + fee_ - 100 >= low) {
      CouponDef& coupon = p_.coupon;
      coupon.present = true;
      coupon.code = "CP" + std::to_string(rng_.range(100000, 999999));
      coupon.discount = std::min<std::int64_t>(subtotal + fee_ - low, rng_.range(1, 10) * 100);
      coupon.min_spend = std::max<std::int64_t>(0, subtotal - rng_.range(0, 30) * 100) / 100 * 100;
      coupon.expires_at = created_ + rng_.range(1, 30) * 24 * kHourMs;
      if (planted_ == Kind::kCouponInvalid) {
        if (near_) {
          if (variant_ < 5) coupon.min_spend = subtotal;
          else coupon.expires_at = created_;
        } else if (variant_ < 5) {
          coupon.min_spend = subtotal + rng_.range(1, 2000);
          note_ = "min_spend above the subtotal";
        } else {
          coupon.expires_at = created_ - rng_.range(1, 3 * 24 * 60) * kMinuteMs;
          note_ = "coupon expired before the order";
        }
      }
      p_.amount = subtotal + fee_ - coupon.discount;
    } else if (planted_ == Kind::kCouponInvalid) {
      coupon_impossible_ = true;
    }
  }

  void fit_band(std::int64_t low, std::int64_t high) {
    std::vector<PlanItem>& items = p_.items;
    const auto subtotal = [&]() {
      std::int64_t sum = 0;
      for (const PlanItem& item : items) sum += item.qty * item.unit_price;
      return sum;
    };
    for (int guard = 0; guard < 100 && subtotal() > high; ++guard) {
      auto dearest = std::max_element(items.begin(), items.end(), [](const PlanItem& a, const PlanItem& b) {
        return a.qty * a.unit_price < b.qty * b.unit_price;
      });
      if (dearest->qty > 1) --dearest->qty;
      else if (items.size() > 1) items.erase(dearest);
      else break;
    }
    for (int guard = 0; guard < 100 && subtotal() < low; ++guard) {
      auto cheapest = std::min_element(items.begin(), items.end(), [](const PlanItem& a, const PlanItem& b) { return a.unit_price < b.unit_price; });
      if (cheapest->unit_price * (cheapest->qty + 1) + (subtotal() - cheapest->unit_price * cheapest->qty) > high) break;
      ++cheapest->qty;
    }
  }

  std::string sku_id(std::uint32_t sku) const { return w_.skus()[sku].sku; }

  AddressDef address_near(LatLng centre, double max_m, const std::string& place, int buildings) {
    AddressDef address;
    address.position = rounded(destination(centre, rng_.between(0, 2 * kPi), rng_.between(0, max_m)));
    address.building = std::to_string(rng_.range(1, buildings));
    address.unit = std::to_string(rng_.range(1, 4));
    address.room = std::to_string(rng_.range(1, 18) * 100 + rng_.range(1, 4));
    address.text = place + address.building + "号楼" + address.unit + "单元" + address.room;
    return address;
  }

  void choose_address() {
    const CommunityDef& community = w_.communities()[p_.community];
    p_.address = address_near(community.centre, 150, community.name, community.buildings);
    destination_ = p_.address.position;
    if (planted_ == Kind::kAddressIncomplete) {
      AddressDef complete = p_.address;
      if (near_) {
        p_.address.room.clear();  // a building alone is enough
        p_.address.unit.clear();
      } else if (variant_ < 4) {
        p_.address.has_position = false;
        note_ = "address without coordinates";
      } else if (variant_ < 8) {
        p_.address.building.clear();
        p_.address.room.clear();
        note_ = "neither building nor room";
      } else {
        p_.address.text.clear();
        note_ = "empty address text";
      }
      if (!near_ && rng_.chance(0.6)) {
        address_change_ = true;
        p_.changed_address = complete;
      }
      risk_address_known_ = p_.address.has_position || address_change_;
    } else if (planted_ == Kind::kOutOfDeliveryArea) {
      const double excess_m = near_ ? -rng_.between(30, 49) : rng_.between(30, 900);
      // Search the bearing's distance so that the rounded point lies where intended.
      const double bearing = rng_.between(0, 2 * kPi);
      LatLng point = rounded(destination(zone_->centre, bearing, zone_->radius_m + excess_m));
      p_.address.position = point;
      p_.address.text = "城外临时地址" + std::to_string(rng_.range(1, 300)) + "号";
      destination_ = point;
      const double distance = great_circle_m(point, zone_->centre);
      outside_ = distance > zone_->radius_m;
      note_ = "address " + std::to_string(static_cast<long long>(std::lround(distance - zone_->radius_m))) + " m beyond the radius";
      if (outside_ && rng_.chance(0.7)) {
        // The customer takes the offered pickup point (自提点) instead.
        const PickupPointDef& point_def = zone_->pickup_points[rng_.index(zone_->pickup_points.size())];
        address_change_ = true;
        p_.changed_address.text = point_def.name;
        p_.changed_address.building = "自提点";
        p_.changed_address.room = point_def.id;
        p_.changed_address.position = point_def.position;
        destination_ = point_def.position;
      }
    }
  }

  void build_route() {
    LatLng origin = zone_->depot;
    if (req_.kind == OrderKind::kMall) {
      for (const MerchantDef& merchant : w_.merchants()) if (merchant.id == p_.merchant_id) origin = merchant.position;
    } else if (req_.kind == OrderKind::kErrand && !p_.errand_buy) {
      origin = zone_->pickup_points.front().position;
    }
    const LatLng corner = rng_.chance(0.5) ? LatLng{origin.lat, destination_.lng} : LatLng{destination_.lat, origin.lng};
    route_.build({origin, corner, destination_});
    speed_mps_ = rng_.between(3.6, 4.4);
  }

  void durations() {
    d_.pay_ms = seconds(rng_, 20, 120);
    switch (req_.kind) {
      case OrderKind::kGrocery:
        d_.reserve_ms = seconds(rng_, 10, 120);
        d_.pick_start_ms = seconds(rng_, 60, 600);
        d_.pick_ms = seconds(rng_, 180, 600);
        d_.assign_ms = seconds(rng_, 30, 300);
        d_.pickup_ms = seconds(rng_, 120, 480);
        break;
      case OrderKind::kMall:
        d_.reserve_ms = seconds(rng_, 60, 1200);
        d_.pick_start_ms = seconds(rng_, 300, 3600);
        d_.pick_ms = seconds(rng_, 300, 1800);
        d_.assign_ms = seconds(rng_, 120, 1200);
        d_.pickup_ms = seconds(rng_, 300, 1200);
        break;
      case OrderKind::kErrand:
        d_.reserve_ms = seconds(rng_, 20, 60);
        d_.pick_start_ms = seconds(rng_, 20, 90);
        d_.pick_ms = seconds(rng_, 60, 240);
        d_.assign_ms = seconds(rng_, 30, 300);
        d_.pickup_ms = seconds(rng_, 120, 600);
        break;
    }
    d_.handoff_ms = seconds(rng_, 20, 100);
    d_.complete_ms = seconds(rng_, 5, 60);
    if (req_.kind == OrderKind::kGrocery && planted_ == Kind::kCount && req_.role == Role::kNone && rng_.chance(0.08)) {
      p_.slot_start = ceil_hour(created_ + 2 * kHourMs);
      p_.slot_end = p_.slot_start + kHourMs;
    }
    switch (pay_mode_) {
      case PayMode::kFailedThenPaid:
      case PayMode::kFailedCancelled:
        fail_after_ms_ = req_.fail_after > 0 ? req_.fail_after : seconds(rng_, 15, 120);
        fail_count_ = pay_mode_ == PayMode::kFailedCancelled ? static_cast<int>(rng_.range(1, 3)) : 1;
        fail_gap_ms_ = seconds(rng_, 30, 240);
        break;
      default: break;
    }
  }

  // Applied after the promise is fixed: the exception the world plants.
  void perturb() {
    if (stuck_stage_ != StageId::kAssign && stage_duration_ms_ > 0) {
      switch (stuck_stage_) {
        case StageId::kReserve: d_.reserve_ms = stage_duration_ms_; break;
        case StageId::kPickStart: d_.pick_start_ms = stage_duration_ms_; break;
        case StageId::kPick: d_.pick_ms = stage_duration_ms_; break;
        case StageId::kPickup: d_.pickup_ms = stage_duration_ms_; break;
        default: break;
      }
    } else if (stuck_stage_ == StageId::kAssign) {
      d_.assign_ms = stage_duration_ms_;
    }
  }

  // ---------------------------------------------------------------------------------------
  // The timeline

  // An awaited event "at the deadline": exactly on it, or 1 ms before (see exact_boundaries).
  DurationMs boundary(DurationMs limit) const { return req_.exact_boundaries ? limit : limit - 1; }

  TimeMs pipeline_start() const { return p_.payment_method == PaymentMethod::kCod ? created_ : paid_; }

  void timeline() {
    paid_ = paid2_ = reserved_ = pick_started_ = pick_completed_ = assigned_ = first_assigned_ = rider_cancelled_at_ = kAbsent;
    picked_up_ = cancelled_ = kAbsent;
    fails_.clear();
    switch (pay_mode_) {
      case PayMode::kPrompt: paid_ = created_ + d_.pay_ms; break;
      case PayMode::kAt: paid_ = created_ + pay_after_ms_; break;
      case PayMode::kNever: cancelled_ = created_ + 30 * kMinuteMs; cancel_by_ = CancelledBy::kSystem; break;
      case PayMode::kFailedThenPaid:
        fails_.push_back(created_ + fail_after_ms_);
        paid_ = fails_.back() + fail_gap_ms_;
        break;
      case PayMode::kFailedCancelled:
        for (int i = 0; i < fail_count_; ++i) fails_.push_back(created_ + fail_after_ms_ + i * fail_gap_ms_);
        cancelled_ = fails_.back() + seconds(rng_, 30, 300);
        cancel_by_ = CancelledBy::kSystem;
        break;
      case PayMode::kBeforeCreation:
      case PayMode::kNeverCreated: paid_ = req_.start; break;
      case PayMode::kCod: break;
      case PayMode::kUserCancel:
        cancelled_ = created_ + seconds(rng_, 60, 12 * 60);
        cancel_by_ = CancelledBy::kUser;
        break;
      case PayMode::kSystemCancel:
        cancelled_ = req_.cancel_at;
        cancel_by_ = CancelledBy::kSystem;
        break;
      case PayMode::kAfterPickup: break;
    }
    if (planted_ == Kind::kDuplicatePayment && paid_ != kAbsent) paid2_ = paid_ + seconds(rng_, 5, 180);
    if (pay_mode_ == PayMode::kNeverCreated) return;
    TimeMs start = pipeline_start();
    if (pay_mode_ == PayMode::kAfterPickup) start = created_;
    if (start == kAbsent || (cancelled_ != kAbsent && !cancel_after_reserve_)) return;
    const bool stocked = req_.kind != OrderKind::kErrand || p_.errand_buy;
    if (req_.kind != OrderKind::kErrand) {
      // An order paid before it was created is reserved once the warehouse sees it, well
      // within the reserve stage that counts from the payment.
      reserved_ = pay_mode_ == PayMode::kBeforeCreation ? created_ + seconds(rng_, 5, 40) : start + d_.reserve_ms;
      TimeMs pick_base = reserved_;
      if (p_.slot_start != kAbsent) pick_base = std::max(pick_base, p_.slot_start - Limits::kSlotLead);
      pick_started_ = pick_base + d_.pick_start_ms;
      pick_completed_ = pick_started_ + d_.pick_ms;
      assigned_ = pick_completed_ + d_.assign_ms;
    } else {
      assigned_ = start + d_.assign_ms;
      if (stocked) {
        reserved_ = assigned_ + d_.reserve_ms;
        pick_started_ = reserved_ + d_.pick_start_ms;
        pick_completed_ = pick_started_ + d_.pick_ms;
      }
    }
    if (cancel_after_reserve_) {
      // Cancelled after the stock was reserved and before picking began. An errand's runner
      // was assigned before the store reserved, so that assignment stays in the timeline.
      cancelled_ = reserved_ + std::min<DurationMs>(seconds(rng_, 30, 240), d_.pick_start_ms - kSecondMs);
      cancelled_ = std::max(cancelled_, reserved_ + kSecondMs);
      if (req_.kind != OrderKind::kErrand) assigned_ = kAbsent;
      pick_started_ = pick_completed_ = kAbsent;
      return;
    }
    first_assigned_ = assigned_;
    if (rider_cancel_) {
      rider_cancelled_at_ = assigned_ + seconds(rng_, 60, 600);
      assigned_ = rider_cancelled_at_ + seconds(rng_, 60, 720);
      if (stocked && req_.kind == OrderKind::kErrand && assigned_ < pick_completed_) assigned_ = pick_completed_ + kSecondMs;
    }
    picked_up_ = assigned_ + d_.pickup_ms;
    if (stocked && req_.kind == OrderKind::kErrand) {
      picked_up_ = std::max(picked_up_, pick_completed_ + seconds(rng_, 30, 90));
      if (!(stuck_stage_ == StageId::kPickup && stage_duration_ms_ > 0)) {
        picked_up_ = std::min(picked_up_, assigned_ + stage_limit_ms(OrderKind::kErrand, StageId::kPickup) - 20 * kSecondMs);
        picked_up_ = std::max(picked_up_, pick_completed_ + kSecondMs);
      }
    }
    if (pay_mode_ == PayMode::kAfterPickup) {
      // The runner took the errand before the customer paid; the payment follows.
      assigned_ = first_assigned_ = created_ + seconds(rng_, 30, 90);
      picked_up_ = assigned_ + seconds(rng_, 60, 180);
      paid_ = picked_up_ + seconds(rng_, 30, 240);
    }
  }

  void choose_promise() {
    if (p_.slot_end != kAbsent) {
      p_.promise_at = p_.slot_end;
      return;
    }
    const TimeMs base = picked_up_ != kAbsent ? picked_up_ : created_ + 30 * kMinuteMs;
    const auto travel = static_cast<DurationMs>(route_.length_m() / kPromiseSpeedMps * 1000.0);
    p_.promise_at = ceil_minute(base + travel + 150 * kSecondMs + seconds(rng_, 60, 480));
  }

  // ---------------------------------------------------------------------------------------
  // Out for delivery: the rider's track, pings, attempts, delivery

  LatLng position_at(TimeMs t, double speed, TimeMs stop_from, TimeMs stop_until) const {
    DurationMs moving = t - picked_up_;
    if (stop_from != kAbsent && t > stop_from) moving -= std::min(t, stop_until) - stop_from;
    return route_.at(speed * static_cast<double>(moving) / 1000.0);
  }

  LatLng jitter(LatLng position, double max_m) {
    return rounded(destination(position, rng_.between(0, 2 * kPi), rng_.between(0, max_m)));
  }

  void delivery() {
    delivered_ = completed_ = arrival_ = kAbsent;
    pings_.clear();
    attempts_.clear();
    if (picked_up_ == kAbsent || inconsistency_ == 0) return;
    double speed = speed_mps_;
    const double length = route_.length_m();
    DurationMs travel = static_cast<DurationMs>(length / speed * 1000.0);  // ms
    DurationMs handoff_ms = d_.handoff_ms;
    if (late_target_) {
      // A jam or a detour: the delivery misses promise_at + grace (near miss: lands exactly on it).
      const TimeMs deadline = p_.promise_at + Limits::kLateGrace;
      const TimeMs target = near_ ? deadline - (req_.exact_boundaries ? 0 : 1) : deadline + seconds(rng_, 30, 1500);
      const DurationMs wanted = target - handoff_ms - picked_up_;
      if (wanted > travel) {
        speed = std::max(1.5, length / (static_cast<double>(wanted) / 1000.0));
        travel = static_cast<DurationMs>(length / speed * 1000.0);
        handoff_ms = target - picked_up_ - travel;  // too slow for a ride: the rest is waiting at the door
      }
      note_ = near_ ? "delivered at the end of the grace period" : "slow ride, delivered after promise_at + 5 min";
    }
    TimeMs stop_from = kAbsent, stop_until = kAbsent;
    if (stall_ && !stall_silent_) {
      stop_from = picked_up_ + static_cast<DurationMs>(length * stall_fraction_ / speed * 1000.0);
      stop_until = stop_from + stall_ms_;
      travel += stall_ms_;
      note_ = near_ ? "rider paused, creeping under 50 m" : "rider stopped moving";
    }
    if (stall_silent_) note_ = "no GPS after pickup";
    arrival_ = picked_up_ + travel;
    delivered_ = arrival_ + handoff_ms;

    TimeMs attempt = kAbsent;
    if (attempt_failed_) {
      attempt = arrival_ + seconds(rng_, 30, 180);
      attempts_.push_back(attempt);
      if (attempt_return_) {
        delivered_ = kAbsent;
        cancelled_ = attempt + seconds(rng_, 600, 1800);
        cancel_by_ = CancelledBy::kSystem;
        release_after_ms_ = seconds(rng_, 30, 200);
      } else {
        delivered_ = attempt + seconds(rng_, 300, 1500);
      }
    }
    // Pings every 30-60 s while out for delivery; a silent stall sends none for a while.
    const TimeMs last = delivered_ != kAbsent ? delivered_ : attempt;
    TimeMs t = picked_up_ + seconds(rng_, 15, 60);
    const TimeMs silent_until = stall_silent_ ? picked_up_ + stall_ms_ : kAbsent;
    const LatLng stop_point = stop_from != kAbsent ? route_.at(speed * static_cast<double>(stop_from - picked_up_) / 1000.0) : LatLng{};
    for (std::size_t guard = 0; t < last && guard < 400; ++guard) {
      const bool after_attempt = attempt != kAbsent && t > attempt;
      if (!(silent_until != kAbsent && t < silent_until) && !after_attempt) {
        LatLng at = position_at(t, speed, stop_from, stop_until);
        if (stall_creep_ && stop_from != kAbsent && t > stop_from + (stop_until - stop_from) / 2 && t < stop_until) {
          at = destination(stop_point, 0, rng_.between(40, 46));
        }
        pings_.emplace_back(t, jitter(at, 3));
      }
      t += seconds(rng_, 30, 60);
    }
    if (attempt != kAbsent && !attempt_return_) {
      // The customer calls back; the rider comes again and reports in on the way.
      const TimeMs back = delivered_ - seconds(rng_, 60, 200);
      if (back > attempt) pings_.emplace_back(back, jitter(destination_, 3));
    }
    if (promise_mode_ != PromiseMode::kClean && !pings_.empty() && risk_address_known_) {
      const auto predict = [&](const std::pair<TimeMs, LatLng>& ping) {
        return static_cast<double>(ping.first) +
               great_circle_m(ping.second, destination_) / Limits::kLateRiskSpeedMps * Limits::kLateRiskFactor * 1000.0;
      };
      if (promise_mode_ == PromiseMode::kTightRisk) {
        // Promised too tight for the distance still to ride.
        const auto& first = pings_.front();
        const double room = predict(first) - static_cast<double>(first.first);
        if (room > 60000.0) {
          p_.promise_at = (first.first + static_cast<DurationMs>(room * rng_.between(0.3, 0.8))) / kSecondMs * kSecondMs;
          note_ = "promise_at too tight for the distance";
        }
      } else {
        double latest = 0;
        for (const auto& ping : pings_) latest = std::max(latest, predict(ping));
        p_.promise_at = (static_cast<TimeMs>(latest) / kSecondMs + 1) * kSecondMs + seconds(rng_, 5, 30);
      }
    }
    drop_borderline_pings();
    if (delivered_ != kAbsent) completed_ = delivered_ + d_.complete_ms;
  }

  // Pings whose outcome would hinge on rounding (a prediction within a second of promise_at,
  // a move within a metre of 50 m) are dropped: the truth must not depend on the last bit.
  void drop_borderline_pings() {
    if (p_.promise_at != kAbsent && risk_address_known_) {
      std::erase_if(pings_, [&](const auto& ping) {
        const double predicted = static_cast<double>(ping.first) +
                                 great_circle_m(ping.second, destination_) / Limits::kLateRiskSpeedMps * Limits::kLateRiskFactor * 1000.0;
        return std::fabs(predicted - static_cast<double>(p_.promise_at)) < 1500.0;
      });
    }
    for (int pass = 0; pass < 8; ++pass) {
      std::vector<std::size_t> borderline;
      simulate_stall(&borderline);
      if (borderline.empty()) break;
      for (auto it = borderline.rbegin(); it != borderline.rend(); ++it) pings_.erase(pings_.begin() + static_cast<std::ptrdiff_t>(*it));
    }
  }

  // ---------------------------------------------------------------------------------------
  // After sales: ratings, complaints, refunds

  void after_sales() {
    if (completed_ == kAbsent) return;
    const bool clean = planted_ == Kind::kCount && req_.role == Role::kNone;
    if (planted_ == Kind::kNegativeReview) {
      rating_at_ = completed_ + seconds(rng_, 300, 4 * 3600);
      rating_score_ = near_ ? 3 : static_cast<int>(rng_.range(1, 2));
    } else if (clean && rng_.chance(0.3)) {
      rating_at_ = completed_ + seconds(rng_, 300, 4 * 3600);
      rating_score_ = rng_.chance(0.15) ? 3 : static_cast<int>(rng_.range(4, 5));
    }
    if (planted_ == Kind::kDamagedGoods || planted_ == Kind::kWrongOrMissingItem || (clean && rng_.chance(0.005)) ||
        (planted_ == Kind::kPickingMismatch && !near_ && variant_ < 3) || (planted_ == Kind::kStateInconsistent && near_)) {
      complaint_at_ = completed_ + seconds(rng_, 600, 3 * 3600);
      if (planted_ == Kind::kDamagedGoods) {
        complaint_kind_ = near_ ? ComplaintKind::kOther
                                : std::array<ComplaintKind, 3>{ComplaintKind::kDamaged, ComplaintKind::kQuality, ComplaintKind::kExpired}[rng_.index(3)];
      } else if (planted_ == Kind::kWrongOrMissingItem || planted_ == Kind::kPickingMismatch) {
        complaint_kind_ = near_ ? ComplaintKind::kOther : (rng_.chance(0.5) ? ComplaintKind::kWrongItem : ComplaintKind::kMissingItem);
      } else {
        complaint_kind_ = ComplaintKind::kOther;
      }
      complaint_item_ = static_cast<std::int32_t>(rng_.index(p_.items.size()));
      refund_after_complaint_ = true;
    }
    if (planted_ == Kind::kRefundFailed) {
      refund_at_ = completed_ + seconds(rng_, 600, 3 * 3600);
      refund_timeout_ = variant_ >= 6;
      refund_fail_after_ms_ = seconds(rng_, 10, 600);
      refund_retry_ = !refund_timeout_ && variant_ < 3;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Truth

  void add_truth(Kind type, TimeMs at, std::string sku = {}, StuckStage stage = StuckStage::kNone, bool known_community = true) {
    TruthRecord record;
    record.type = type;
    record.subject_id = p_.order_id;
    record.sku = std::move(sku);
    record.stage = stage;
    record.detected_at = at;
    record.note = type == planted_ ? note_ : std::string("consequence of ") + std::string(kind_name(planted_ == Kind::kCount ? type : planted_));
    if (type == planted_ && record.note.empty()) record.note = "planted";
    if (known_community) record.community = w_.communities()[p_.community].name;
    truth_.push_back(std::move(record));
  }

  TimeMs stage_start(StageId stage) const {
    switch (stage) {
      case StageId::kReserve: return pipeline_start();
      case StageId::kPickStart: {
        TimeMs start = reserved_;
        if (p_.slot_start != kAbsent) start = std::max(start, p_.slot_start - Limits::kSlotLead);
        return start;
      }
      case StageId::kPick: return pick_started_;
      case StageId::kAssign: return req_.kind == OrderKind::kErrand ? pipeline_start() : pick_completed_;
      case StageId::kPickup: return assigned_;
    }
    return kAbsent;
  }

  void explicit_truth() {
    if (near_) return;  // near misses: nothing (the delivery checks still run)
    switch (planted_) {
      case Kind::kPaymentTimeout: add_truth(Kind::kPaymentTimeout, created_ + Limits::kPaymentTimeout); break;
      case Kind::kPaymentFailed: add_truth(Kind::kPaymentFailed, fails_.front()); break;
      case Kind::kPaidNoOrder: add_truth(Kind::kPaidNoOrder, paid_ + Limits::kPaidNoOrder, {}, StuckStage::kNone, false); break;
      case Kind::kPaymentAmountMismatch: if (paid_ != kAbsent) add_truth(Kind::kPaymentAmountMismatch, paid_); break;
      case Kind::kDuplicatePayment: if (paid2_ != kAbsent) add_truth(Kind::kDuplicatePayment, paid2_); break;
      case Kind::kRefundFailed:
        if (refund_at_ != kAbsent) add_truth(Kind::kRefundFailed, refund_timeout_ ? refund_at_ + Limits::kRefundTimeout : refund_at_ + refund_fail_after_ms_);
        break;
      case Kind::kStockNotReleased: add_truth(Kind::kStockNotReleased, cancelled_ + Limits::kStockRelease); break;
      case Kind::kOutOfStock: if (shortage_at_ != kAbsent) add_truth(Kind::kOutOfStock, shortage_at_, sku_id(p_.items[shortage_item_].sku)); break;
      case Kind::kPickingMismatch: if (mismatch_) add_truth(Kind::kPickingMismatch, pick_completed_); break;
      case Kind::kPriceMismatch: add_truth(Kind::kPriceMismatch, created_); break;
      case Kind::kCouponInvalid: if (!coupon_impossible_) add_truth(Kind::kCouponInvalid, created_); break;
      case Kind::kExpiringProduct: if (expiring_sku_ >= 0) add_truth(Kind::kExpiringProduct, pick_completed_, sku_id(static_cast<std::uint32_t>(expiring_sku_))); break;
      case Kind::kDamagedGoods: if (complaint_at_ != kAbsent) add_truth(Kind::kDamagedGoods, complaint_at_); break;
      case Kind::kWrongOrMissingItem: if (complaint_at_ != kAbsent) add_truth(Kind::kWrongOrMissingItem, complaint_at_); break;
      case Kind::kAddressIncomplete: add_truth(Kind::kAddressIncomplete, created_); break;
      case Kind::kOutOfDeliveryArea: if (outside_) add_truth(Kind::kOutOfDeliveryArea, created_); break;
      case Kind::kOrderStuck: {
        constexpr StuckStage kNames[] = {StuckStage::kReserve, StuckStage::kPickStart, StuckStage::kPick, StuckStage::kNone, StuckStage::kPickup};
        add_truth(Kind::kOrderStuck, stage_start(stuck_stage_) + stage_limit_ms(req_.kind, stuck_stage_), {},
                  kNames[static_cast<std::size_t>(stuck_stage_)]);
        break;
      }
      case Kind::kRiderNotAssigned: add_truth(Kind::kRiderNotAssigned, stage_start(StageId::kAssign) + stage_limit_ms(req_.kind, StageId::kAssign)); break;
      case Kind::kDeliveryFailed: add_truth(Kind::kDeliveryFailed, attempts_.front()); break;
      case Kind::kNegativeReview: if (rating_at_ != kAbsent) add_truth(Kind::kNegativeReview, rating_at_); break;
      case Kind::kStateInconsistent: if (inconsistent_at_ != kAbsent) add_truth(Kind::kStateInconsistent, inconsistent_at_); break;
      default: break;
    }
    if (rider_cancelled_at_ != kAbsent) add_truth(Kind::kRiderCancelled, rider_cancelled_at_);
    if (req_.role == Role::kHotspotPaymentFailed) add_truth(Kind::kPaymentFailed, fails_.front());
    if (mismatch_ && planted_ != Kind::kPickingMismatch) add_truth(Kind::kPickingMismatch, pick_completed_);
    if (planted_ == Kind::kPickingMismatch && complaint_at_ != kAbsent &&
        (complaint_kind_ == ComplaintKind::kWrongItem || complaint_kind_ == ComplaintKind::kMissingItem)) {
      add_truth(Kind::kWrongOrMissingItem, complaint_at_);
    }
  }

  // The stall clock of RIDER_STALLED, run over this order's own events (docs/spec/INCIDENTS.md):
  // it starts at pickup, restarts at the first location and at every location >= 50 m from
  // where it last restarted, stops at a failed attempt (the next location starts it again)
  // and at delivery. Returns the times it fires; with `borderline`, the indexes of pings whose
  // distance from the anchor is within a metre of the threshold.
  std::vector<TimeMs> simulate_stall(std::vector<std::size_t>* borderline) const {
    std::vector<TimeMs> fires;
    if (picked_up_ == kAbsent || req_.kind == OrderKind::kMall) return fires;
    if (cancelled_ != kAbsent && cancelled_ <= picked_up_) return fires;
    bool running = true, armed = true, awaits_first = true;
    TimeMs anchor_at = picked_up_;
    LatLng anchor{};
    const auto closed_by = [&](TimeMs t) { return (cancelled_ != kAbsent && cancelled_ <= t) || (completed_ != kAbsent && completed_ <= t); };
    const auto maybe_fire = [&](TimeMs before) {
      const TimeMs deadline = anchor_at + Limits::kStall;
      if (running && armed && deadline < before) {
        armed = false;
        if (!(delivered_ != kAbsent && delivered_ <= deadline) && !closed_by(deadline)) fires.push_back(deadline);
      }
    };
    // Merge pings, attempts and delivery in time order (lifecycle rank breaks ties).
    struct Item { TimeMs ts; int rank; std::size_t ping; };
    std::vector<Item> items;
    for (std::size_t i = 0; i < pings_.size(); ++i) items.push_back(Item{pings_[i].first, 0, i});
    for (TimeMs t : attempts_) items.push_back(Item{t, 1, 0});
    if (delivered_ != kAbsent) items.push_back(Item{delivered_, 2, 0});
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.ts != b.ts ? a.ts < b.ts : a.rank < b.rank; });
    for (const Item& item : items) {
      maybe_fire(item.ts);
      if (item.rank == 0) {
        const bool out = picked_up_ <= item.ts && !(delivered_ != kAbsent && delivered_ <= item.ts) && !closed_by(item.ts);
        if (!out) continue;
        const LatLng at = pings_[item.ping].second;
        bool restart = false;
        if (!running) restart = true;
        else if (item.ts < anchor_at) restart = false;
        else if (awaits_first) restart = true;
        else {
          const double moved = great_circle_m(at, anchor);
          if (borderline != nullptr && std::fabs(moved - Limits::kStallMinMoveM) < 1.0) borderline->push_back(item.ping);
          restart = moved >= Limits::kStallMinMoveM;
        }
        if (restart) {
          running = armed = true;
          awaits_first = false;
          anchor_at = item.ts;
          anchor = at;
        }
      } else if (item.rank == 1) {
        if (running && item.ts >= anchor_at) running = armed = false;
      } else {
        running = armed = false;
      }
    }
    maybe_fire(std::numeric_limits<TimeMs>::max());
    return fires;
  }

  // DELIVERY_LATE, DELIVERY_LATE_RISK and RIDER_STALLED follow from the timeline whatever was
  // planted: a slow stage, a stall, a detour. Computed here for every order.
  void evaluate_delivery() {
    const std::size_t before = truth_.size();
    const bool payable = p_.payment_method == PaymentMethod::kCod || paid_ != kAbsent;
    if (pay_mode_ != PayMode::kNeverCreated && payable && p_.promise_at != kAbsent) {
      const TimeMs deadline = p_.promise_at + Limits::kLateGrace;
      const bool delivered_in_time = delivered_ != kAbsent && delivered_ <= deadline;
      const bool closed_in_time = (cancelled_ != kAbsent && cancelled_ <= deadline) || (completed_ != kAbsent && completed_ <= deadline);
      const TimeMs armed_at = p_.payment_method == PaymentMethod::kCod ? created_ : std::max(created_, paid_);
      const bool armable = !(cancelled_ != kAbsent && cancelled_ <= armed_at);
      if (!delivered_in_time && !closed_in_time && armable) add_truth(Kind::kDeliveryLate, std::max(deadline, armed_at));
    }
    const bool watched = req_.kind != OrderKind::kMall && picked_up_ != kAbsent && inconsistency_ != 0;
    if (watched && p_.promise_at != kAbsent && risk_address_known_) {
      for (const auto& [ts, at] : pings_) {
        const bool out = picked_up_ <= ts && !(delivered_ != kAbsent && delivered_ <= ts) && !(cancelled_ != kAbsent && cancelled_ <= ts);
        if (!out || ts >= p_.promise_at) continue;
        const double travel_ms = great_circle_m(at, destination_) / Limits::kLateRiskSpeedMps * Limits::kLateRiskFactor * 1000.0;
        if (static_cast<double>(ts) + travel_ms > static_cast<double>(p_.promise_at)) {
          add_truth(Kind::kDeliveryLateRisk, ts);
          break;
        }
      }
    }
    if (watched) {
      for (TimeMs fire : simulate_stall(nullptr)) add_truth(Kind::kRiderStalled, fire);
    }
    if (planted_ == Kind::kCount && req_.role == Role::kNone && truth_.size() != before) ++stats_.clean_surprises;
  }

  // ---------------------------------------------------------------------------------------
  // Steps

  Step& add(TimeMs ts, EventType type) {
    Step& step = p_.steps.emplace_back();
    step.ts = ts;
    step.type = type;
    return step;
  }

  void add_refund(TimeMs requested, std::int64_t amount, bool fails, DurationMs fail_after, bool retry_succeeds, bool never) {
    const std::int32_t refund = ++refunds_;
    Step& request = add(requested, EventType::kRefundRequested);
    request.a = refund;
    request.amount = amount;
    if (never) return;
    if (fails) {
      Step& failed = add(requested + fail_after, EventType::kRefundFailed);
      failed.a = refund;
      failed.detail = static_cast<std::uint8_t>(rng_.range(0, 2));
      if (!retry_succeeds) return;
      Step& ok = add(requested + fail_after + seconds(rng_, 600, 3600), EventType::kRefundSucceeded);
      ok.a = refund;
      ok.amount = amount;
      return;
    }
    Step& ok = add(requested + seconds(rng_, 10, 240), EventType::kRefundSucceeded);
    ok.a = refund;
    ok.amount = amount;
  }

  void assemble() {
    std::vector<Step>& steps = p_.steps;
    const bool created = pay_mode_ != PayMode::kNeverCreated;
    if (req_.emit_profile) add(req_.start, EventType::kUserProfile);
    if (created) add(created_, EventType::kOrderCreated);
    if (address_change_) add(address_changed_at_, EventType::kOrderAddressChanged);

    // Payments
    for (std::size_t i = 0; i < fails_.size(); ++i) {
      Step& failed = add(fails_[i], EventType::kPaymentFailed);
      failed.a = static_cast<std::int32_t>(i + 1);
      failed.detail = static_cast<std::uint8_t>(rng_.range(0, 3));
    }
    std::int64_t paid_amount = p_.amount;
    if (paid_ != kAbsent) {
      if (planted_ == Kind::kPaymentAmountMismatch && !near_) {
        paid_amount = overpaid_ ? p_.amount + mismatch_by_ : std::max<std::int64_t>(1, p_.amount - mismatch_by_);
      }
      Step& paid = add(paid_, EventType::kPaymentSucceeded);
      paid.a = 100;
      paid.amount = paid_amount;
      if (planted_ == Kind::kDuplicatePayment && paid2_ != kAbsent) {
        Step& again = add(paid2_, EventType::kPaymentSucceeded);
        again.a = near_ ? 100 : 101;  // near miss: the same transaction re-sent under a new event id
        again.amount = p_.amount;
      }
      if (paid_amount > p_.amount) add_refund(paid_ + seconds(rng_, 60, 600), paid_amount - p_.amount, false, 0, false, false);
      if (planted_ == Kind::kDuplicatePayment && !near_) add_refund(paid2_ + seconds(rng_, 60, 600), p_.amount, false, 0, false, false);
    }
    if (pay_mode_ == PayMode::kNeverCreated) add_refund(paid_ + seconds(rng_, 300, 900), p_.amount, false, 0, false, false);

    // Warehouse
    if (reserved_ != kAbsent) add(reserved_, EventType::kStockReserved);
    if (pick_started_ != kAbsent) add(pick_started_, EventType::kPickingStarted);
    if (pick_completed_ != kAbsent) add(pick_completed_, EventType::kPickingCompleted);

    // Riders
    if (first_assigned_ != kAbsent && (rider_cancelled_at_ != kAbsent)) {
      const std::int32_t cancelling = cancelling_rider_ >= 0 ? cancelling_rider_ : rider_;
      add(first_assigned_, EventType::kRiderAssigned).a = cancelling;
      Step& cancel = add(rider_cancelled_at_, EventType::kRiderCancelled);
      cancel.a = cancelling;
      cancel.detail = static_cast<std::uint8_t>(rng_.range(0, 3));
      do rider_ = pick_rider(); while (rider_ == cancelling && zone_->rider_count > 1);
    }
    if (assigned_ != kAbsent && !(cancel_after_reserve_ && req_.kind != OrderKind::kErrand)) add(assigned_, EventType::kRiderAssigned).a = rider_;
    if (picked_up_ != kAbsent) add(picked_up_, EventType::kDeliveryPickedUp).a = rider_;
    for (const auto& [ts, at] : pings_) {
      Step& ping = add(ts, EventType::kRiderLocation);
      ping.a = rider_;
      ping.position = at;
    }
    for (TimeMs t : attempts_) add(t, EventType::kDeliveryAttemptFailed).detail = static_cast<std::uint8_t>(attempt_reason_);
    if (delivered_ != kAbsent) add(delivered_, EventType::kDeliveryDelivered).a = rider_;
    if (p_.payment_method == PaymentMethod::kCod && delivered_ != kAbsent) {
      Step& cash = add(delivered_ + seconds(rng_, 1, std::max<std::int64_t>(2, d_.complete_ms / kSecondMs - 1)), EventType::kPaymentSucceeded);
      cash.a = 100;
      cash.amount = p_.amount;
    }
    if (completed_ != kAbsent) add(completed_, EventType::kOrderCompleted);

    // Cancellation and what follows it
    if (cancelled_ != kAbsent) {
      Step& cancel = add(cancelled_, EventType::kOrderCancelled);
      cancel.detail = static_cast<std::uint8_t>(cancel_by_);
      cancel.a = static_cast<std::int32_t>(rng_.range(0, 3));
      if (reserved_ != kAbsent && reserved_ <= cancelled_ && release_after_ms_ >= 0) add(cancelled_ + release_after_ms_, EventType::kStockReleased);
      if (paid_ != kAbsent && paid_ <= cancelled_) add_refund(cancelled_ + seconds(rng_, 5, 120), p_.amount, false, 0, false, false);
    }
    if (inconsistency_ == 0 && inconsistent_at_ != kAbsent) {
      add(inconsistent_at_, EventType::kDeliveryPickedUp).a = rider_;
    } else if (inconsistency_ == 1 && inconsistent_at_ != kAbsent) {
      add(inconsistent_at_, EventType::kDeliveryDelivered).a = pick_rider();
    } else if (inconsistency_ == 2 && inconsistent_at_ != kAbsent) {
      Step& refund = add(inconsistent_at_, EventType::kRefundSucceeded);
      refund.a = 900;
      refund.amount = p_.amount;
    }

    // After sales
    if (complaint_at_ != kAbsent) {
      Step& complaint = add(complaint_at_, EventType::kComplaintFiled);
      complaint.detail = static_cast<std::uint8_t>(complaint_kind_);
      complaint.a = complaint_item_;
      if (refund_after_complaint_ && paid_ != kAbsent) {
        const PlanItem& item = p_.items[static_cast<std::size_t>(complaint_item_)];
        add_refund(complaint_at_ + seconds(rng_, 120, 1800), std::min(p_.amount, item.unit_price * item.qty), false, 0, false, false);
      }
    }
    if (refund_at_ != kAbsent) {
      add_refund(refund_at_, std::max<std::int64_t>(1, p_.amount / 2), !refund_timeout_ && !near_, refund_fail_after_ms_, refund_retry_, refund_timeout_ && !near_);
    }
    if (rating_at_ != kAbsent) add(rating_at_, EventType::kRatingSubmitted).a = rating_score_;

    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      return a.ts != b.ts ? a.ts < b.ts : rank_of(a.type) < rank_of(b.type);
    });
  }

  // What the picker puts in the bag, and any shortage on the way.
  void plan_picking() {
    if (reserved_ == kAbsent) return;
    p_.picked.clear();
    for (const PlanItem& item : p_.items) {
      const SkuDef& sku = w_.skus()[item.sku];
      if (!sku.stocked) continue;
      PickedItem picked{item.sku, item.qty, kAbsent};
      if (sku.shelf_life_days > 0 && p_.promise_at != kAbsent) {
        picked.expires_at = p_.promise_at + Limits::kMinShelfLife + 24 * kHourMs +
                            static_cast<DurationMs>(sku.shelf_life_days) * 12 * kHourMs + seconds(rng_, 0, 3600);
      }
      p_.picked.push_back(picked);
    }
    if (pick_completed_ == kAbsent || p_.picked.empty()) return;
    std::vector<std::size_t> stocked_lines;
    for (std::size_t i = 0; i < p_.items.size(); ++i) if (w_.skus()[p_.items[i].sku].stocked) stocked_lines.push_back(i);
    const std::size_t line = stocked_lines[rng_.index(stocked_lines.size())];
    const std::uint32_t sku = p_.items[line].sku;
    const auto picked_of = [&](std::uint32_t s) {
      return std::find_if(p_.picked.begin(), p_.picked.end(), [&](const PickedItem& item) { return item.sku == s; });
    };
    if (planted_ == Kind::kOutOfStock && !near_) {
      shortage_item_ = line;
      shortage_at_ = std::min(reserved_ + seconds(rng_, 1, 30), pick_completed_ - 2 * kSecondMs);
      Step& shortage = add(shortage_at_, EventType::kStockShortage);
      shortage.a = static_cast<std::int32_t>(line);
      shortage.b = static_cast<std::int32_t>(p_.items[line].qty);
      shortage.amount = rng_.range(0, p_.items[line].qty - 1);
      note_ = "warehouse short of " + sku_id(sku);
      const SubstitutionPref pref = p_.user.pref;
      if (pref == SubstitutionPref::kRefund) {
        p_.picked.erase(picked_of(sku));
        mismatch_ = true;  // a short line refunded is also a picking mismatch by the spec
        if (paid_ != kAbsent) add_refund(pick_completed_ + seconds(rng_, 30, 300), p_.items[line].qty * p_.items[line].unit_price, false, 0, false, false);
      } else {
        const std::uint32_t substitute = substitute_for(sku);
        const TimeMs answer = shortage_at_ + std::min<DurationMs>(seconds(rng_, 1, 180), pick_completed_ - shortage_at_ - kSecondMs);
        Step& reply = add(answer, EventType::kSubstitutionResponded);
        reply.a = static_cast<std::int32_t>(line);
        reply.b = static_cast<std::int32_t>(substitute);
        const bool accepted = pref == SubstitutionPref::kSubstitute || rng_.chance(0.8);
        reply.detail = accepted ? 1 : 0;
        auto it = picked_of(sku);
        if (accepted) it->sku = substitute;
        else { p_.picked.erase(it); mismatch_ = true; }
      }
    } else if (planted_ == Kind::kPickingMismatch) {
      auto it = picked_of(sku);
      if (near_) {
        // The same multiset written differently: one line split in two.
        if (it->qty >= 2) { it->qty -= 1; p_.picked.push_back(PickedItem{sku, 1, it->expires_at}); }
        else std::reverse(p_.picked.begin(), p_.picked.end());
      } else {
        mismatch_ = true;
        if (variant_ < 4 && p_.picked.size() > 1) { p_.picked.erase(it); note_ = "漏发: " + sku_id(sku) + " missing"; }
        else if (variant_ < 7) { it->sku = substitute_for(sku); note_ = "错发: wrong sku for " + sku_id(sku); }
        else { it->qty += 1; note_ = "wrong quantity of " + sku_id(sku); }
      }
    } else if (planted_ == Kind::kExpiringProduct && p_.promise_at != kAbsent) {
      auto it = picked_of(sku);
      it->expires_at = near_ ? p_.promise_at + Limits::kMinShelfLife : p_.promise_at + Limits::kMinShelfLife - seconds(rng_, 60, 40 * 3600);
      if (!near_) {
        expiring_sku_ = static_cast<std::int64_t>(sku);
        note_ = "临期: expires before promise_at + 48 h";
      }
    }
  }

  std::uint32_t substitute_for(std::uint32_t sku) const {
    const SkuDef& def = w_.skus()[sku];
    std::uint32_t fallback = sku;
    for (std::uint32_t candidate : kd_.skus) {
      if (candidate == sku) continue;
      if (std::any_of(p_.items.begin(), p_.items.end(), [&](const PlanItem& item) { return item.sku == candidate; })) continue;
      if (w_.skus()[candidate].category == def.category) return candidate;
      if (fallback == sku) fallback = candidate;
    }
    return fallback;
  }

  // The impossible event of a STATE_INCONSISTENT plant, and when it happens.
  void plan_inconsistency() {
    if (inconsistency_ == 0 && cancelled_ != kAbsent) inconsistent_at_ = cancelled_ + seconds(rng_, 60, 600);
    else if (inconsistency_ == 1 && completed_ != kAbsent) inconsistent_at_ = completed_ + seconds(rng_, 60, 1800);
    else if (inconsistency_ == 2) inconsistent_at_ = created_ + seconds(rng_, 30, 120);
    else if (inconsistency_ == 3) inconsistent_at_ = picked_up_;
    if (inconsistent_at_ != kAbsent) note_ = std::array<const char*, 4>{"picked up after cancellation", "delivered again after completion",
                                                                        "refund.succeeded with no payment", "online errand picked up before payment"}[static_cast<std::size_t>(inconsistency_)];
  }

  const WorldModel& w_;
  const PlanRequest& req_;
  OrderPlan& p_;
  std::vector<TruthRecord>& truth_;
  PlanStats& stats_;
  Rng rng_;
  const KindDef& kd_;
  const ZoneDef* zone_ = nullptr;
  Kind planted_;
  bool near_;
  int variant_ = 0;
  std::string note_;

  // knobs
  Durations d_;
  PayMode pay_mode_ = PayMode::kPrompt;
  DurationMs pay_after_ms_ = 0;
  DurationMs creation_gap_ms_ = 0;
  DurationMs fail_after_ms_ = 0, fail_gap_ms_ = 0;
  int fail_count_ = 1;
  bool cancel_after_reserve_ = false;
  CancelledBy cancel_by_ = CancelledBy::kSystem;
  DurationMs release_after_ms_ = -1;
  StageId stuck_stage_ = StageId::kReserve;
  DurationMs stage_duration_ms_ = 0;
  bool rider_cancel_ = false;
  std::int32_t cancelling_rider_ = -1;
  bool stall_ = false, stall_silent_ = false, stall_creep_ = false;
  DurationMs stall_ms_ = 0;
  double stall_fraction_ = 0.5;
  PromiseMode promise_mode_ = PromiseMode::kClean;
  bool late_target_ = false;
  bool attempt_failed_ = false, attempt_return_ = false;
  AttemptFailure attempt_reason_ = AttemptFailure::kNoAnswer;
  int inconsistency_ = -1;
  bool address_change_ = false;
  bool risk_address_known_ = true;
  bool outside_ = false;
  bool coupon_impossible_ = false;
  std::int64_t fee_ = 0;
  bool overpaid_ = false;
  std::int64_t mismatch_by_ = 0;
  TimeMs address_changed_at_ = kAbsent;

  // geometry
  LatLng destination_;
  Route route_;
  double speed_mps_ = 4;

  // milestones
  TimeMs created_ = kAbsent, paid_ = kAbsent, paid2_ = kAbsent, reserved_ = kAbsent, pick_started_ = kAbsent;
  TimeMs pick_completed_ = kAbsent, first_assigned_ = kAbsent, rider_cancelled_at_ = kAbsent, assigned_ = kAbsent;
  TimeMs picked_up_ = kAbsent, arrival_ = kAbsent, delivered_ = kAbsent, completed_ = kAbsent, cancelled_ = kAbsent;
  std::vector<TimeMs> fails_;
  std::vector<std::pair<TimeMs, LatLng>> pings_;
  std::vector<TimeMs> attempts_;
  std::int32_t rider_ = 0;
  std::int32_t refunds_ = 0;

  // goods
  std::size_t shortage_item_ = 0;
  TimeMs shortage_at_ = kAbsent;
  bool mismatch_ = false;
  std::int64_t expiring_sku_ = -1;

  // after sales
  TimeMs rating_at_ = kAbsent;
  int rating_score_ = 5;
  TimeMs complaint_at_ = kAbsent;
  ComplaintKind complaint_kind_ = ComplaintKind::kOther;
  std::int32_t complaint_item_ = 0;
  bool refund_after_complaint_ = false;
  TimeMs refund_at_ = kAbsent;
  bool refund_timeout_ = false, refund_retry_ = false;
  DurationMs refund_fail_after_ms_ = 0;
  TimeMs inconsistent_at_ = kAbsent;
};

}  // namespace

std::string order_id_for(char prefix, std::uint64_t number) {
  std::string digits = std::to_string(number);
  if (digits.size() < 9) digits.insert(0, 9 - digits.size(), '0');
  std::string id;
  id.reserve(11);
  id.push_back(prefix);
  id.push_back('-');
  id += digits;
  return id;
}

void build_order(const WorldModel& world, const PlanRequest& request, std::uint64_t seed, OrderPlan& plan,
                 std::vector<TruthRecord>& truth, PlanStats& stats) {
  Builder(world, request, seed, plan, truth, stats).run();
}

}  // namespace og::sim
