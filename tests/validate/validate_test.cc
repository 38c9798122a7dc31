// Pre-submit validation (src/validate): every finding with a case that passes and one that
// fails at its threshold, a clean draft, drafts that do not parse, the answer's JSON, the
// engine's read-only views, and agreement with detection (a draft's blocking findings are
// the incidents the engine raises when the same draft is placed at the check time).
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "core/geo.h"
#include "engine/engine.h"
#include "events/parser.h"
#include "rules/config.h"
#include "validate/validate.h"

namespace og {
namespace {

TimeMs at(const std::string& text) {
  auto parsed = parse_rfc3339_ms(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? *parsed : 0;
}

// Check time of most tests, and the zone every draft is delivered in.
const std::string kNow = "2026-11-21T12:00:00+08:00";
constexpr double kLat = 40.0;
constexpr double kLng = 116.3;

std::string fmt_double(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

class World {
 public:
  explicit World(RulesConfig config = RulesConfig{}) : engine_(std::move(config)), parser_(engine_.interner()) {
    send(R"({"id":"m1","type":"catalog.item","ts":"2026-11-21T08:00:00+08:00","sku":"tomato","name":"西红柿","category":"vegetable","price":590})");
    send(R"({"id":"m2","type":"catalog.item","ts":"2026-11-21T08:00:00+08:00","sku":"milk","category":"dairy","price":1200})");
    send(R"({"id":"m3","type":"stock.level","ts":"2026-11-21T08:00:00+08:00","sku":"tomato","available":5})");
    send(R"({"id":"m4","type":"stock.level","ts":"2026-11-21T08:00:00+08:00","sku":"milk","available":2})");
    send(R"({"id":"m5","type":"zone.config","ts":"2026-11-21T08:00:00+08:00","zone":"Z1","lat":40.0,"lng":116.3,"radius_m":3000})");
  }

  World& send(const std::string& line) {
    Event event;
    auto ok = parser_.parse(line, event);
    EXPECT_TRUE(ok) << (ok ? "" : ok.error()) << "\n" << line;
    if (ok) engine_.ingest(event);
    return *this;
  }

  // An order of `user` created at `ts` with `items` (JSON array text), unpaid.
  World& order(const std::string& id, const std::string& user, const std::string& ts, const std::string& items = R"([{"sku":"tomato","qty":2,"unit_price":590}])",
               std::int64_t amount = 1180) {
    return send(R"({"id":"c-)" + id + R"(","type":"order.created","ts":")" + ts + R"(","order_id":")" + id + R"(","user_id":")" + user +
                R"(","zone":"Z1","address":{"text":"清河小区3号楼","building":"3","room":"501","lat":40.0,"lng":116.3},"items":)" + items +
                R"(,"amount":)" + std::to_string(amount) + "}");
  }
  World& paid(const std::string& id, const std::string& ts, std::int64_t amount = 1180) {
    return send(R"({"id":"p-)" + id + R"(","type":"payment.succeeded","ts":")" + ts + R"(","order_id":")" + id +
                R"(","amount":)" + std::to_string(amount) + R"(,"txn_id":"T-)" + id + R"("})");
  }
  World& cancelled(const std::string& id, const std::string& ts, const std::string& by = "user") {
    return send(R"({"id":"x-)" + id + R"(","type":"order.cancelled","ts":")" + ts + R"(","order_id":")" + id + R"(","by":")" + by + R"("})");
  }

  // Applies everything buffered (the check then sees what the engine knows at `until`).
  World& settle(const std::string& until = kNow) {
    engine_.finish(at(until));
    return *this;
  }

  Validation check(const std::string& draft_json, const std::string& now = kNow) {
    auto draft = parse_draft(draft_json);
    EXPECT_TRUE(draft) << (draft ? "" : draft.error()) << "\n" << draft_json;
    if (!draft) return {};
    return validate_draft(engine_, *draft, at(now));
  }

  Engine& engine() { return engine_; }

 private:
  Engine engine_;
  EventParser parser_;
};

// A clean draft, with pieces that tests replace.
struct Draft {
  std::string user = "U1";
  std::string kind = "grocery";
  std::string zone = "Z1";
  std::string address = R"({"text":"清河小区3号楼2单元501","building":"3","unit":"2","room":"501","lat":40.0,"lng":116.3})";
  std::string items = R"([{"sku":"tomato","name":"西红柿","qty":2,"unit_price":590,"category":"vegetable"},{"sku":"milk","qty":1,"unit_price":1200}])";
  std::int64_t amount = 2380;
  std::string coupon;  // JSON object text, or empty

  std::string json() const {
    std::string out = R"({"user_id":")" + user + R"(","kind":")" + kind + R"(","zone":")" + zone + R"(","community":"清河小区")";
    if (!address.empty()) out += R"(,"address":)" + address;
    out += R"(,"items":)" + items + R"(,"amount":)" + std::to_string(amount);
    if (!coupon.empty()) out += R"(,"coupon":)" + coupon;
    out += R"(,"payment_method":"online","promise_at":"2026-11-21T12:45:00+08:00"})";
    return out;
  }
};

std::vector<std::string> codes(const Validation& v) {
  std::vector<std::string> out;
  for (const Finding& f : v.findings) out.push_back(f.code);
  return out;
}

const NotChecked* find_skip(const Validation& v, std::string_view code) {
  for (const NotChecked& n : v.not_checked) {
    if (n.code == code) return &n;
  }
  return nullptr;
}

using Codes = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// A clean draft

TEST(ValidateClean, ACleanDraftHasNoFindingsAndNothingUnchecked) {
  World world;
  world.settle();
  const Validation v = world.check(Draft{}.json());
  EXPECT_TRUE(v.findings.empty()) << validation_json(v);
  EXPECT_TRUE(v.not_checked.empty()) << validation_json(v);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.checked_at, at(kNow));
  EXPECT_EQ(validation_json(v), R"({"ok":true,"checked_at":"2026-11-21T04:00:00.000Z","blocking":0,"warnings":0,"findings":[],"not_checked":[]})");
}

TEST(ValidateClean, NoItemsIsABlock) {
  World world;
  world.settle();
  Draft draft;
  draft.items = "[]";
  draft.amount = 0;
  const Validation v = world.check(draft.json());
  EXPECT_EQ(codes(v), Codes{"no_items"});
  EXPECT_EQ(v.findings[0].field, "items");
  EXPECT_FALSE(v.ok());
}

// ---------------------------------------------------------------------------------------------
// address_incomplete (ADDRESS_INCOMPLETE)

// As ADDRESS_INCOMPLETE, which does not fire without an address (decisions #14): not checked.
TEST(ValidateAddress, NoAddressAtAll) {
  World world;
  world.settle();
  Draft draft;
  draft.address.clear();
  const Validation v = world.check(draft.json());
  EXPECT_TRUE(v.findings.empty()) << validation_json(v);
  const NotChecked* address = find_skip(v, "address_incomplete");
  ASSERT_NE(address, nullptr) << validation_json(v);
  EXPECT_EQ(address->field, "address");
  // Without a position the area cannot be judged.
  ASSERT_NE(find_skip(v, "out_of_area"), nullptr);
}

TEST(ValidateAddress, EachMissingPartIsNamed) {
  World world;
  world.settle();
  Draft draft;
  draft.address = R"({"text":"","lat":40.0})";
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), (Codes{"address_incomplete", "address_incomplete", "address_incomplete"})) << validation_json(v);
  EXPECT_EQ(v.findings[0].field, "address.text");
  EXPECT_EQ(v.findings[1].field, "address");  // lat without lng
  EXPECT_NE(v.findings[1].message.find("address.lng"), std::string::npos);
  EXPECT_EQ(v.findings[2].field, "address.building");
}

TEST(ValidateAddress, BuildingOrRoomEitherIsEnough) {
  World world;
  world.settle();
  Draft draft;
  draft.address = R"({"text":"清河小区","building":"3","lat":40.0,"lng":116.3})";
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.address = R"({"text":"清河小区","room":"501","lat":40.0,"lng":116.3})";
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.address = R"({"text":"清河小区","unit":"2","lat":40.0,"lng":116.3})";
  EXPECT_EQ(codes(world.check(draft.json())), Codes{"address_incomplete"});
}

// ---------------------------------------------------------------------------------------------
// out_of_area (OUT_OF_DELIVERY_AREA)

TEST(ValidateArea, ExactlyAtTheRadiusIsInsideAndJustBeyondIsOut) {
  World world;
  const LatLng address{kLat + 0.03, kLng};
  const double distance = great_circle_m(address, LatLng{kLat, kLng});
  world.send(R"({"id":"z-edge","type":"zone.config","ts":"2026-11-21T08:00:00+08:00","zone":"Z-edge","lat":40.0,"lng":116.3,"radius_m":)" +
             fmt_double(distance) + "}");
  world.send(R"({"id":"z-short","type":"zone.config","ts":"2026-11-21T08:00:00+08:00","zone":"Z-short","lat":40.0,"lng":116.3,"radius_m":)" +
             fmt_double(distance - 0.5) + "}");
  world.settle();
  Draft draft;
  draft.address = R"({"text":"x","building":"3","lat":)" + fmt_double(address.lat) + R"(,"lng":116.3})";
  draft.zone = "Z-edge";
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.zone = "Z-short";
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"out_of_area"});
  EXPECT_EQ(v.findings[0].field, "address");
  EXPECT_EQ(v.findings[0].incident, "OUT_OF_DELIVERY_AREA");
  EXPECT_EQ(v.findings[0].actual, std::llround(distance));
  EXPECT_EQ(v.findings[0].expected, std::llround(distance - 0.5));
}

TEST(ValidateArea, UnknownZoneOrNoZoneIsNotChecked) {
  World world;
  world.send(R"({"id":"z-nr","type":"zone.config","ts":"2026-11-21T08:00:00+08:00","zone":"Z-no-radius","lat":40.0,"lng":116.3})");
  world.settle();
  Draft draft;
  for (const std::string zone : {"Z-unknown", "", "Z-no-radius"}) {
    draft.zone = zone;
    const Validation v = world.check(draft.json());
    EXPECT_TRUE(v.findings.empty()) << zone;
    const NotChecked* skipped = find_skip(v, "out_of_area");
    ASSERT_NE(skipped, nullptr) << zone;
    EXPECT_EQ(skipped->field, "zone");
  }
}

// ---------------------------------------------------------------------------------------------
// out_of_stock

TEST(ValidateStock, AllOfTheStockPassesOneMoreFails) {
  World world;
  world.settle();
  Draft draft;
  draft.items = R"([{"sku":"tomato","qty":5,"unit_price":590}])";
  draft.amount = 2950;
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.items = R"([{"sku":"tomato","qty":6,"unit_price":590}])";
  draft.amount = 3540;
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"out_of_stock"});
  EXPECT_EQ(v.findings[0].field, "items[0].qty");
  EXPECT_EQ(v.findings[0].expected, 5);
  EXPECT_EQ(v.findings[0].actual, 6);
}

TEST(ValidateStock, LinesOfOneSkuAddUpAndAreReportedOnce) {
  World world;
  world.settle();
  Draft draft;
  draft.items = R"([{"sku":"milk","qty":1,"unit_price":1200},{"sku":"tomato","qty":3,"unit_price":590},{"sku":"tomato","qty":3,"unit_price":590}])";
  draft.amount = 1200 + 6 * 590;
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"out_of_stock"});
  EXPECT_EQ(v.findings[0].field, "items[1].qty");
  EXPECT_EQ(v.findings[0].actual, 6);
  EXPECT_NE(v.findings[0].message.find("over 2 lines"), std::string::npos) << v.findings[0].message;
}

TEST(ValidateStock, TheLatestLevelCountsAndASkuWithoutOneIsNotChecked) {
  World world;
  world.send(R"({"id":"m9","type":"stock.level","ts":"2026-11-21T11:00:00+08:00","sku":"milk","available":0})");
  world.send(R"({"id":"m10","type":"catalog.item","ts":"2026-11-21T08:00:00+08:00","sku":"bread","price":800})");
  world.settle();
  Draft draft;
  draft.items = R"([{"sku":"milk","qty":1,"unit_price":1200},{"sku":"bread","qty":1,"unit_price":800}])";
  draft.amount = 2000;
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"out_of_stock"});
  EXPECT_EQ(v.findings[0].expected, 0);
  const NotChecked* skipped = find_skip(v, "out_of_stock");
  ASSERT_NE(skipped, nullptr);
  EXPECT_EQ(skipped->field, "items[1].sku");
}

// A line without a sku (an errand's "buy me a coffee", decisions #14) has no stock and no
// catalog price to check: both are said not checked, and the draft's other lines still are.
TEST(ValidateStock, ALineWithoutASkuIsNotCheckedAndTheOthersAre) {
  World world;
  world.send(R"({"id":"m9","type":"stock.level","ts":"2026-11-21T11:00:00+08:00","sku":"milk","available":0})");
  world.settle();
  Draft draft;
  draft.items = R"([{"name":"咖啡","qty":1,"unit_price":1500},{"sku":"milk","qty":1,"unit_price":1200}])";
  draft.amount = 2700;
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"out_of_stock"}) << validation_json(v);
  EXPECT_EQ(v.findings[0].field, "items[1].qty");
  const NotChecked* stock = find_skip(v, "out_of_stock");
  ASSERT_NE(stock, nullptr);
  EXPECT_EQ(stock->field, "items[0].sku");
  EXPECT_EQ(stock->reason, "the line has no sku");
  const NotChecked* price = find_skip(v, "price_mismatch");
  ASSERT_NE(price, nullptr);
  EXPECT_EQ(price->field, "items[0].sku");
}

// ---------------------------------------------------------------------------------------------
// price_mismatch (PRICE_MISMATCH: no tolerance)

TEST(ValidatePrice, OneFenOffIsAMismatchOnEachLine) {
  World world;
  world.settle();
  Draft draft;
  draft.items = R"([{"sku":"tomato","qty":1,"unit_price":591},{"sku":"milk","qty":1,"unit_price":1199}])";
  draft.amount = 1790;
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), (Codes{"price_mismatch", "price_mismatch"}));
  EXPECT_EQ(v.findings[0].field, "items[0].unit_price");
  EXPECT_EQ(v.findings[0].expected, 590);
  EXPECT_EQ(v.findings[0].actual, 591);
  EXPECT_EQ(v.findings[0].incident, "PRICE_MISMATCH");
  EXPECT_NE(v.findings[0].message.find("¥5.91"), std::string::npos) << v.findings[0].message;
  EXPECT_EQ(v.findings[1].field, "items[1].unit_price");
}

TEST(ValidatePrice, TheLatestCatalogPriceCounts) {
  World world;
  world.send(R"({"id":"m11","type":"catalog.item","ts":"2026-11-21T11:00:00+08:00","sku":"tomato","price":650})");
  world.settle();
  Draft draft;
  draft.items = R"([{"sku":"tomato","qty":1,"unit_price":650}])";
  draft.amount = 650;
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.items = R"([{"sku":"tomato","qty":1,"unit_price":590}])";
  draft.amount = 590;
  EXPECT_EQ(codes(world.check(draft.json())), Codes{"price_mismatch"});
}

TEST(ValidatePrice, NoCatalogOrNoUnitPriceIsNotChecked) {
  World world;
  world.send(R"({"id":"s1","type":"stock.level","ts":"2026-11-21T08:00:00+08:00","sku":"pear","available":9})");
  world.settle();
  Draft draft;
  draft.items = R"([{"sku":"pear","qty":1,"unit_price":300},{"sku":"tomato","qty":1}])";
  draft.amount = 890;
  const Validation v = world.check(draft.json());
  EXPECT_TRUE(v.findings.empty()) << validation_json(v);
  ASSERT_EQ(v.not_checked.size(), 3u) << validation_json(v);  // pear's price, tomato's price, the amount
  EXPECT_EQ(v.not_checked[0].field, "items[0].unit_price");
  EXPECT_EQ(v.not_checked[1].field, "items[1].unit_price");
  EXPECT_EQ(v.not_checked[2].code, "amount_mismatch");
}

// ---------------------------------------------------------------------------------------------
// coupon_expired, coupon_min_spend (COUPON_INVALID), coupon_exceeds_subtotal

TEST(ValidateCoupon, ExpiringAtTheCheckTimeIsStillValid) {
  World world;
  world.settle();
  Draft draft;
  draft.amount = 2280;
  draft.coupon = R"({"code":"CP1","discount":100,"min_spend":2000,"expires_at":"2026-11-21T12:00:00+08:00"})";
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.coupon = R"({"code":"CP1","discount":100,"min_spend":2000,"expires_at":"2026-11-21T11:59:59.999+08:00"})";
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"coupon_expired"});
  EXPECT_EQ(v.findings[0].field, "coupon.expires_at");
  EXPECT_EQ(v.findings[0].incident, "COUPON_INVALID");
  EXPECT_NE(v.findings[0].message.find("'CP1' expired at 2026-11-21T03:59:59.999Z"), std::string::npos) << v.findings[0].message;
}

TEST(ValidateCoupon, MinSpendEqualToTheSubtotalIsMet) {
  World world;
  world.settle();
  Draft draft;
  draft.amount = 2280;
  draft.coupon = R"({"code":"CP2","discount":100,"min_spend":2380})";
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.coupon = R"({"code":"CP2","discount":100,"min_spend":2381})";
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"coupon_min_spend"});
  EXPECT_EQ(v.findings[0].field, "coupon.min_spend");
  EXPECT_EQ(v.findings[0].expected, 2381);
  EXPECT_EQ(v.findings[0].actual, 2380);
}

// As COUPON_INVALID: without items, or with a line that has no unit_price, the subtotal is
// unknown and min_spend is not checked (said in not_checked, not blocked).
TEST(ValidateCoupon, MinSpendIsNotCheckedAgainstAnUnknownSubtotal) {
  World world;
  world.settle();
  Draft draft;
  draft.items = R"([{"sku":"tomato","qty":2,"unit_price":590},{"sku":"milk","qty":1}])";
  draft.coupon = R"({"code":"CP2","discount":100,"min_spend":100000})";
  const Validation v = world.check(draft.json());
  const std::vector<std::string> found = codes(v);
  EXPECT_EQ(std::count(found.begin(), found.end(), "coupon_min_spend"), 0) << validation_json(v);
  const NotChecked* skipped = find_skip(v, "coupon_min_spend");
  ASSERT_NE(skipped, nullptr) << validation_json(v);
  EXPECT_EQ(skipped->field, "coupon.min_spend");
  EXPECT_NE(skipped->reason.find("no unit_price"), std::string::npos) << skipped->reason;
}

TEST(ValidateCoupon, ADiscountUpToTheSubtotalIsAllowed) {
  World world;
  world.settle();
  Draft draft;
  draft.amount = 0;
  draft.coupon = R"({"code":"CP3","discount":2380})";
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.coupon = R"({"code":"CP3","discount":2381})";
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"coupon_exceeds_subtotal"});
  EXPECT_EQ(v.findings[0].field, "coupon.discount");
  EXPECT_EQ(v.findings[0].expected, 2380);
  EXPECT_EQ(v.findings[0].actual, 2381);
  EXPECT_TRUE(v.findings[0].incident.empty());
}

// ---------------------------------------------------------------------------------------------
// amount_mismatch

TEST(ValidateAmount, LessThanItemsMinusCouponBlocksMoreWarns) {
  World world;
  world.settle();
  Draft draft;
  draft.coupon = R"({"code":"CP4","discount":380})";
  draft.amount = 2000;
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.amount = 1999;
  Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"amount_mismatch"});
  EXPECT_EQ(v.findings[0].severity, FindingSeverity::kBlock);
  EXPECT_EQ(v.findings[0].expected, 2000);
  EXPECT_EQ(v.findings[0].actual, 1999);
  draft.amount = 2001;
  v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"amount_mismatch"});
  EXPECT_EQ(v.findings[0].severity, FindingSeverity::kWarn);
  EXPECT_TRUE(v.ok());
}

TEST(ValidateAmount, AnErrandMayChargeAFeeOnTop) {
  World world;
  world.settle();
  Draft draft;
  draft.kind = "errand";
  draft.amount = 2380 + 300;
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
  draft.amount = 2379;
  EXPECT_EQ(codes(world.check(draft.json())), Codes{"amount_mismatch"});
}

// ---------------------------------------------------------------------------------------------
// frequent_canceller (FREQUENT_CANCELLATION)

World& three_cancellations(World& world, const std::string& user, const std::string& by = "user", const std::string& prefix = "") {
  world.order(prefix + "K1", user, "2026-11-20T13:00:00+08:00").cancelled(prefix + "K1", "2026-11-20T13:00:00+08:00", by);
  world.order(prefix + "K2", user, "2026-11-21T09:00:00+08:00").cancelled(prefix + "K2", "2026-11-21T09:01:00+08:00", by);
  world.order(prefix + "K3", user, "2026-11-21T10:00:00+08:00").cancelled(prefix + "K3", "2026-11-21T10:01:00+08:00", by);
  return world;
}

TEST(ValidateCustomer, ThreeCancellationsWithin24hWarn) {
  World world;
  three_cancellations(world, "U1").settle();
  // The first cancellation is 23 h before the check time: in the window.
  const Validation v = world.check(Draft{}.json());
  ASSERT_EQ(codes(v), Codes{"frequent_canceller"}) << validation_json(v);
  EXPECT_EQ(v.findings[0].severity, FindingSeverity::kWarn);
  EXPECT_EQ(v.findings[0].field, "user_id");
  EXPECT_EQ(v.findings[0].incident, "FREQUENT_CANCELLATION");
  EXPECT_EQ(v.findings[0].expected, 3);
  EXPECT_EQ(v.findings[0].actual, 3);
  EXPECT_EQ(v.findings[0].orders, (std::vector<std::string>{"K1", "K2", "K3"}));
}

TEST(ValidateCustomer, ACancellationExactly24hBeforeIsOutOfTheWindow) {
  World world;
  three_cancellations(world, "U1").settle("2026-11-21T13:00:00+08:00");
  // (now - 24h, now]: K1's cancellation at 13:00 the day before no longer counts.
  EXPECT_TRUE(world.check(Draft{}.json(), "2026-11-21T13:00:00+08:00").findings.empty());
  EXPECT_EQ(codes(world.check(Draft{}.json(), "2026-11-21T12:59:59.999+08:00")), Codes{"frequent_canceller"});
}

TEST(ValidateCustomer, TwoCancellationsOrCancellationsByOthersDoNotCount) {
  World world;
  world.order("K1", "U1", "2026-11-21T09:00:00+08:00").cancelled("K1", "2026-11-21T09:01:00+08:00");
  world.order("K2", "U1", "2026-11-21T10:00:00+08:00").cancelled("K2", "2026-11-21T10:01:00+08:00");
  three_cancellations(world, "U2", "merchant", "U2-");
  world.settle();
  EXPECT_TRUE(world.check(Draft{}.json()).findings.empty());
  Draft other;
  other.user = "U2";
  EXPECT_TRUE(world.check(other.json()).findings.empty());
}

// ---------------------------------------------------------------------------------------------
// duplicate_unpaid (DUPLICATE_UNPAID_ORDERS)

constexpr const char* kDraftItems = R"([{"sku":"tomato","qty":2,"unit_price":590},{"sku":"milk","qty":1,"unit_price":1200}])";
// The same quantity per SKU, written differently.
constexpr const char* kSameItems = R"([{"sku":"milk","qty":1,"unit_price":1200},{"sku":"tomato","qty":1,"unit_price":590},{"sku":"tomato","qty":1,"unit_price":590}])";

TEST(ValidateCustomer, OneUnpaidTwinWarnsTwoBlock) {
  World world;
  world.order("D1", "U1", "2026-11-21T11:52:00+08:00", kSameItems, 2380).settle();
  Validation v = world.check(Draft{}.json());
  ASSERT_EQ(codes(v), Codes{"duplicate_unpaid"}) << validation_json(v);
  EXPECT_EQ(v.findings[0].severity, FindingSeverity::kWarn);
  EXPECT_EQ(v.findings[0].orders, std::vector<std::string>{"D1"});
  EXPECT_EQ(v.findings[0].incident, "DUPLICATE_UNPAID_ORDERS");

  World twice;
  twice.order("D1", "U1", "2026-11-21T11:52:00+08:00", kSameItems, 2380);
  twice.order("D2", "U1", "2026-11-21T11:55:00+08:00", kDraftItems, 2380).settle();
  v = twice.check(Draft{}.json());
  ASSERT_EQ(codes(v), Codes{"duplicate_unpaid"});
  EXPECT_EQ(v.findings[0].severity, FindingSeverity::kBlock);
  EXPECT_EQ(v.findings[0].expected, 2);
  EXPECT_EQ(v.findings[0].actual, 2);
  EXPECT_EQ(v.findings[0].orders, (std::vector<std::string>{"D1", "D2"}));
}

TEST(ValidateCustomer, TwinsThatArePaidCancelledOlderOrDifferentDoNotCount) {
  World world;
  world.order("D1", "U1", "2026-11-21T11:50:00+08:00", kDraftItems, 2380);  // exactly 10 min before: out of (now - 10m, now]
  world.order("D2", "U1", "2026-11-21T11:55:00+08:00", kDraftItems, 2380).paid("D2", "2026-11-21T11:56:00+08:00", 2380);
  world.order("D3", "U1", "2026-11-21T11:56:00+08:00", kDraftItems, 2380).cancelled("D3", "2026-11-21T11:57:00+08:00");
  world.order("D4", "U1", "2026-11-21T11:58:00+08:00", R"([{"sku":"tomato","qty":3,"unit_price":590},{"sku":"milk","qty":1,"unit_price":1200}])", 2970);
  world.order("D5", "U9", "2026-11-21T11:58:00+08:00", kDraftItems, 2380);  // another user
  world.settle();
  const Validation v = world.check(Draft{}.json());
  EXPECT_TRUE(v.findings.empty()) << validation_json(v);
  // One millisecond earlier D1 is inside the window.
  EXPECT_EQ(codes(world.check(Draft{}.json(), "2026-11-21T11:59:59.999+08:00")), Codes{"duplicate_unpaid"});
}

// Orders that list no items have no multiset to compare, in the engine as here: a draft
// without items is blocked for that (no_items), not as the twin of the user's item-less orders.
TEST(ValidateCustomer, ADraftWithoutItemsIsNoTwinOfOrdersWithoutItems) {
  World world;
  world.order("D1", "U1", "2026-11-21T11:55:00+08:00", "[]", 500);
  world.order("D2", "U1", "2026-11-21T11:56:00+08:00", "[]", 800).settle();
  Draft draft;
  draft.items = "[]";
  draft.amount = 0;
  const Validation v = world.check(draft.json());
  EXPECT_EQ(codes(v), Codes{"no_items"}) << validation_json(v);
  const NotChecked* skipped = find_skip(v, "duplicate_unpaid");
  ASSERT_NE(skipped, nullptr) << validation_json(v);
  EXPECT_EQ(skipped->reason, "the draft has no items: there is nothing to compare");
}

TEST(ValidateCustomer, ADraftOfAnOrderAlreadyPlacedIsNotItsOwnTwin) {
  World world;
  world.order("D1", "U1", "2026-11-21T11:55:00+08:00", kDraftItems, 2380).settle();
  std::string json = Draft{}.json();
  json.insert(1, R"("order_id":"D1",)");
  EXPECT_TRUE(world.check(json).findings.empty());
}

// ---------------------------------------------------------------------------------------------
// amount_anomaly (AMOUNT_ANOMALY)

World& five_orders(World& world, const std::string& user) {
  for (int i = 0; i < 5; ++i) {
    const std::string id = "H" + std::to_string(i);
    world.order(id, user, "2026-11-20T1" + std::to_string(i) + ":00:00+08:00", R"([{"sku":"tomato","qty":1,"unit_price":1000}])", 1000);
  }
  return world;
}

TEST(ValidateCustomer, FiveTimesTheMedianAndTwentyThousandAboveWarns) {
  World world;
  five_orders(world, "U1").settle();
  // Median 1000: the limit is max(5 x 1000, 1000 + 20000) = 21000.
  Draft draft;
  draft.items = R"([{"sku":"milk","qty":1,"unit_price":21000}])";
  draft.amount = 21000;
  world.send(R"({"id":"m12","type":"catalog.item","ts":"2026-11-21T09:00:00+08:00","sku":"milk","price":21000})").settle();
  const Validation v = world.check(draft.json());
  ASSERT_EQ(codes(v), Codes{"amount_anomaly"}) << validation_json(v);
  EXPECT_EQ(v.findings[0].severity, FindingSeverity::kWarn);
  EXPECT_EQ(v.findings[0].expected, 1000);
  EXPECT_EQ(v.findings[0].actual, 21000);
  draft.items = R"([{"sku":"milk","qty":1,"unit_price":21000},{"sku":"tomato","qty":1,"unit_price":590}])";
  draft.amount = 20999;  // with a coupon of 591 (the amount is what counts)
  draft.coupon = R"({"discount":591})";
  EXPECT_TRUE(world.check(draft.json()).findings.empty()) << validation_json(world.check(draft.json()));
}

TEST(ValidateCustomer, WhereTheMultipleBindsOneFenBelowItIsNoAnomaly) {
  World world;
  for (int i = 0; i < 6; ++i) {  // an even count: the median is the mean of the middle two
    world.order("H" + std::to_string(i), "U1", "2026-11-20T1" + std::to_string(i) + ":00:00+08:00",
                R"([{"sku":"tomato","qty":1,"unit_price":1000}])", i < 3 ? 9000 : 11000);
  }
  world.send(R"({"id":"m12","type":"catalog.item","ts":"2026-11-21T09:00:00+08:00","sku":"milk","price":50000})").settle();
  // Median 10000: the limit is max(5 x 10000, 10000 + 20000) = 50000.
  Draft draft;
  draft.items = R"([{"sku":"milk","qty":1,"unit_price":50000}])";
  draft.amount = 50000;
  EXPECT_EQ(codes(world.check(draft.json())), Codes{"amount_anomaly"});
  draft.coupon = R"({"discount":1})";
  draft.amount = 49999;
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
}

TEST(ValidateCustomer, FewerThanFiveEarlierOrdersIsNoAnomaly) {
  World world;
  for (int i = 0; i < 4; ++i) {
    world.order("H" + std::to_string(i), "U1", "2026-11-20T1" + std::to_string(i) + ":00:00+08:00", R"([{"sku":"tomato","qty":1,"unit_price":1000}])", 1000);
  }
  world.send(R"({"id":"m12","type":"catalog.item","ts":"2026-11-21T09:00:00+08:00","sku":"milk","price":100000})").settle();
  Draft draft;
  draft.items = R"([{"sku":"milk","qty":1,"unit_price":100000}])";
  draft.amount = 100000;
  EXPECT_TRUE(world.check(draft.json()).findings.empty());
}

// ---------------------------------------------------------------------------------------------
// The configuration: parameters and switches

TEST(ValidateConfig, ParametersComeFromTheEngineConfiguration) {
  RulesConfig config;
  config.frequent_cancellation_count = 4;
  config.duplicate_unpaid_others = 1;
  World world(config);
  three_cancellations(world, "U1");
  world.order("D1", "U1", "2026-11-21T11:55:00+08:00", kDraftItems, 2380).settle();
  const Validation v = world.check(Draft{}.json());
  ASSERT_EQ(codes(v), Codes{"duplicate_unpaid"}) << validation_json(v);
  EXPECT_EQ(v.findings[0].severity, FindingSeverity::kBlock);  // one twin is the limit now
}

TEST(ValidateConfig, ASwitchedOffTypeIsNotChecked) {
  RulesConfig config;
  config.types[static_cast<std::size_t>(IncidentType::kPriceMismatch)].enabled = false;
  config.types[static_cast<std::size_t>(IncidentType::kAddressIncomplete)].enabled = false;
  World world(config);
  world.settle();
  Draft draft;
  draft.address = R"({"text":""})";
  draft.items = R"([{"sku":"tomato","qty":1,"unit_price":1}])";
  draft.amount = 1;
  const Validation v = world.check(draft.json());
  EXPECT_TRUE(v.findings.empty()) << validation_json(v);
  ASSERT_NE(find_skip(v, "price_mismatch"), nullptr);
  EXPECT_EQ(find_skip(v, "price_mismatch")->reason, "PRICE_MISMATCH is switched off in the rules configuration");
  ASSERT_NE(find_skip(v, "address_incomplete"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Drafts that do not parse: a clear error, never a crash

std::string parse_error(std::string_view json) {
  auto draft = parse_draft(json);
  return draft ? std::string("(parsed)") : draft.error();
}

TEST(ValidateDraft, MalformedDraftsSayWhatIsWrong) {
  EXPECT_EQ(parse_error(""), "json: empty: a draft is one JSON object (an order.created payload)");
  EXPECT_EQ(parse_error("  \n"), "json: empty: a draft is one JSON object (an order.created payload)");
  EXPECT_EQ(parse_error("[1,2]"), "json: not a JSON object: a draft is one JSON object (an order.created payload)");
  EXPECT_EQ(parse_error("{"), "json: not a JSON object: a draft is one JSON object (an order.created payload)");
  EXPECT_EQ(parse_error("not json"), "json: not a JSON object: a draft is one JSON object (an order.created payload)");
  EXPECT_EQ(parse_error("{}"), "user_id: missing (required for a draft order)");
  EXPECT_EQ(parse_error(R"({"user_id":"U1"})"), "amount: missing (required for a draft order)");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":-5})"), "amount: must not be negative");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5,"items":[{"sku":"a","qty":0}]})"), "items[0].qty: must be at least 1");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5,"kind":"boat"})"), "kind: unknown value 'boat' (one of grocery, errand, mall)");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5,"coupon":{"discount":"ten"}})"),
            "coupon.discount: must be an integer amount in minor units (分)");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5,"address":{"lat":91,"lng":0}})").substr(0, 26), "address.lat: out of range ");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5,"promise_at":"tomorrow"})").substr(0, 12), "promise_at: ");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5,} )").substr(0, 19), "json: invalid JSON:");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5}})").substr(0, 19), "json: invalid JSON:");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5,"x":tru})").substr(0, 19), "json: invalid JSON ");
  EXPECT_EQ(parse_error("{\"user_id\":\"U\xff\",\"amount\":5}"), "draft: not valid UTF-8");
  EXPECT_EQ(parse_error(R"({"user_id":"U1","amount":5,"order_id":7})"), "order_id: must be a string");
  EXPECT_EQ(parse_error("{\"user_id\":\"U1\",\"amount\":5,\"x\":\"" + std::string(kMaxDraftBytes, 'a') + "\"}").substr(0, 29),
            "draft: longer than 1 MiB (104");
}

TEST(ValidateDraft, TheEnvelopeIsOptionalAndADraftIsAlwaysAnOrderCreated) {
  auto bare = parse_draft(Draft{}.json());
  ASSERT_TRUE(bare) << bare.error();
  EXPECT_EQ(bare->order_id, "");
  EXPECT_EQ(bare->user_id, "U1");
  EXPECT_EQ(bare->zone, "Z1");
  EXPECT_EQ(bare->community, "清河小区");
  ASSERT_EQ(bare->items.size(), 2u);
  EXPECT_EQ(bare->items[0].sku, "tomato");
  EXPECT_EQ(bare->items[0].qty, 2);
  EXPECT_EQ(bare->items[0].unit_price, 590);
  EXPECT_EQ(bare->amount, 2380);
  EXPECT_TRUE(bare->address.has_text && bare->address.has_building && bare->address.has_room && bare->address.has_position);
  EXPECT_EQ(bare->promise_at, at("2026-11-21T12:45:00+08:00"));

  // A whole event works too: its order_id is kept; its id, type and ts (valid, as in any
  // event) are replaced.
  auto event = parse_draft("\xEF\xBB\xBF "
                           R"({"id":"e1","type":"payment.succeeded","ts":"2020-01-01T00:00:00Z","order_id":"O1","user_id":"U7","amount":0,)"
                           R"("kind":"errand","payment_method":"cod","coupon":{"code":"C","discount":100,"expires_at":1763690400000}})"
                           "\r\n");
  ASSERT_TRUE(event) << event.error();
  EXPECT_EQ(event->order_id, "O1");
  EXPECT_EQ(event->kind, OrderKind::kErrand);
  EXPECT_EQ(event->payment_method, PaymentMethod::kCod);
  EXPECT_TRUE(event->coupon.present);
  EXPECT_EQ(event->coupon.code, "C");
  EXPECT_EQ(event->coupon.discount, 100);
  EXPECT_EQ(event->coupon.expires_at, 1763690400000);
  EXPECT_FALSE(event->address.present);
}

TEST(ValidateDraft, ReadingADraftDoesNotTouchTheEngine) {
  World world;
  world.settle();
  const std::size_t symbols = world.engine().interner().size();
  Draft draft;
  draft.user = "U-never-seen";
  draft.zone = "Z-never-seen";
  draft.items = R"([{"sku":"sku-never-seen","qty":1,"unit_price":1}])";
  draft.amount = 1;
  const Validation v = world.check(draft.json());
  EXPECT_EQ(world.engine().interner().size(), symbols);
  EXPECT_TRUE(v.findings.empty());
  EXPECT_EQ(v.not_checked.size(), 3u) << validation_json(v);  // zone, stock, price
}

// ---------------------------------------------------------------------------------------------
// The answer's JSON

TEST(ValidateJson, FindingsWithNumbersAndOrders) {
  World world;
  world.order("D1", "U1", "2026-11-21T11:55:00+08:00", kDraftItems, 2380).settle();
  Draft draft;
  draft.items = R"([{"sku":"tomato","qty":6,"unit_price":590},{"sku":"milk","qty":1,"unit_price":1200}])";
  draft.amount = 4740;
  Validation v = world.check(draft.json());
  EXPECT_EQ(validation_json(v),
            R"({"ok":false,"checked_at":"2026-11-21T04:00:00.000Z","blocking":1,"warnings":0,"findings":[)"
            R"({"code":"out_of_stock","severity":"block","field":"items[0].qty","message":"Only 5 of SKU 'tomato' in stock, 6 ordered: lower the quantity or remove the item.","incident":"OUT_OF_STOCK","expected":5,"actual":6}],)"
            R"("not_checked":[]})");
  v = world.check(Draft{}.json());
  EXPECT_EQ(validation_json(v),
            R"({"ok":true,"checked_at":"2026-11-21T04:00:00.000Z","blocking":0,"warnings":1,"findings":[)"
            R"({"code":"duplicate_unpaid","severity":"warn","field":"items","message":"User 'U1' already has 1 unpaid order with the same items from the last 10m ('D1'): pay or cancel that order instead of placing the same one again.","incident":"DUPLICATE_UNPAID_ORDERS","expected":2,"actual":1,"orders":["D1"]}],)"
            R"("not_checked":[]})");
  EXPECT_EQ(draft_error_json("items[0].qty: must be at least 1"), R"({"error":"items[0].qty: must be at least 1"})");
}

// ---------------------------------------------------------------------------------------------
// The engine's read-only views

TEST(EngineViews, MasterDataAndHistoryByName) {
  World world;
  world.order("K1", "U1", "2026-11-21T11:40:00+08:00").cancelled("K1", "2026-11-21T11:41:00+08:00");
  world.order("D1", "U1", "2026-11-21T11:55:00+08:00", kSameItems, 2380).paid("D1", "2026-11-21T11:56:00+08:00", 2380);
  world.settle();
  const Engine& engine = world.engine();
  const std::size_t symbols = engine.interner().size();
  EXPECT_FALSE(engine.catalog_item("nothing"));
  EXPECT_FALSE(engine.stock_level("nothing"));
  EXPECT_FALSE(engine.zone_config("nothing"));
  EXPECT_FALSE(engine.user_history("nothing"));
  EXPECT_FALSE(engine.catalog_item("U1"));  // a name the engine knows, but not as a SKU
  EXPECT_EQ(engine.interner().size(), symbols);

  const auto tomato = engine.catalog_item("tomato");
  ASSERT_TRUE(tomato);
  EXPECT_EQ(tomato->price, 590);
  EXPECT_EQ(tomato->category, "vegetable");
  EXPECT_EQ(tomato->reorder_point, kAbsent);
  const auto stock = engine.stock_level("milk");
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->available, 2);
  EXPECT_EQ(stock->at, at("2026-11-21T08:00:00+08:00"));
  const auto zone = engine.zone_config("Z1");
  ASSERT_TRUE(zone);
  EXPECT_TRUE(zone->has_centre);
  EXPECT_DOUBLE_EQ(zone->centre.lat, 40.0);
  EXPECT_DOUBLE_EQ(zone->radius_m, 3000);

  const auto user = engine.user_history("U1");
  ASSERT_TRUE(user);
  ASSERT_EQ(user->cancellations.size(), 1u);
  EXPECT_EQ(user->cancellations[0].order_id, "K1");
  EXPECT_EQ(user->cancellations[0].at, at("2026-11-21T11:41:00+08:00"));
  ASSERT_EQ(user->recent_orders.size(), 2u);
  const UserOrderView& k1 = user->recent_orders[0];
  EXPECT_EQ(k1.order_id, "K1");
  EXPECT_EQ(k1.cancelled_at, at("2026-11-21T11:41:00+08:00"));
  const UserOrderView& d1 = user->recent_orders[1];
  EXPECT_EQ(d1.order_id, "D1");
  EXPECT_EQ(d1.created_at, at("2026-11-21T11:55:00+08:00"));
  EXPECT_EQ(d1.paid_at, at("2026-11-21T11:56:00+08:00"));
  EXPECT_EQ(d1.amount, 2380);
  EXPECT_EQ(d1.items, (std::vector<SkuQtyView>{{"milk", 1}, {"tomato", 2}}));
  EXPECT_EQ(user->amounts, (std::vector<std::int64_t>{1180, 2380}));
}

// ---------------------------------------------------------------------------------------------
// Agreement with detection: the incidents a draft's findings name are exactly those the
// engine raises when the draft is placed, as an order.created at the check time.

std::set<std::string> raised_by_placing(World& world, const std::string& draft_json, const std::string& now) {
  std::string event = draft_json;
  event.insert(1, R"("id":"placed","type":"order.created","ts":")" + now + R"(","order_id":"PLACED",)");
  world.send(event).settle(now);
  std::set<std::string> types;
  for (const Incident& incident : world.engine().incidents().all()) {
    for (const std::string& evidence : incident.evidence) {
      if (evidence == "placed") types.insert(std::string(incident_type_name(incident.type)));
    }
  }
  return types;
}

TEST(ValidateAgreement, FindingsNameTheIncidentsPlacingTheDraftRaises) {
  struct Case {
    std::string name;
    Draft draft;
  };
  std::vector<Case> cases;
  cases.push_back({"clean", Draft{}});
  Draft bad;
  bad.address = R"({"text":"x","room":"1","lat":40.2,"lng":116.3})";  // about 22 km north: out of the area
  bad.items = R"([{"sku":"tomato","qty":2,"unit_price":600},{"sku":"milk","qty":1,"unit_price":1200}])";
  bad.amount = 2300;
  bad.coupon = R"({"code":"OLD","discount":100,"min_spend":5000,"expires_at":"2026-11-20T00:00:00+08:00"})";
  cases.push_back({"bad", bad});
  Draft no_address;
  no_address.address.clear();
  cases.push_back({"no_address", no_address});
  Draft big;
  big.user = "U-rich";
  big.items = R"([{"sku":"milk","qty":20,"unit_price":1200}])";
  big.amount = 24000;
  cases.push_back({"anomaly", big});
  Draft twin;
  twin.user = "U-dup";
  cases.push_back({"duplicate", twin});

  for (const Case& c : cases) {
    World world;
    world.send(R"({"id":"s-milk","type":"stock.level","ts":"2026-11-21T09:00:00+08:00","sku":"milk","available":50})");
    five_orders(world, "U-rich");
    world.order("T1", "U-dup", "2026-11-21T11:52:00+08:00", kSameItems, 2380);
    world.order("T2", "U-dup", "2026-11-21T11:53:00+08:00", kDraftItems, 2380);
    world.settle();
    const Validation v = world.check(c.draft.json());
    std::set<std::string> named;
    for (const Finding& f : v.findings) {
      if (!f.incident.empty()) named.insert(f.incident);
    }
    EXPECT_EQ(named, raised_by_placing(world, c.draft.json(), kNow)) << c.name << "\n" << validation_json(v);
    if (c.name == "clean") {
      EXPECT_TRUE(v.findings.empty()) << validation_json(v);
    }
    if (c.name == "bad") {
      EXPECT_EQ(codes(v), (Codes{"out_of_area", "price_mismatch", "coupon_expired", "coupon_min_spend"})) << validation_json(v);
    }
  }
}

}  // namespace
}  // namespace og
