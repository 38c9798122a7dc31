// sim/world_model: the static side of a simulated platform: zones with centres, radii,
// depots and pickup points; communities (小区 / dorm groups); the catalog (categories, tags,
// prices and the day's price changes); riders; mall merchants; and the user population
// (tier, substitution preference, home community), all derived from the seed.
// Also the rule parameters the ground truth assumes (the defaults of docs/spec/INCIDENTS.md).
// Owns: geography and master data. Depends on: core (geo, time), events (kinds, enums).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/geo.h"
#include "core/time.h"
#include "events/event.h"

namespace og::sim {

enum class Platform : std::uint8_t { kGrocery, kErrand, kMall, kMixed };
std::optional<Platform> platform_from_name(std::string_view name);

// The rules configuration the truth is computed for: the defaults of config/orderguard.toml.
struct Limits {
  static constexpr DurationMs kPaymentTimeout = 15 * kMinuteMs;
  static constexpr DurationMs kPaidNoOrder = 2 * kMinuteMs;
  static constexpr DurationMs kRefundTimeout = 24 * kHourMs;
  static constexpr DurationMs kStockRelease = 5 * kMinuteMs;
  static constexpr DurationMs kMinShelfLife = 48 * kHourMs;
  static constexpr DurationMs kSlotLead = 45 * kMinuteMs;
  static constexpr DurationMs kStall = 10 * kMinuteMs;
  static constexpr double kStallMinMoveM = 50;
  static constexpr double kLateRiskSpeedMps = 4.2;
  static constexpr double kLateRiskFactor = 1.3;
  static constexpr DurationMs kLateGrace = 5 * kMinuteMs;
  static constexpr DurationMs kFrequentCancelWindow = 24 * kHourMs;
  static constexpr int kFrequentCancelCount = 3;
  static constexpr DurationMs kDuplicateUnpaidWindow = 10 * kMinuteMs;
  static constexpr int kDuplicateUnpaidOthers = 2;
  static constexpr int kAnomalyMinOrders = 5;
  static constexpr std::size_t kAnomalyHistory = 50;
  static constexpr std::int64_t kAnomalyMultiple = 5;
  static constexpr std::int64_t kAnomalyMinExcess = 20000;
  static constexpr std::int64_t kNegativeMaxScore = 2;
  static constexpr DurationMs kRiderCancelWindow = 24 * kHourMs;
  static constexpr int kRiderCancelCount = 3;
  static constexpr int kHotspotCount = 5;
  static constexpr DurationMs kHotspotWindow = 60 * kMinuteMs;
  static constexpr std::int64_t kDefaultReorderPoint = 10;
};

enum class StageId : std::uint8_t { kReserve, kPickStart, kPick, kAssign, kPickup };
// 0: the kind has no such stage.
DurationMs stage_limit_ms(OrderKind kind, StageId stage);

struct SkuDef {
  std::string sku;
  std::string name;
  std::string category;
  std::vector<std::string> tags;
  std::int64_t base_price = 0;
  std::int64_t reorder_point = Limits::kDefaultReorderPoint;
  int shelf_life_days = 0;  // 0: not perishable (no expires_at when picked)
  bool stocked = true;      // errand services have no stock
  OrderKind kind = OrderKind::kGrocery;
};

struct PickupPointDef {
  std::string id;
  std::string name;
  LatLng position;
};

struct ZoneDef {
  std::string id;
  OrderKind kind = OrderKind::kGrocery;
  LatLng centre;
  double radius_m = 3000;
  LatLng depot;               // warehouse, campus store or express station
  std::string depot_name;
  std::vector<PickupPointDef> pickup_points;
  std::vector<std::uint32_t> communities;
  std::vector<std::uint32_t> merchants;  // mall
  std::uint32_t first_rider = 0;
  std::uint32_t rider_count = 0;
};

struct CommunityDef {
  std::string name;
  std::uint32_t zone = 0;
  LatLng centre;
  int buildings = 10;
};

struct MerchantDef {
  std::string id;
  std::uint32_t zone = 0;
  LatLng position;
};

// Everything about one order kind on the platform.
struct KindDef {
  OrderKind kind = OrderKind::kGrocery;
  bool present = false;
  char prefix = 'G';                 // order and user id prefix
  std::vector<std::uint32_t> zones;
  std::vector<std::uint32_t> skus;   // goods (errand: the campus store)
  std::vector<std::uint32_t> service_skus;  // errand fees
  std::vector<std::uint32_t> communities;
  // Background order amounts stay in [amount_low, amount_low + kBandWidth]: a band narrower
  // than AMOUNT_ANOMALY's minimum excess, so no background order can ever look anomalous.
  std::int64_t amount_low = 0;
  std::uint32_t user_count = 0;
  std::string warehouse;
  double share = 0;  // of the platform's orders
};
inline constexpr std::int64_t kBandWidth = 19000;

struct UserDef {
  std::string id;
  bool vip = false;
  SubstitutionPref pref = SubstitutionPref::kContact;
  std::uint32_t community = 0;
};

struct PriceChange {
  TimeMs at = 0;
  std::uint32_t sku = 0;
  std::int64_t price = 0;
};

class WorldModel {
 public:
  WorldModel(Platform platform, std::uint64_t seed, std::uint64_t orders_per_day);

  Platform platform() const { return platform_; }
  const KindDef& kind(OrderKind kind) const { return kinds_[static_cast<std::size_t>(kind)]; }
  const std::vector<ZoneDef>& zones() const { return zones_; }
  const std::vector<CommunityDef>& communities() const { return communities_; }
  const std::vector<SkuDef>& skus() const { return skus_; }
  const std::vector<MerchantDef>& merchants() const { return merchants_; }
  const std::vector<std::string>& riders() const { return riders_; }
  std::uint32_t rider_zone(std::uint32_t rider) const { return rider_zone_[rider]; }

  // Users are derived from their index, so a population of millions costs no memory.
  UserDef user(OrderKind kind, std::uint32_t index) const;

  // Price changes, known a day ahead so that an order's prices are exact at its creation.
  void plan_price_changes(TimeMs day_start, std::uint64_t day, std::vector<PriceChange>& out);
  std::int64_t price_at(std::uint32_t sku, TimeMs t) const;
  // The price in force just before the latest change at or before t (kAbsent when none).
  std::int64_t previous_price_at(std::uint32_t sku, TimeMs t) const;

 private:
  void add_kind(OrderKind kind, std::uint64_t orders_per_day);
  Platform platform_;
  std::uint64_t seed_;
  KindDef kinds_[3];
  std::vector<ZoneDef> zones_;
  std::vector<CommunityDef> communities_;
  std::vector<SkuDef> skus_;
  std::vector<MerchantDef> merchants_;
  std::vector<std::string> riders_;
  std::vector<std::uint32_t> rider_zone_;
  std::vector<std::vector<std::pair<TimeMs, std::int64_t>>> prices_;  // per sku, by time
};

// A point `distance_m` from `origin` in direction `bearing_rad` (0 = north), on the sphere.
LatLng destination(LatLng origin, double bearing_rad, double distance_m);
// Coordinates as written to the event stream (6 decimals): compute every distance on these.
LatLng rounded(LatLng position);

}  // namespace og::sim
