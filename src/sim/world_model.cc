#include "sim/world_model.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "core/hash.h"
#include "sim/random.h"

namespace og::sim {

namespace {

constexpr double kPi = 3.14159265358979323846;

struct SkuSeed {
  const char* sku;
  const char* name;
  const char* category;
  std::int64_t price;
  int shelf_days;
};

constexpr SkuSeed kGrocery[] = {
    {"tomato-500g", "西红柿 500g", "vegetable", 590, 5},     {"cucumber-500g", "黄瓜 500g", "vegetable", 450, 5},
    {"cabbage", "大白菜 1颗", "vegetable", 450, 7},           {"potato-1kg", "土豆 1kg", "vegetable", 690, 20},
    {"spinach-300g", "菠菜 300g", "vegetable", 520, 3},      {"egg-10", "鲜鸡蛋 10枚", "egg", 1590, 14},
    {"egg-free-range-6", "散养鸡蛋 6枚", "egg", 1690, 14},    {"milk-1l", "纯牛奶 1L", "dairy", 1290, 7},
    {"yogurt-4", "酸奶 4杯", "dairy", 1590, 10},              {"pork-belly-500g", "五花肉 500g", "meat", 2390, 3},
    {"chicken-wings-500g", "鸡翅中 500g", "meat", 2990, 3},  {"beef-300g", "牛腩 300g", "meat", 4590, 3},
    {"shrimp-400g", "鲜虾 400g", "seafood", 4990, 2},         {"apple-1kg", "苹果 1kg", "fruit", 1290, 20},
    {"banana-1kg", "香蕉 1kg", "fruit", 890, 5},              {"orange-1kg", "橙子 1kg", "fruit", 1190, 15},
    {"rice-5kg", "大米 5kg", "grain", 3990, 0},               {"noodle-1kg", "挂面 1kg", "grain", 890, 0},
    {"oil-1800ml", "花生油 1.8L", "oil", 4590, 0},            {"soy-sauce-500ml", "生抽 500ml", "seasoning", 990, 0},
    {"tofu-400g", "豆腐 400g", "bean", 350, 3},               {"bread-400g", "吐司 400g", "bakery", 1290, 4},
};

constexpr SkuSeed kMall[] = {
    {"rice-cooker-3l", "电饭煲 3L", "appliance", 19900, 0}, {"kettle-1.7l", "电水壶 1.7L", "appliance", 8900, 0},
    {"hair-dryer", "吹风机", "appliance", 12900, 0},        {"blender", "料理机", "appliance", 15900, 0},
    {"tshirt", "纯棉T恤", "clothing", 5900, 0},            {"jeans", "牛仔裤", "clothing", 12900, 0},
    {"jacket", "夹克", "clothing", 18900, 0},              {"socks-5", "袜子 5双", "clothing", 2900, 0},
    {"lipstick", "口红", "beauty", 16900, 0},              {"face-cream", "面霜 50ml", "beauty", 18900, 1000},
    {"shampoo-750ml", "洗发水 750ml", "beauty", 4900, 900}, {"towel-2", "毛巾 2条", "home", 3900, 0},
    {"pillow", "枕头", "home", 8900, 0},                   {"storage-box", "收纳箱", "home", 4900, 0},
    {"block-set", "积木套装", "toy", 17900, 0},            {"novel", "小说", "book", 4500, 0},
    {"notebook-5", "笔记本 5本", "stationery", 2500, 0},    {"tea-gift", "茶叶礼盒", "food", 16800, 365},
};

constexpr SkuSeed kCampusStore[] = {
    {"water-550ml", "矿泉水 550ml", "drink", 200, 365},   {"cola-330ml", "可乐 330ml", "drink", 350, 270},
    {"instant-noodle", "方便面", "snack", 450, 180},       {"chips-70g", "薯片 70g", "snack", 650, 240},
    {"bread-roll", "面包", "bakery", 550, 5},              {"milk-250ml", "牛奶 250ml", "dairy", 350, 10},
    {"tissue-10", "纸巾 10包", "daily", 1290, 0},          {"pen-3", "中性笔 3支", "stationery", 600, 0},
    {"battery-aa-4", "5号电池 4节", "daily", 1500, 0},      {"ice-cream", "冰淇淋", "frozen", 500, 30},
    {"apple-3", "苹果 3个", "fruit", 990, 10},             {"coffee-can", "罐装咖啡", "drink", 650, 300},
};

constexpr SkuSeed kErrandServices[] = {
    {"errand-express", "代取快递", "service", 500, 0}, {"errand-print", "代打印", "service", 300, 0},
    {"errand-food", "代取外卖", "service", 400, 0},    {"errand-send", "代寄快递", "service", 800, 0},
    {"errand-buy-fee", "代买跑腿费", "service", 300, 0},
};

constexpr const char* kNamePrefixes[] = {"清河", "安宁", "望京", "花家", "南湖", "龙泽", "融泽", "领秀", "建外", "珠江",
                                        "光华", "双井", "北苑", "育新", "西三旗", "上地", "朱辛庄", "天通苑", "芍药居", "太阳宫"};
constexpr const char* kNameSuffixes[] = {"小区", "家园", "花园", "嘉园", "东里", "西里"};
constexpr const char* kMerchants[] = {"东方百货", "西单商场", "国贸商城", "蓝色港湾", "朝阳大悦城", "五彩城", "龙德广场", "来福士"};

struct ZoneSeed {
  const char* id;
  const char* depot;
  double lat;
  double lng;
};
constexpr ZoneSeed kGroceryZones[] = {{"Z-qinghe", "清河前置仓", 40.030, 116.330},
                                      {"Z-wangjing", "望京前置仓", 39.995, 116.475},
                                      {"Z-huilongguan", "回龙观前置仓", 40.070, 116.330},
                                      {"Z-guomao", "国贸前置仓", 39.910, 116.455}};
constexpr ZoneSeed kCampusZones[] = {{"Z-campus-pku", "燕园便利店", 39.992, 116.306},
                                     {"Z-campus-thu", "紫荆便利店", 40.002, 116.326}};
constexpr ZoneSeed kMallZones[] = {{"Z-mall-east", "东区配送站", 39.915, 116.460},
                                   {"Z-mall-west", "西区配送站", 39.915, 116.330},
                                   {"Z-mall-north", "北区配送站", 40.000, 116.400}};

std::string numbered(const char* prefix, std::uint64_t n, int width) {
  std::string digits = std::to_string(n);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  return std::string(prefix) + digits;
}

}  // namespace

std::optional<Platform> platform_from_name(std::string_view name) {
  if (name == "grocery") return Platform::kGrocery;
  if (name == "errand") return Platform::kErrand;
  if (name == "mall") return Platform::kMall;
  if (name == "mixed") return Platform::kMixed;
  return std::nullopt;
}

DurationMs stage_limit_ms(OrderKind kind, StageId stage) {
  switch (kind) {
    case OrderKind::kGrocery: {
      constexpr DurationMs kLimits[] = {5 * kMinuteMs, 20 * kMinuteMs, 20 * kMinuteMs, 10 * kMinuteMs, 15 * kMinuteMs};
      return kLimits[static_cast<std::size_t>(stage)];
    }
    case OrderKind::kMall: {
      constexpr DurationMs kLimits[] = {30 * kMinuteMs, 24 * kHourMs, 24 * kHourMs, 24 * kHourMs, 24 * kHourMs};
      return kLimits[static_cast<std::size_t>(stage)];
    }
    case OrderKind::kErrand: {
      constexpr DurationMs kLimits[] = {0, 0, 0, 10 * kMinuteMs, 15 * kMinuteMs};
      return kLimits[static_cast<std::size_t>(stage)];
    }
  }
  return 0;
}

LatLng destination(LatLng origin, double bearing_rad, double distance_m) {
  constexpr double kRad = kPi / 180.0;
  const double angular = distance_m / kEarthRadiusM;
  const double lat1 = origin.lat * kRad;
  const double lng1 = origin.lng * kRad;
  const double lat2 = std::asin(std::sin(lat1) * std::cos(angular) + std::cos(lat1) * std::sin(angular) * std::cos(bearing_rad));
  const double lng2 = lng1 + std::atan2(std::sin(bearing_rad) * std::sin(angular) * std::cos(lat1),
                                        std::cos(angular) - std::sin(lat1) * std::sin(lat2));
  return LatLng{lat2 / kRad, lng2 / kRad};
}

LatLng rounded(LatLng position) {
  return LatLng{std::round(position.lat * 1e6) / 1e6, std::round(position.lng * 1e6) / 1e6};
}

WorldModel::WorldModel(Platform platform, std::uint64_t seed, std::uint64_t orders_per_day)
    : platform_(platform), seed_(seed) {
  kinds_[0].kind = OrderKind::kGrocery;
  kinds_[1].kind = OrderKind::kErrand;
  kinds_[2].kind = OrderKind::kMall;
  switch (platform) {
    case Platform::kGrocery: add_kind(OrderKind::kGrocery, orders_per_day); kinds_[0].share = 1; break;
    case Platform::kErrand: add_kind(OrderKind::kErrand, orders_per_day); kinds_[1].share = 1; break;
    case Platform::kMall: add_kind(OrderKind::kMall, orders_per_day); kinds_[2].share = 1; break;
    case Platform::kMixed:
      add_kind(OrderKind::kGrocery, orders_per_day / 2);
      add_kind(OrderKind::kErrand, orders_per_day / 4);
      add_kind(OrderKind::kMall, orders_per_day / 4);
      kinds_[0].share = 0.5;
      kinds_[1].share = 0.25;
      kinds_[2].share = 0.25;
      break;
  }
  prices_.resize(skus_.size());
}

void WorldModel::add_kind(OrderKind kind, std::uint64_t orders_per_day) {
  Rng rng(derive_seed(seed_, 0x5eed0000 + static_cast<std::uint64_t>(kind)));
  KindDef& def = kinds_[static_cast<std::size_t>(kind)];
  def.present = true;

  const auto add_skus = [&](const auto& seeds, std::vector<std::uint32_t>& into, bool stocked, std::int64_t reorder_point,
                            bool variants) {
    for (const SkuSeed& s : seeds) {
      const int variant_count = variants ? 3 : 1;
      for (int v = 0; v < variant_count; ++v) {
        SkuDef sku;
        sku.kind = kind;
        sku.category = s.category;
        sku.shelf_life_days = s.shelf_days;
        sku.stocked = stocked;
        sku.reorder_point = stocked ? reorder_point + rng.range(0, reorder_point / 2) : Limits::kDefaultReorderPoint;
        sku.tags = {s.category};
        if (v == 0) {
          sku.sku = s.sku;
          sku.name = s.name;
          sku.base_price = s.price;
          sku.tags.emplace_back("常规");
        } else if (v == 1) {
          sku.sku = std::string(s.sku) + "-organic";
          sku.name = std::string("有机") + s.name;
          sku.base_price = s.price * 16 / 10 / 10 * 10;
          sku.tags.emplace_back("有机");
        } else {
          sku.sku = std::string(s.sku) + "-value";
          sku.name = std::string(s.name) + " 实惠装";
          sku.base_price = s.price * 85 / 100 / 10 * 10;
          sku.tags.emplace_back("实惠");
        }
        if (s.shelf_days > 0 && s.shelf_days <= 20) sku.tags.emplace_back("生鲜");
        into.push_back(static_cast<std::uint32_t>(skus_.size()));
        skus_.push_back(std::move(sku));
      }
    }
  };

  std::span<const ZoneSeed> zone_seeds;
  double radius_m = 3000;
  double community_spread_m = 2000;
  int communities_per_zone = 10;
  switch (kind) {
    case OrderKind::kGrocery:
      def.prefix = 'G';
      def.amount_low = 800;
      def.warehouse = "WH-grocery-central";
      add_skus(kGrocery, def.skus, true, 20, true);
      zone_seeds = kGroceryZones;
      break;
    case OrderKind::kErrand:
      def.prefix = 'E';
      def.amount_low = 300;
      def.warehouse = "WH-campus-store";
      add_skus(kCampusStore, def.skus, true, 15, false);
      add_skus(kErrandServices, def.service_skus, false, 0, false);
      zone_seeds = kCampusZones;
      radius_m = 1500;
      community_spread_m = 900;
      communities_per_zone = 8;
      break;
    case OrderKind::kMall:
      def.prefix = 'M';
      def.amount_low = 2500;
      def.warehouse = "WH-mall-central";
      add_skus(kMall, def.skus, true, 5, false);
      zone_seeds = kMallZones;
      radius_m = 8000;
      community_spread_m = 6000;
      break;
  }

  const std::uint64_t riders_per_zone =
      std::clamp<std::uint64_t>(orders_per_day / std::max<std::size_t>(zone_seeds.size(), 1) / 20, 8, 4000);
  for (const ZoneSeed& seed : zone_seeds) {
    ZoneDef zone;
    zone.id = seed.id;
    zone.kind = kind;
    zone.centre = rounded(LatLng{seed.lat, seed.lng});
    zone.radius_m = radius_m;
    zone.depot = rounded(destination(zone.centre, rng.between(0, 2 * kPi), rng.between(100, 400)));
    zone.depot_name = seed.depot;
    const auto zone_index = static_cast<std::uint32_t>(zones_.size());
    for (int p = 0; p < 3; ++p) {
      PickupPointDef point;
      point.id = zone.id + "-PP" + std::to_string(p + 1);
      point.name = std::string(kind == OrderKind::kErrand ? "快递驿站" : "自提点") + std::to_string(p + 1) + "号";
      point.position = rounded(destination(zone.centre, rng.between(0, 2 * kPi), rng.between(200, radius_m * 0.5)));
      zone.pickup_points.push_back(point);
    }
    for (int c = 0; c < communities_per_zone; ++c) {
      CommunityDef community;
      const std::size_t n = communities_.size();
      if (kind == OrderKind::kErrand) {
        community.name = std::string(zone_index % 2 == 0 ? "燕园" : "紫荆") + std::to_string(c + 1) + "号楼组";
      } else {
        community.name = std::string(kNamePrefixes[n % 20]) + kNameSuffixes[(n / 20) % 6];
      }
      community.zone = zone_index;
      community.centre = rounded(destination(zone.centre, rng.between(0, 2 * kPi), rng.between(150, community_spread_m)));
      community.buildings = static_cast<int>(rng.range(6, 30));
      zone.communities.push_back(static_cast<std::uint32_t>(n));
      def.communities.push_back(static_cast<std::uint32_t>(n));
      communities_.push_back(std::move(community));
    }
    if (kind == OrderKind::kMall) {
      for (int m = 0; m < 4; ++m) {
        MerchantDef merchant;
        merchant.id = std::string("M-") + kMerchants[(zone_index * 3 + static_cast<std::uint32_t>(m)) % 8] + "-" +
                      std::to_string(zone_index * 4 + static_cast<std::uint32_t>(m) + 1);
        merchant.zone = zone_index;
        merchant.position = rounded(destination(zone.centre, rng.between(0, 2 * kPi), rng.between(300, 3000)));
        zone.merchants.push_back(static_cast<std::uint32_t>(merchants_.size()));
        merchants_.push_back(std::move(merchant));
      }
    }
    zone.first_rider = static_cast<std::uint32_t>(riders_.size());
    zone.rider_count = static_cast<std::uint32_t>(riders_per_zone);
    for (std::uint64_t r = 0; r < riders_per_zone; ++r) {
      riders_.push_back(numbered((std::string("R-") + def.prefix).c_str(), riders_.size() + 1, 5));
      rider_zone_.push_back(zone_index);
    }
    def.zones.push_back(zone_index);
    zones_.push_back(std::move(zone));
  }
  def.user_count = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(orders_per_day / 3, 200, 5000000));
}

UserDef WorldModel::user(OrderKind kind, std::uint32_t index) const {
  const KindDef& def = this->kind(kind);
  const std::uint64_t h = hash_combine(seed_ ^ 0x75736572ULL, (static_cast<std::uint64_t>(kind) << 32) | index);
  UserDef user;
  user.id = numbered((std::string("U-") + def.prefix).c_str(), index + 1, 7);
  user.vip = h % 10 == 0;
  const std::uint64_t pref = (h >> 8) % 10;
  user.pref = pref < 4 ? SubstitutionPref::kSubstitute : pref < 8 ? SubstitutionPref::kContact : SubstitutionPref::kRefund;
  user.community = def.communities[(h >> 16) % def.communities.size()];
  return user;
}

void WorldModel::plan_price_changes(TimeMs day_start, std::uint64_t day, std::vector<PriceChange>& out) {
  Rng rng(derive_seed(seed_, 0x9111ce00 + day));
  // Prices move between 06:00 and 22:00 local time: an order planned a few minutes before its
  // creation never straddles a day whose changes are not planned yet.
  const std::size_t count = 1 + skus_.size() / 6;
  std::vector<PriceChange> today;
  for (std::size_t i = 0; i < count; ++i) {
    const auto sku = static_cast<std::uint32_t>(rng.index(skus_.size()));
    if (skus_[sku].category == "service") continue;
    PriceChange change;
    change.sku = sku;
    change.at = day_start + 6 * kHourMs + rng.range(0, 16 * kHourMs - 1) / kSecondMs * kSecondMs;
    const std::int64_t base = skus_[sku].base_price;
    change.price = std::max<std::int64_t>(100, static_cast<std::int64_t>(static_cast<double>(base) * rng.between(0.8, 1.2)) / 10 * 10);
    if (skus_[sku].kind == OrderKind::kMall) change.price = std::min<std::int64_t>(change.price, 19900);
    if (skus_[sku].kind == OrderKind::kErrand) change.price = std::min<std::int64_t>(change.price, 2000);
    today.push_back(change);
  }
  std::stable_sort(today.begin(), today.end(), [](const PriceChange& a, const PriceChange& b) { return a.at < b.at; });
  for (const PriceChange& change : today) {
    auto& history = prices_[change.sku];
    if (!history.empty() && history.back().first >= change.at) continue;  // one change per sku per instant
    history.emplace_back(change.at, change.price);
    out.push_back(change);
  }
}

std::int64_t WorldModel::price_at(std::uint32_t sku, TimeMs t) const {
  const auto& history = prices_[sku];
  std::int64_t price = skus_[sku].base_price;
  for (const auto& [at, value] : history) {
    if (at > t) break;
    price = value;
  }
  return price;
}

std::int64_t WorldModel::previous_price_at(std::uint32_t sku, TimeMs t) const {
  const auto& history = prices_[sku];
  std::int64_t previous = kAbsent;
  std::int64_t price = skus_[sku].base_price;
  for (const auto& [at, value] : history) {
    if (at > t) break;
    previous = price;
    price = value;
  }
  return previous;
}

}  // namespace og::sim
