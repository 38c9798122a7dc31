// sim/order_plan: one order's whole life, decided when the order starts: who orders what,
// where, the timeline of every lifecycle event (with GPS pings while out for delivery), the
// exception planted in it (or the near miss), and the incidents a correct engine must report
// about the order because of it, consequences included (a late stage that makes the delivery
// late, a stall that makes the ETA slip ...).
// Steps are compact and rendered to JSON only when emitted (sim/render).
// Owns: scenarios and the per-order delivery checks. Depends on: sim/world_model, sim/truth.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/geo.h"
#include "core/time.h"
#include "events/event.h"
#include "sim/truth.h"
#include "sim/world_model.h"

namespace og::sim {

struct PlanItem {
  std::uint32_t sku = 0;
  std::int64_t qty = 1;
  std::int64_t unit_price = 0;
};

struct PickedItem {
  std::uint32_t sku = 0;
  std::int64_t qty = 1;
  TimeMs expires_at = kAbsent;
};

struct AddressDef {
  std::string text;
  std::string building;
  std::string unit;
  std::string room;
  bool has_position = true;
  LatLng position;
};

struct CouponDef {
  bool present = false;
  std::string code;
  std::int64_t discount = 0;
  std::int64_t min_spend = kAbsent;
  TimeMs expires_at = kAbsent;
};

// One event of the order, as compact as the renderer allows. Field use depends on `type`
// (see render.cc): `a` is a rider, txn, refund, item index or score; `b` a substitute sku or
// a requested quantity; `amount` money or an available quantity; `detail` an enum value.
struct Step {
  TimeMs ts = 0;
  EventType type = EventType::kClockTick;
  std::uint8_t detail = 0;
  std::int32_t a = 0;
  std::int32_t b = 0;
  std::int64_t amount = 0;
  LatLng position;
};

struct OrderPlan {
  std::string order_id;
  std::uint64_t number = 0;
  OrderKind kind = OrderKind::kGrocery;
  bool errand_buy = false;
  UserDef user;
  bool tracked_user = false;   // AMOUNT_ANOMALY episode users: amounts tracked exactly
  bool emit_profile = false;
  std::uint32_t zone = 0;
  std::uint32_t community = 0;
  std::string merchant_id;
  std::string picker_id;
  AddressDef address;
  AddressDef changed_address;  // what order.address_changed carries
  std::vector<PlanItem> items;
  std::vector<PickedItem> picked;
  CouponDef coupon;
  std::int64_t amount = 0;
  PaymentMethod payment_method = PaymentMethod::kOnline;
  TimeMs promise_at = kAbsent;
  TimeMs slot_start = kAbsent;
  TimeMs slot_end = kAbsent;
  std::vector<Step> steps;     // sorted by (ts, lifecycle rank)
  std::size_t cursor = 0;      // next step to emit
};

// A part one order plays in a multi-order episode (behaviour and scope types).
enum class Role : std::uint8_t {
  kNone,
  kUserCancel,          // unpaid, cancelled by the user within minutes
  kMerchantCancel,      // paid and reserved, cancelled by the merchant, stock released in time
  kDuplicateUnpaid,     // identical basket, left unpaid, cancelled by the system at cancel_at
  kDuplicatePaid,       // identical basket, paid (the one kept)
  kAnomalyHistory,      // an ordinary order of a user whose big order comes later
  kAnomalyBig,          // the big one: target_amount
  kRiderCancel,         // `rider` takes the order and cancels it
  kHotspotPaymentFailed,  // payment channel down in the community
};

struct PlanRequest {
  TimeMs start = 0;
  std::uint64_t number = 0;
  OrderKind kind = OrderKind::kGrocery;
  Kind planted = Kind::kCount;  // kCount: a clean order
  bool near_miss = false;
  Role role = Role::kNone;
  std::optional<UserDef> user;
  bool tracked_user = false;
  std::vector<PlanItem> items;  // sku and qty; prices are those in force at creation
  std::int64_t target_amount = 0;
  std::int32_t rider = -1;
  TimeMs cancel_at = kAbsent;
  bool fail_then_pay = false;   // kHotspotPaymentFailed: the retry succeeds
  std::uint32_t user_slot = 0;  // pool user index for clean orders
  bool emit_profile = false;    // the user's first order: their user.profile goes first
  bool target_floor = false;    // kAnomalyBig: stay at or below target_amount (a near miss)
  DurationMs fail_after = 0;    // kHotspotPaymentFailed: the failure this long after creation (0: random)
  // Near misses whose awaited event lands exactly on a deadline (instead of 1 ms before):
  // the sharpest test of "at or before a deadline is in time".
  bool exact_boundaries = true;
};

struct PlanStats {
  std::uint64_t clean_surprises = 0;  // a clean order that the delivery checks flagged (must stay 0)
};

// Builds the order. `truth` receives every order-level incident a correct engine reports,
// with `community` set as the engine knows it at detection.
void build_order(const WorldModel& world, const PlanRequest& request, std::uint64_t seed, OrderPlan& plan,
                 std::vector<TruthRecord>& truth, PlanStats& stats);

// Order ids are fixed-width so that string order equals (prefix, number) order.
std::string order_id_for(char prefix, std::uint64_t number);

}  // namespace og::sim
