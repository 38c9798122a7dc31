// Tests for events/parser against docs/spec/EVENTS.md: envelope, per-type required fields,
// money, enums, nesting, malformed input, line splitting, and reuse of one Event.
#include "events/parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "core/time.h"
#include "events/event_diff.h"
#include "events/event_type.h"

namespace og {
namespace {

constexpr TimeMs k20261121T02Z = 1795226400000;  // 2026-11-21T10:00:00+08:00

// {"id":"e1","type":TYPE,"ts":...,"order_id":"O1"[,FIELDS]}
std::string order_event(std::string_view type, std::string_view fields = "") {
  std::string line = R"({"id":"e1","type":")" + std::string(type) +
                     R"(","ts":"2026-11-21T10:00:00+08:00","order_id":"O1")";
  if (!fields.empty()) line += "," + std::string(fields);
  return line + "}";
}

// {"id":"e1","type":TYPE,"ts":...[,FIELDS]}: master data and clock events carry no order_id.
std::string master_event(std::string_view type, std::string_view fields = "") {
  std::string line = R"({"id":"e1","type":")" + std::string(type) + R"(","ts":"2026-11-21T10:00:00+08:00")";
  if (!fields.empty()) line += "," + std::string(fields);
  return line + "}";
}

std::string repeat(std::string_view text, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

// The smallest valid payload of every type, per EVENTS.md.
struct MinimalEvent {
  std::string_view type;
  bool needs_order;
  std::string_view fields;
};
constexpr MinimalEvent kMinimal[] = {
    {"order.created", true, R"("user_id":"U7","amount":1180)"},
    {"order.address_changed", true, ""},
    {"order.cancelled", true, ""},
    {"order.completed", true, ""},
    {"payment.succeeded", true, R"("amount":1180,"txn_id":"T9")"},
    {"payment.failed", true, ""},
    {"refund.requested", true, ""},
    {"refund.succeeded", true, ""},
    {"refund.failed", true, ""},
    {"stock.reserved", true, ""},
    {"stock.shortage", true, R"("sku":"tomato-500g")"},
    {"stock.released", true, ""},
    {"picking.started", true, ""},
    {"picking.completed", true, ""},
    {"rider.assigned", true, R"("rider_id":"R1")"},
    {"rider.cancelled", true, R"("rider_id":"R1")"},
    {"rider.location", true, R"("lat":40.03,"lng":116.33)"},
    {"delivery.picked_up", true, ""},
    {"delivery.attempt_failed", true, ""},
    {"delivery.delivered", true, ""},
    {"complaint.filed", true, ""},
    {"rating.submitted", true, R"("score":5)"},
    {"substitution.responded", true, R"("sku":"tomato-500g","accepted":true)"},
    {"catalog.item", false, R"("sku":"tomato-500g")"},
    {"stock.level", false, R"("sku":"tomato-500g","available":3)"},
    {"zone.config", false, R"("zone":"Z1")"},
    {"rider.status", false, R"("rider_id":"R1")"},
    {"user.profile", false, R"("user_id":"U7")"},
    {"agent.joined", false, R"("agent_id":"A7","capacity":5)"},
    {"agent.duty", false, R"("agent_id":"A7","on_duty":true)"},
    {"agent.ack", false, R"("incident_id":"inc-1","agent_id":"A7")"},
    {"agent.resolve", false, R"("incident_id":"inc-1","agent_id":"A7","resolution_code":"refunded","note":"退款")"},
    {"agent.reassign", false, R"("incident_id":"inc-1","agent_id":"A7","to":"A2")"},
    {"agent.escalate", false, R"("incident_id":"inc-1","agent_id":"A7","reason":"VIP")"},
    {"agent.comment", false, R"("incident_id":"inc-1","agent_id":"A7","text":"已联系")"},
    {"agent.false_positive", false, R"("incident_id":"inc-1","agent_id":"A7")"},
    {"clock.tick", false, ""},
};

class ParserTest : public ::testing::Test {
 protected:
  tl::expected<void, std::string> parse(std::string_view json) { return parser_.parse(json, event_); }

  ::testing::AssertionResult accepts(std::string_view json) {
    if (auto result = parse(json); !result) {
      return ::testing::AssertionFailure() << "rejected: " << result.error() << "\n  line: " << json.substr(0, 300);
    }
    return ::testing::AssertionSuccess();
  }

  // The line is rejected and the reason names `field` first: "<field>: <what is wrong>".
  ::testing::AssertionResult rejects(std::string_view json, std::string_view field) {
    const auto result = parse(json);
    if (result) return ::testing::AssertionFailure() << "accepted\n  line: " << json.substr(0, 300);
    const std::string prefix = std::string(field) + ": ";
    if (result.error().rfind(prefix, 0) != 0 || result.error().size() == prefix.size()) {
      return ::testing::AssertionFailure() << "error does not start with '" << prefix << "': " << result.error()
                                           << "\n  line: " << json.substr(0, 300);
    }
    return ::testing::AssertionSuccess();
  }

  std::string error_of(std::string_view json) {
    const auto result = parse(json);
    return result ? std::string("<accepted>") : result.error();
  }

  std::string_view text(Symbol symbol) const { return interner_.view(symbol); }

  Interner interner_;
  EventParser parser_{interner_};
  Event event_;
};

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Every payload field at its "absent" value: what a reused Event must look like after reset.
void expect_blank_payload(const Event& e) {
  EXPECT_EQ(e.order_id, kNoSymbol);
  EXPECT_EQ(e.user_id, kNoSymbol);
  EXPECT_EQ(e.merchant_id, kNoSymbol);
  EXPECT_EQ(e.zone, kNoSymbol);
  EXPECT_EQ(e.community, kNoSymbol);
  EXPECT_EQ(e.rider_id, kNoSymbol);
  EXPECT_EQ(e.txn_id, 0u);
  EXPECT_EQ(e.refund_id, 0u);
  EXPECT_EQ(e.sku, kNoSymbol);
  EXPECT_EQ(e.substitute_sku, kNoSymbol);
  EXPECT_EQ(e.category, kNoSymbol);
  EXPECT_EQ(e.warehouse, kNoSymbol);
  EXPECT_EQ(e.code, kNoSymbol);
  EXPECT_EQ(e.kind, OrderKind::kGrocery);
  EXPECT_EQ(e.payment_method, PaymentMethod::kOnline);
  EXPECT_EQ(e.user_tier, UserTier::kNormal);
  EXPECT_FALSE(e.has_user_tier);
  EXPECT_EQ(e.substitution_pref, SubstitutionPref::kContact);
  EXPECT_FALSE(e.has_substitution_pref);
  EXPECT_EQ(e.promise_at, kAbsent);
  EXPECT_EQ(e.slot_start, kAbsent);
  EXPECT_EQ(e.slot_end, kAbsent);
  EXPECT_FALSE(e.address.present);
  EXPECT_FALSE(e.address.has_text);
  EXPECT_FALSE(e.address.has_building);
  EXPECT_FALSE(e.address.has_room);
  EXPECT_FALSE(e.address.has_position);
  EXPECT_FALSE(e.coupon.present);
  EXPECT_EQ(e.coupon.code, kNoSymbol);
  EXPECT_EQ(e.coupon.discount, 0);
  EXPECT_EQ(e.coupon.min_spend, kAbsent);
  EXPECT_EQ(e.coupon.expires_at, kAbsent);
  EXPECT_EQ(e.amount, kAbsent);
  EXPECT_EQ(e.requested, kAbsent);
  EXPECT_EQ(e.available, kAbsent);
  EXPECT_EQ(e.price, kAbsent);
  EXPECT_EQ(e.reorder_point, kAbsent);
  EXPECT_EQ(e.active_orders, kAbsent);
  EXPECT_EQ(e.score, kAbsent);
  EXPECT_EQ(e.radius_m, -1);
  EXPECT_FALSE(e.accepted);
  EXPECT_FALSE(e.online);
  EXPECT_FALSE(e.has_position);
  EXPECT_EQ(e.position.lat, 0);
  EXPECT_EQ(e.position.lng, 0);
  EXPECT_EQ(e.cancelled_by, CancelledBy::kUnknown);
  EXPECT_EQ(e.attempt_failure, AttemptFailure::kOther);
  EXPECT_EQ(e.complaint_kind, ComplaintKind::kOther);
  EXPECT_TRUE(e.items.empty());
  EXPECT_TRUE(e.tags().empty());
  EXPECT_TRUE(e.pickup_points().empty());
  EXPECT_TRUE(e.channels().empty());
  EXPECT_TRUE(e.agent().agent_id.empty());
  EXPECT_TRUE(e.agent().incident_id.empty());
  EXPECT_TRUE(e.agent().name.empty());
  EXPECT_TRUE(e.agent().to.empty());
  EXPECT_TRUE(e.agent().text.empty());
  EXPECT_TRUE(e.agent().resolution_code.empty());
  EXPECT_EQ(e.agent().skills, 0);
  EXPECT_EQ(e.agent().capacity, kAbsent);
  EXPECT_FALSE(e.agent().supervisor);
  EXPECT_FALSE(e.agent().on_duty);
}

// An empty list says what was picked (nothing); no list, or null, says nothing
// (PICKING_MISMATCH compares only a given list).
TEST_F(ParserTest, AnItemsListGivenEmptyIsToldFromNoneGiven) {
  const std::string head = R"({"id":"p1","type":"picking.completed","ts":0,"order_id":"O1")";
  ASSERT_TRUE(accepts(head + R"(,"items":[]})"));
  EXPECT_TRUE(event_.has_items);
  EXPECT_TRUE(event_.items.empty());
  ASSERT_TRUE(accepts(head + "}"));
  EXPECT_FALSE(event_.has_items);
  ASSERT_TRUE(accepts(head + R"(,"items":null})"));
  EXPECT_FALSE(event_.has_items);
  ASSERT_TRUE(accepts(head + R"(,"items":[{"sku":"a","qty":2}]})"));
  EXPECT_TRUE(event_.has_items);
  EXPECT_EQ(event_.items.size(), 1u);
}

// ---- the example of EVENTS.md ------------------------------------------------------------

TEST_F(ParserTest, SpecExampleOrderCreated) {
  ASSERT_TRUE(accepts(
      R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U7","zone":"Z-haidian-3","community":"清河小区","address":{"text":"清河小区3号楼2单元501","building":"3","unit":"2","room":"501","lat":40.03,"lng":116.33},"items":[{"sku":"tomato-500g","name":"西红柿 500g","qty":2,"unit_price":590,"category":"vegetable"}],"amount":1180,"promise_at":"2026-11-21T10:45:00+08:00"})"));
  EXPECT_EQ(event_.id, "e1");
  EXPECT_EQ(event_.id_hash, hash64("e1"));
  EXPECT_EQ(event_.type, EventType::kOrderCreated);
  EXPECT_EQ(event_.ts, k20261121T02Z);
  EXPECT_EQ(text(event_.order_id), "O1");
  EXPECT_EQ(text(event_.user_id), "U7");
  EXPECT_EQ(text(event_.zone), "Z-haidian-3");
  EXPECT_EQ(text(event_.community), "清河小区");
  EXPECT_TRUE(event_.address.present);
  EXPECT_TRUE(event_.address.has_text);
  EXPECT_TRUE(event_.address.has_building);
  EXPECT_TRUE(event_.address.has_room);
  EXPECT_TRUE(event_.address.has_position);
  EXPECT_DOUBLE_EQ(event_.address.position.lat, 40.03);
  EXPECT_DOUBLE_EQ(event_.address.position.lng, 116.33);
  ASSERT_EQ(event_.items.size(), 1u);
  EXPECT_EQ(text(event_.items[0].sku), "tomato-500g");
  EXPECT_EQ(event_.items[0].qty, 2);
  EXPECT_EQ(event_.items[0].unit_price, 590);
  EXPECT_EQ(event_.items[0].expires_at, kAbsent);
  EXPECT_EQ(event_.amount, 1180);
  EXPECT_EQ(event_.promise_at, k20261121T02Z + 45 * kMinuteMs);
  EXPECT_EQ(event_.kind, OrderKind::kGrocery);
  EXPECT_EQ(event_.payment_method, PaymentMethod::kOnline);
  EXPECT_EQ(event_.substitution_pref, SubstitutionPref::kContact);
  EXPECT_FALSE(event_.has_substitution_pref);
  EXPECT_FALSE(event_.coupon.present);
}

TEST_F(ParserTest, SpecExamplePaymentSucceeded) {
  ASSERT_TRUE(accepts(
      R"({"id":"e2","type":"payment.succeeded","ts":"2026-11-21T10:00:40+08:00","order_id":"O1","amount":1180,"txn_id":"T9"})"));
  EXPECT_EQ(event_.type, EventType::kPaymentSucceeded);
  EXPECT_EQ(event_.ts, k20261121T02Z + 40 * kSecondMs);
  EXPECT_EQ(event_.amount, 1180);
  EXPECT_EQ(event_.txn_id, hash64("T9") | 1);
}

// ---- types ---------------------------------------------------------------------------------

TEST(EventTypes, NamesRoundTripAndOrderScopeMatchesTheSpec) {
  ASSERT_EQ(std::size(kMinimal), kEventTypeCount);
  for (const auto& minimal : kMinimal) {
    const auto type = event_type_from_name(minimal.type);
    ASSERT_TRUE(type.has_value()) << minimal.type;
    EXPECT_EQ(event_type_name(*type), minimal.type);
    EXPECT_EQ(event_type_needs_order(*type), minimal.needs_order) << minimal.type;
  }
  EXPECT_FALSE(event_type_from_name("order.teleported").has_value());
  EXPECT_FALSE(event_type_from_name("ORDER.CREATED").has_value());
  EXPECT_FALSE(event_type_from_name("").has_value());
}

TEST_F(ParserTest, MinimalEventOfEveryTypeIsAccepted) {
  for (const auto& minimal : kMinimal) {
    const std::string line =
        minimal.needs_order ? order_event(minimal.type, minimal.fields) : master_event(minimal.type, minimal.fields);
    ASSERT_TRUE(accepts(line)) << minimal.type;
    EXPECT_EQ(event_type_name(event_.type), minimal.type);
    EXPECT_EQ(event_.ts, k20261121T02Z);
  }
}

TEST_F(ParserTest, OrderScopedTypesRequireOrderId) {
  for (const auto& minimal : kMinimal) {
    const std::string without = master_event(minimal.type, minimal.fields);
    if (minimal.needs_order) {
      EXPECT_TRUE(rejects(without, "order_id")) << minimal.type;
      EXPECT_EQ(error_of(without), "order_id: missing (required for " + std::string(minimal.type) + ")");
    } else {
      EXPECT_TRUE(accepts(without)) << minimal.type;
      EXPECT_EQ(event_.order_id, kNoSymbol);
      // An order_id on master data is harmless.
      EXPECT_TRUE(accepts(order_event(minimal.type, minimal.fields))) << minimal.type;
    }
  }
}

// ---- envelope ----------------------------------------------------------------------------

TEST_F(ParserTest, IdIsRequiredAndBetween1And128Bytes) {
  EXPECT_TRUE(rejects(R"({"type":"clock.tick","ts":0})", "id"));
  EXPECT_EQ(error_of(R"({"type":"clock.tick","ts":0})").rfind("id: missing", 0), 0u);
  EXPECT_TRUE(rejects(R"({"id":"","type":"clock.tick","ts":0})", "id"));
  EXPECT_TRUE(rejects(R"({"id":7,"type":"clock.tick","ts":0})", "id"));
  EXPECT_TRUE(rejects(R"({"id":null,"type":"clock.tick","ts":0})", "id"));
  EXPECT_TRUE(rejects(R"({"id":["e1"],"type":"clock.tick","ts":0})", "id"));

  const std::string id128(128, 'a');
  ASSERT_TRUE(accepts(R"({"id":")" + id128 + R"(","type":"clock.tick","ts":0})"));
  EXPECT_EQ(event_.id, id128);
  EXPECT_EQ(event_.id_hash, hash64(id128));
  EXPECT_TRUE(rejects(R"({"id":")" + id128 + R"(a","type":"clock.tick","ts":0})", "id"));
  EXPECT_EQ(error_of(R"({"id":")" + id128 + R"(a","type":"clock.tick","ts":0})"), "id: longer than 128 bytes");

  // Bytes, not characters: 42 x 3-byte characters fit, 43 do not.
  EXPECT_TRUE(accepts(R"({"id":")" + repeat("订", 42) + R"(","type":"clock.tick","ts":0})"));
  EXPECT_EQ(event_.id, repeat("订", 42));
  EXPECT_TRUE(rejects(R"({"id":")" + repeat("订", 43) + R"(","type":"clock.tick","ts":0})", "id"));
}

TEST_F(ParserTest, IdIsUnescaped) {
  ASSERT_TRUE(accepts(R"({"id":"e\u0031\"x","type":"clock.tick","ts":0})"));
  EXPECT_EQ(event_.id, "e1\"x");
  EXPECT_EQ(event_.id_hash, hash64("e1\"x"));
}

TEST_F(ParserTest, TypeIsRequiredAndKnown) {
  EXPECT_TRUE(rejects(R"({"id":"e1","ts":0})", "type"));
  EXPECT_EQ(error_of(R"({"id":"e1","ts":0})"), "type: missing");
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"order.teleported","ts":0,"order_id":"O1"})", "type"));
  EXPECT_NE(error_of(R"({"id":"e1","type":"order.teleported","ts":0})").find("'order.teleported'"),
            std::string::npos);
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"ORDER.CREATED","ts":0})", "type"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"","ts":0})", "type"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":5,"ts":0})", "type"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":null,"ts":0})", "type"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":["clock.tick"],"ts":0})", "type"));
}

TEST_F(ParserTest, TsAsRfc3339String) {
  ASSERT_TRUE(accepts(R"({"id":"e1","type":"clock.tick","ts":"2026-11-21T10:00:00.123+08:00"})"));
  EXPECT_EQ(event_.ts, k20261121T02Z + 123);
  ASSERT_TRUE(accepts(R"({"id":"e1","type":"clock.tick","ts":"2026-11-21T02:00:00Z"})"));
  EXPECT_EQ(event_.ts, k20261121T02Z);
  ASSERT_TRUE(accepts(R"({"id":"e1","type":"clock.tick","ts":"2026-11-20T20:30:00-05:30"})"));
  EXPECT_EQ(event_.ts, k20261121T02Z);
}

TEST_F(ParserTest, TsAsIntegerEpochMilliseconds) {
  ASSERT_TRUE(accepts(R"({"id":"e1","type":"clock.tick","ts":1795226400000})"));
  EXPECT_EQ(event_.ts, k20261121T02Z);
  ASSERT_TRUE(accepts(R"({"id":"e1","type":"clock.tick","ts":0})"));
  EXPECT_EQ(event_.ts, 0);
  ASSERT_TRUE(accepts(R"({"id":"e1","type":"clock.tick","ts":-1000})"));
  EXPECT_EQ(event_.ts, -1000);
  ASSERT_TRUE(accepts(R"({"id":"e1","type":"clock.tick","ts":253402300799999})"));  // 9999-12-31T23:59:59.999Z
  EXPECT_EQ(event_.ts, 253402300799999);
}

TEST_F(ParserTest, TsErrors) {
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick"})", "ts"));
  EXPECT_EQ(error_of(R"({"id":"e1","type":"clock.tick"})").rfind("ts: missing", 0), 0u);
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":null})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":"yesterday"})", "ts"));
  EXPECT_NE(error_of(R"({"id":"e1","type":"clock.tick","ts":"yesterday"})").find("RFC 3339"), std::string::npos);
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":"2026-11-21T10:00:00"})", "ts"));
  EXPECT_NE(error_of(R"({"id":"e1","type":"clock.tick","ts":"2026-11-21T10:00:00"})").find("offset"),
            std::string::npos);
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":"2026-02-29T10:00:00Z"})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":"1795226400000"})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":1795226400000.5})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":1.7952264e12})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":true})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":{}})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":[0]})", "ts"));
  // Epoch values that no RFC 3339 time can name (they would overflow deadline arithmetic).
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":253402300800000})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":-9223372036854775808})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":9223372036854775807})", "ts"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"clock.tick","ts":99999999999999999999})", "ts"));
  EXPECT_TRUE(rejects(order_event("order.created", R"("user_id":"U","amount":1,"promise_at":-9223372036854775808)"),
                      "promise_at"));
}

TEST_F(ParserTest, OrderIdRules) {
  ASSERT_TRUE(accepts(order_event("order.completed")));
  EXPECT_EQ(text(event_.order_id), "O1");
  const std::string o128(128, 'o');
  EXPECT_TRUE(accepts(R"({"id":"e1","type":"order.completed","ts":0,"order_id":")" + o128 + R"("})"));
  EXPECT_EQ(text(event_.order_id), o128);
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"order.completed","ts":0,"order_id":")" + o128 + R"(o"})", "order_id"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"order.completed","ts":0,"order_id":""})", "order_id"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"order.completed","ts":0,"order_id":42})", "order_id"));
  EXPECT_TRUE(rejects(R"({"id":"e1","type":"order.completed","ts":0,"order_id":{"id":"O1"}})", "order_id"));
  // null is "absent": fine where optional, "missing" where required.
  EXPECT_EQ(error_of(R"({"id":"e1","type":"order.completed","ts":0,"order_id":null})"),
            "order_id: missing (required for order.completed)");
  EXPECT_TRUE(accepts(R"({"id":"e1","type":"clock.tick","ts":0,"order_id":null})"));
  EXPECT_EQ(event_.order_id, kNoSymbol);
}

TEST_F(ParserTest, FieldOrderDoesNotMatter) {
  ASSERT_TRUE(accepts(
      R"({"kind":"errand","amount":1180,"user_id":"U7","order_id":"O1","ts":0,"payment_method":"cod","type":"order.created","id":"e1"})"));
  EXPECT_EQ(event_.type, EventType::kOrderCreated);
  EXPECT_EQ(event_.kind, OrderKind::kErrand);
  EXPECT_EQ(event_.payment_method, PaymentMethod::kCod);
}

TEST_F(ParserTest, EscapedKeysAreRecognised) {
  ASSERT_TRUE(accepts(R"({"\u0069d":"e1","typ\u0065":"clock.tick","ts":0})"));
  EXPECT_EQ(event_.type, EventType::kClockTick);
}

// A byte order mark before the first line (files saved by Windows tools) is not part of it.
TEST_F(ParserTest, AByteOrderMarkBeforeTheLineIsSkipped) {
  ASSERT_TRUE(accepts("\xEF\xBB\xBF" R"({"id":"e1","type":"order.created","ts":0,"order_id":"O1","user_id":"U1","amount":5})"));
  EXPECT_EQ(event_.type, EventType::kOrderCreated);
  EXPECT_EQ(event_.amount, 5);
  EXPECT_EQ(error_of("\xEF\xBB{}"), "line: not valid UTF-8");  // half a mark is no mark
}

TEST_F(ParserTest, AStringJsonRefusesIsNamedForWhatItIs) {
  // Half a surrogate pair, or an escape JSON does not have: the text is not a string, which
  // "must be a string" would send one looking for a number or an object.
  const std::string bad = "not a valid JSON string (a bad escape, or a \\u escape of half a surrogate pair)";
  EXPECT_EQ(error_of(R"({"id":"a\ud800b","type":"clock.tick","ts":0})"), "id: " + bad);
  EXPECT_EQ(error_of(R"({"id":"e1","type":"rider.status","ts":0,"rider_id":"R\q"})"), "rider_id: " + bad);
  EXPECT_EQ(error_of(R"({"id":"e1","type":"order.cancelled","ts":0,"order_id":"O\udc00"})"), "order_id: " + bad);
  EXPECT_EQ(error_of(R"({"id":7,"type":"clock.tick","ts":0})"), "id: must be a string");
  EXPECT_TRUE(accepts(R"({"id":"a\ud83d\ude00","type":"clock.tick","ts":0})"));  // a whole pair is fine
}

TEST_F(ParserTest, SourceIsOptional) {
  EXPECT_TRUE(accepts(master_event("clock.tick", R"("source":"oms")")));
  EXPECT_TRUE(accepts(master_event("clock.tick", R"("source":null)")));
}

// ---- required fields per type ------------------------------------------------------------

struct MissingField {
  std::string_view type;
  std::string_view fields;  // everything required except `missing`
  std::string_view missing;
};

TEST_F(ParserTest, RequiredFieldsPerType) {
  const MissingField cases[] = {
      {"order.created", R"("amount":1180)", "user_id"},
      {"order.created", R"("user_id":"U7")", "amount"},
      {"order.created", R"("user_id":"","amount":1180)", "user_id"},
      {"order.created", R"("user_id":null,"amount":1180)", "user_id"},
      {"order.created", R"("user_id":"U7","amount":null)", "amount"},
      {"payment.succeeded", R"("txn_id":"T9")", "amount"},
      {"payment.succeeded", R"("amount":1180)", "txn_id"},
      {"payment.succeeded", R"("amount":1180,"txn_id":null)", "txn_id"},
      {"stock.shortage", R"("requested":3,"available":1)", "sku"},
      {"rider.assigned", "", "rider_id"},
      {"rider.cancelled", R"("reason":"车坏了")", "rider_id"},
      {"rider.location", R"("rider_id":"R1","lng":116.33)", "lat"},
      {"rider.location", R"("rider_id":"R1","lat":40.03)", "lng"},
      {"rider.location", R"("rider_id":"R1","lat":null,"lng":116.33)", "lat"},
      {"catalog.item", R"("name":"西红柿","price":590)", "sku"},
      {"stock.level", R"("available":3)", "sku"},
      {"stock.level", R"("sku":"s1")", "available"},
      {"stock.level", R"("sku":"s1","available":null)", "available"},
      {"zone.config", R"("lat":40.0,"lng":116.3)", "zone"},
      {"rider.status", R"("online":true)", "rider_id"},
      {"user.profile", R"("tier":"vip")", "user_id"},
      {"agent.joined", R"("capacity":5)", "agent_id"},
      {"agent.joined", R"("agent_id":null,"capacity":5)", "agent_id"},
      {"agent.joined", R"("agent_id":"A7","name":"王芳")", "capacity"},
      {"agent.joined", R"("agent_id":"A7","capacity":null)", "capacity"},
      {"agent.duty", R"("on_duty":true)", "agent_id"},
      {"agent.duty", R"("agent_id":"A7")", "on_duty"},
      {"agent.duty", R"("agent_id":"A7","on_duty":null)", "on_duty"},
      {"agent.ack", R"("agent_id":"A7")", "incident_id"},
      {"agent.ack", R"("incident_id":"inc-1")", "agent_id"},
      {"agent.resolve", R"("agent_id":"A7","resolution_code":"refunded","note":"n")", "incident_id"},
      {"agent.resolve", R"("incident_id":"inc-1","resolution_code":"refunded","note":"n")", "agent_id"},
      {"agent.resolve", R"("incident_id":"inc-1","agent_id":"A7","note":"n")", "resolution_code"},
      {"agent.resolve", R"("incident_id":"inc-1","agent_id":"A7","resolution_code":"refunded")", "note"},
      {"agent.resolve", R"("incident_id":"inc-1","agent_id":"A7","resolution_code":"refunded","note":"")", "note"},
      {"agent.resolve", R"("incident_id":"inc-1","agent_id":"A7","resolution_code":"refunded","note":null)", "note"},
      {"agent.reassign", R"("agent_id":"A7","to":"A2")", "incident_id"},
      {"agent.reassign", R"("incident_id":"inc-1","to":"A2")", "agent_id"},
      {"agent.reassign", R"("incident_id":"inc-1","agent_id":"A7")", "to"},
      {"agent.escalate", R"("agent_id":"A7","reason":"r")", "incident_id"},
      {"agent.escalate", R"("incident_id":"inc-1","reason":"r")", "agent_id"},
      {"agent.escalate", R"("incident_id":"inc-1","agent_id":"A7")", "reason"},
      {"agent.escalate", R"("incident_id":"inc-1","agent_id":"A7","reason":"")", "reason"},
      {"agent.comment", R"("agent_id":"A7","text":"t")", "incident_id"},
      {"agent.comment", R"("incident_id":"inc-1","text":"t")", "agent_id"},
      {"agent.comment", R"("incident_id":"inc-1","agent_id":"A7")", "text"},
      {"agent.comment", R"("incident_id":"inc-1","agent_id":"A7","text":null)", "text"},
      {"agent.false_positive", R"("agent_id":"A7")", "incident_id"},
      {"agent.false_positive", R"("incident_id":"inc-1")", "agent_id"},
  };
  for (const auto& c : cases) {
    const bool needs_order = event_type_needs_order(*event_type_from_name(c.type));
    const std::string line = needs_order ? order_event(c.type, c.fields) : master_event(c.type, c.fields);
    EXPECT_TRUE(rejects(line, c.missing)) << c.type;
    EXPECT_EQ(error_of(line), std::string(c.missing) + ": missing (required for " + std::string(c.type) + ")");
  }
}

TEST_F(ParserTest, RiderLocationFields) {
  ASSERT_TRUE(accepts(order_event("rider.location", R"("rider_id":"R1","lat":40.03,"lng":-116.33)")));
  EXPECT_TRUE(event_.has_position);
  EXPECT_DOUBLE_EQ(event_.position.lat, 40.03);
  EXPECT_DOUBLE_EQ(event_.position.lng, -116.33);
  EXPECT_EQ(text(event_.rider_id), "R1");
  ASSERT_TRUE(accepts(order_event("rider.location", R"("lat":-90,"lng":180)")));
  EXPECT_TRUE(rejects(order_event("rider.location", R"("lat":90.5,"lng":116)"), "lat"));
  EXPECT_TRUE(rejects(order_event("rider.location", R"("lat":40,"lng":-180.1)"), "lng"));
  EXPECT_TRUE(rejects(order_event("rider.location", R"("lat":"40.03","lng":116)"), "lat"));
  EXPECT_TRUE(rejects(order_event("rider.location", R"("lat":40,"lng":[116]})"), "lng"));
}

// EVENTS.md marks no field of these two types "(req)": a line without them is accepted.
TEST_F(ParserTest, RatingAndSubstitutionFieldsAreOptional) {
  ASSERT_TRUE(accepts(order_event("rating.submitted", R"("text":"很差")")));
  EXPECT_EQ(event_.score, kAbsent);
  ASSERT_TRUE(accepts(order_event("rating.submitted", R"("score":null)")));
  EXPECT_EQ(event_.score, kAbsent);
  EXPECT_TRUE(accepts(order_event("substitution.responded", R"("accepted":true)")));
  EXPECT_TRUE(accepts(order_event("substitution.responded", R"("sku":"s1")")));
  EXPECT_TRUE(accepts(order_event("substitution.responded", R"("sku":"s1","accepted":null)")));
}

TEST_F(ParserTest, RatingScoreIsOneToFive) {
  for (int score = 1; score <= 5; ++score) {
    ASSERT_TRUE(accepts(order_event("rating.submitted", R"("score":)" + std::to_string(score))));
    EXPECT_EQ(event_.score, score);
  }
  EXPECT_EQ(error_of(order_event("rating.submitted", R"("score":0)")), "score: must be 1 to 5");
  EXPECT_TRUE(rejects(order_event("rating.submitted", R"("score":6)"), "score"));
  EXPECT_TRUE(rejects(order_event("rating.submitted", R"("score":-1)"), "score"));
  EXPECT_TRUE(rejects(order_event("rating.submitted", R"("score":4.5)"), "score"));
  EXPECT_TRUE(rejects(order_event("rating.submitted", R"("score":"5")"), "score"));
}

TEST_F(ParserTest, SubstitutionResponded) {
  ASSERT_TRUE(
      accepts(order_event("substitution.responded", R"("sku":"s1","substitute_sku":"s2","accepted":false)")));
  EXPECT_EQ(text(event_.sku), "s1");
  EXPECT_EQ(text(event_.substitute_sku), "s2");
  EXPECT_FALSE(event_.accepted);
  ASSERT_TRUE(accepts(order_event("substitution.responded", R"("sku":"s1","accepted":true)")));
  EXPECT_TRUE(event_.accepted);
  EXPECT_TRUE(rejects(order_event("substitution.responded", R"("sku":"s1","accepted":"yes")"), "accepted"));
  EXPECT_TRUE(rejects(order_event("substitution.responded", R"("sku":"s1","accepted":1)"), "accepted"));
}

TEST_F(ParserTest, MasterDataFields) {
  ASSERT_TRUE(accepts(master_event(
      "catalog.item",
      R"("sku":"s1","name":"西红柿","category":"vegetable","price":590,"tags":["organic","有机"],"reorder_point":5)")));
  EXPECT_EQ(text(event_.sku), "s1");
  EXPECT_EQ(text(event_.category), "vegetable");
  EXPECT_EQ(event_.price, 590);
  ASSERT_EQ(event_.tags().size(), 2u);
  EXPECT_EQ(text(event_.tags()[0]), "organic");
  EXPECT_EQ(text(event_.tags()[1]), "有机");
  EXPECT_EQ(event_.reorder_point, 5);

  ASSERT_TRUE(accepts(master_event("stock.level", R"("sku":"s1","available":0,"warehouse":"W1")")));
  EXPECT_EQ(event_.available, 0);
  EXPECT_EQ(text(event_.warehouse), "W1");

  ASSERT_TRUE(accepts(master_event(
      "rider.status", R"("rider_id":"R1","zone":"Z1","online":true,"lat":40.0,"lng":116.3,"active_orders":2)")));
  EXPECT_EQ(text(event_.rider_id), "R1");
  EXPECT_EQ(text(event_.zone), "Z1");
  EXPECT_TRUE(event_.online);
  EXPECT_TRUE(event_.has_position);
  EXPECT_EQ(event_.active_orders, 2);
  ASSERT_TRUE(accepts(master_event("rider.status", R"("rider_id":"R1","lat":40.0)")));
  EXPECT_FALSE(event_.has_position);  // both coordinates or none

  ASSERT_TRUE(accepts(master_event(
      "user.profile",
      R"("user_id":"U7","tier":"vip","substitution_pref":"refund","channels":["app","sms","phone"],"phone":"13800000000")")));
  EXPECT_EQ(text(event_.user_id), "U7");
  EXPECT_TRUE(event_.has_user_tier);
  EXPECT_EQ(event_.user_tier, UserTier::kVip);
  EXPECT_TRUE(event_.has_substitution_pref);
  EXPECT_EQ(event_.substitution_pref, SubstitutionPref::kRefund);
  EXPECT_EQ(event_.channels(), (std::vector<Channel>{Channel::kApp, Channel::kSms, Channel::kPhone}));
}

TEST_F(ParserTest, OrderScopedOptionalFields) {
  ASSERT_TRUE(accepts(order_event("payment.failed", R"("code":"INSUFFICIENT","message":"余额不足","txn_id":"T1")")));
  EXPECT_EQ(text(event_.code), "INSUFFICIENT");
  EXPECT_EQ(event_.txn_id, hash64("T1") | 1);
  ASSERT_TRUE(accepts(order_event("refund.requested", R"("amount":590,"refund_id":"RF1")")));
  EXPECT_EQ(event_.amount, 590);
  EXPECT_EQ(event_.refund_id, hash64("RF1") | 1);
  ASSERT_TRUE(accepts(order_event("stock.shortage", R"("sku":"s1","requested":3,"available":1)")));
  EXPECT_EQ(event_.requested, 3);
  EXPECT_EQ(event_.available, 1);
  ASSERT_TRUE(accepts(order_event("order.cancelled", R"("by":"user","reason":"配送太慢","reason_code":"SLOW")")));
  EXPECT_EQ(event_.cancelled_by, CancelledBy::kUser);
  EXPECT_EQ(text(event_.code), "SLOW");
  // Codes have no type in EVENTS.md: a payment system's numeric code is its decimal text.
  ASSERT_TRUE(accepts(order_event("payment.failed", R"("code":4001,"txn_id":"T1")")));
  EXPECT_EQ(text(event_.code), "4001");
  ASSERT_TRUE(accepts(order_event("order.cancelled", R"("by":"user","reason_code":-7)")));
  EXPECT_EQ(text(event_.code), "-7");
  EXPECT_EQ(error_of(order_event("refund.failed", R"("code":40.5)")), "code: must be a string or an integer");
  EXPECT_EQ(error_of(order_event("refund.failed", R"("code":true)")), "code: must be a string");
  ASSERT_TRUE(accepts(order_event("rider.cancelled", R"("rider_id":"R1","reason":"车坏了")")));  // free text
  ASSERT_TRUE(accepts(order_event("picking.started", R"("picker_id":"P1")")));
  // So are the other names EVENTS.md gives no type (decisions #23): a feed's numeric user,
  // rider, SKU or transaction is the same name as its decimal text.
  ASSERT_TRUE(accepts(order_event("picking.started", R"("picker_id":5)")));
  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":7,"amount":1,"zone":12,"community":3,"merchant_id":9)")));
  EXPECT_EQ(text(event_.user_id), "7");
  EXPECT_EQ(text(event_.zone), "12");
  EXPECT_EQ(text(event_.community), "3");
  ASSERT_TRUE(accepts(order_event("rider.assigned", R"("rider_id":42)")));
  EXPECT_EQ(text(event_.rider_id), "42");
  ASSERT_TRUE(accepts(order_event("payment.succeeded", R"("amount":5,"txn_id":900001)")));
  const std::uint64_t numeric_txn = event_.txn_id;
  ASSERT_TRUE(accepts(order_event("payment.succeeded", R"("amount":5,"txn_id":"900001")")));
  EXPECT_EQ(event_.txn_id, numeric_txn);
  EXPECT_NE(numeric_txn, 0u);
  EXPECT_EQ(error_of(order_event("rider.assigned", R"("rider_id":4.2)")), "rider_id: must be a string or an integer");
  EXPECT_EQ(error_of(order_event("rider.assigned", R"("rider_id":{"id":"R1"})")), "rider_id: must be a string");
  // The event's own ids are strings (EVENTS.md's envelope), whatever a feed does elsewhere.
  EXPECT_EQ(error_of(order_event("rider.assigned", R"("rider_id":"R1")").replace(6, 4, "7")), "id: must be a string");
}

// ---- money ---------------------------------------------------------------------------------

TEST_F(ParserTest, MoneyIsANonNegativeInteger) {
  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":"U7","amount":0)")));
  EXPECT_EQ(event_.amount, 0);
  // Up to 10 trillion yuan in 分, the most any sum of them is computed from (kMaxMoney).
  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":"U7","amount":1000000000000000)")));
  EXPECT_EQ(event_.amount, 1000000000000000);
  for (const char* over : {"1000000000000001", "9223372036854775807"}) {
    const std::string line = order_event("order.created", std::string(R"("user_id":"U7","amount":)") + over);
    EXPECT_EQ(error_of(line).rfind("amount: must be at most 1000000000000000 (分)", 0), 0u) << error_of(line);
  }
  EXPECT_TRUE(rejects(order_event("order.created", R"("user_id":"U7","items":[{"sku":"s","qty":1,"unit_price":1000000000000001}])"), "items[0].unit_price"));
  // A count is not money: a stock level may be larger.
  ASSERT_TRUE(accepts(master_event("stock.level", R"("sku":"s","available":1000000000000001)")));
  EXPECT_EQ(event_.available, 1000000000000001);

  const std::string negative = order_event("order.created", R"("user_id":"U7","amount":-1)");
  EXPECT_TRUE(rejects(negative, "amount"));
  EXPECT_EQ(error_of(negative).rfind("amount: must not be negative", 0), 0u) << error_of(negative);
  for (const char* bad : {"11.8", "1180.0", "1e3", "\"1180\"", "true", "[1180]", "{}", "9223372036854775808"}) {
    EXPECT_TRUE(rejects(order_event("order.created", std::string(R"("user_id":"U7","amount":)") + bad), "amount"))
        << bad;
  }
  EXPECT_NE(error_of(order_event("order.created", R"("user_id":"U7","amount":11.8)")).find("integer"),
            std::string::npos);
}

TEST_F(ParserTest, EveryMoneyFieldRejectsNegativeAndFloat) {
  const std::pair<std::string, std::string_view> cases[] = {
      {order_event("payment.succeeded", R"("txn_id":"T","amount":-5)"), "amount"},
      {order_event("payment.succeeded", R"("txn_id":"T","amount":5.5)"), "amount"},
      {order_event("refund.requested", R"("amount":-5)"), "amount"},
      {order_event("refund.succeeded", R"("amount":"5")"), "amount"},
      {master_event("catalog.item", R"("sku":"s","price":-590)"), "price"},
      {master_event("catalog.item", R"("sku":"s","price":5.9)"), "price"},
      {order_event("order.created", R"("user_id":"U","amount":1,"items":[{"sku":"s","unit_price":-1}])"),
       "items[0].unit_price"},
      {order_event("order.created", R"("user_id":"U","amount":1,"items":[{"sku":"s","unit_price":5.9}])"),
       "items[0].unit_price"},
      {order_event("order.created", R"("user_id":"U","amount":1,"coupon":{"discount":-200})"), "coupon.discount"},
      {order_event("order.created", R"("user_id":"U","amount":1,"coupon":{"min_spend":"1000"})"),
       "coupon.min_spend"},
  };
  for (const auto& [line, field] : cases) EXPECT_TRUE(rejects(line, field)) << line;
  EXPECT_EQ(error_of(master_event("catalog.item", R"("sku":"s","price":-590)")).rfind("price: must not be negative", 0),
            0u);
}

TEST_F(ParserTest, CountsAreNonNegativeIntegers) {
  EXPECT_TRUE(rejects(master_event("stock.level", R"("sku":"s","available":-1)"), "available"));
  EXPECT_TRUE(rejects(master_event("stock.level", R"("sku":"s","available":1.5)"), "available"));
  EXPECT_TRUE(rejects(order_event("stock.shortage", R"("sku":"s","requested":-3)"), "requested"));
  EXPECT_TRUE(rejects(master_event("catalog.item", R"("sku":"s","reorder_point":"10")"), "reorder_point"));
  EXPECT_TRUE(rejects(master_event("rider.status", R"("rider_id":"R","active_orders":-1)"), "active_orders"));
}

// ---- malformed lines -----------------------------------------------------------------------

TEST_F(ParserTest, InvalidJson) {
  for (const std::string_view bad : {
           std::string_view(R"({"id":"e1","type":"clock.tick","ts":0)"),
           std::string_view(R"({"id":"e1","type":"clock.tick","ts":0,})"),
           std::string_view(R"({"id":"e1" "type":"clock.tick","ts":0})"),
           std::string_view(R"({'id':'e1','type':'clock.tick','ts':0})"),
           std::string_view(R"({id:"e1"})"),
           std::string_view(R"({"id":"e1","type":"clock.tick","ts":0,"note":"tab	inside"})"),
           std::string_view(R"({"id":"e1","type":"clock.tick","ts":0,"note":"unterminated})"),
           std::string_view(""),
           std::string_view("   "),
           std::string_view("{"),
           std::string_view("}"),
       }) {
    EXPECT_TRUE(rejects(bad, "json")) << bad;
  }
  EXPECT_NE(error_of(R"({"id":"e1","type":"clock.tick","ts":0,})").find("invalid JSON"), std::string::npos);
}

TEST_F(ParserTest, InvalidJsonInsideIgnoredValuesIsStillRejected) {
  // Values the rules never read must still be JSON, or the journal would keep a broken line.
  for (const char* bad : {R"("x":tru)", R"("x":nul)", R"("x":falsey)", R"("x":01)", R"("x":1.)", R"("x":-)",
                          R"("x":.5)", R"("x":[1,2,})", R"("x":{"a" 1})", R"("x":[1,[2,{"y":falsy}]])",
                          R"("x":{"a":[}]})", R"("x":"\ud800")", R"("x":"bad \q escape")"}) {
    const std::string line = master_event("clock.tick", bad);
    EXPECT_TRUE(rejects(line, "json")) << line;
    EXPECT_TRUE(starts_with(error_of(line), "json: invalid JSON")) << error_of(line);
  }
  EXPECT_EQ(error_of(master_event("clock.tick", R"("x":tru)")), "json: invalid JSON (not a value) in field 'x'");
  EXPECT_EQ(error_of(master_event("clock.tick", R"("x":01)")), "json: invalid JSON (malformed number) in field 'x'");
  // The field is named by its path.
  const std::pair<std::string, std::string_view> nested[] = {
      {order_event("order.created", R"("user_id":"U","amount":1,"items":[{"sku":"s","note":tru}])"), "'items[0].note'"},
      {order_event("order.created", R"("user_id":"U","amount":1,"address":{"floor":nul}})"), "'address.floor'"},
      {order_event("order.created", R"("user_id":"U","amount":1,"coupon":{"x":[1,]}})"), "'coupon.x'"},
      {master_event("zone.config", R"("zone":"Z","pickup_points":[{"id":"P","x":01}])"), "'pickup_points[0].x'"},
      {master_event("clock.tick", R"("source":tru)"), "'source'"},
  };
  for (const auto& [line, field] : nested) {
    EXPECT_TRUE(rejects(line, "json")) << line;
    EXPECT_NE(error_of(line).find(field), std::string::npos) << error_of(line);
  }
}

TEST_F(ParserTest, ClientTextInMessagesIsShortAndEscaped) {
  // An empty or odd key still gives "<field>: <what>".
  EXPECT_EQ(error_of(master_event("clock.tick", R"("":tru)")), "json: invalid JSON (not a value) in field ''");
  EXPECT_EQ(error_of(master_event("clock.tick", R"("a\nb":tru)")), "json: invalid JSON (not a value) in field 'a\\nb'");
  const std::string long_type = repeat("订", 100);
  const std::string error = error_of(R"({"id":"e1","ts":0,"type":")" + long_type + R"("})");
  EXPECT_TRUE(starts_with(error, "type: unknown event type '" + repeat("订", 21) + "...'")) << error;
  EXPECT_LT(error.size(), 200u);
  EXPECT_EQ(error_of(order_event("order.cancelled", R"("by":"a\nb")")),
            "by: unknown value 'a\\nb' (one of user, merchant, rider, system)");
  EXPECT_EQ(error_of(order_event("order.cancelled", R"("by":"a\u0000b")")),
            "by: unknown value 'a\\u0000b' (one of user, merchant, rider, system)");
}

TEST_F(ParserTest, DeepNestingInIgnoredValues) {
  EXPECT_TRUE(accepts(master_event("clock.tick", R"("x":)" + repeat("[", 10) + "1" + repeat("]", 10))));
  EXPECT_TRUE(accepts(master_event("clock.tick", R"("x":)" + repeat(R"({"a":)", 10) + "1" + repeat("}", 10))));
  // Very deep nesting is refused, not recursed into.
  EXPECT_TRUE(rejects(master_event("clock.tick", R"("x":)" + repeat("[", 100000) + repeat("]", 100000)), "json"));
  EXPECT_NE(error_of(master_event("clock.tick", R"("x":)" + repeat("[", 65) + repeat("]", 65))).find("deeper than 64"),
            std::string::npos);
}

TEST_F(ParserTest, InvalidUtf8) {
  for (const std::string_view bytes : {std::string_view("\xff"), std::string_view("\xc0\xaf"),
                                       std::string_view("\xed\xa0\x80"), std::string_view("\xe4\xb8"),
                                       std::string_view("\xf8\x88\x80\x80\x80"), std::string_view("\x80")}) {
    const std::string in_value = master_event("clock.tick", R"("note":")" + std::string(bytes) + "\"");
    EXPECT_TRUE(rejects(in_value, "line")) << in_value;
    EXPECT_EQ(error_of(in_value), "line: not valid UTF-8");
    const std::string in_key = master_event("clock.tick", "\"" + std::string(bytes) + R"(":1)");
    EXPECT_TRUE(rejects(in_key, "line"));
    const std::string in_id = R"({"id":")" + std::string(bytes) + R"(","type":"clock.tick","ts":0})";
    EXPECT_TRUE(rejects(in_id, "line"));
  }
}

TEST_F(ParserTest, NotAnObject) {
  for (const char* bad : {"[]", R"([{"id":"e1","type":"clock.tick","ts":0}])", "5", "-1.5", R"("event")", "null",
                          "true", "false"}) {
    EXPECT_TRUE(rejects(bad, "json")) << bad;
  }
  EXPECT_EQ(error_of("[]"), "json: not a JSON object: each line must be one event object");
  EXPECT_EQ(error_of("5"), "json: not a JSON object: each line must be one event object");
}

TEST_F(ParserTest, TrailingContentAfterTheObject) {
  const std::string good = master_event("clock.tick");
  EXPECT_TRUE(rejects(good + " x", "json"));
  EXPECT_TRUE(rejects(good + "}", "json"));
  EXPECT_TRUE(rejects(good + "]", "json"));
  EXPECT_TRUE(rejects(good + ",", "json"));
  EXPECT_TRUE(rejects(good + good, "json"));
  EXPECT_TRUE(rejects(good + " " + good, "json"));
  EXPECT_TRUE(rejects(good + " 1", "json"));
  EXPECT_TRUE(rejects(good + R"("x")", "json"));
  // Named as such, not as a line cut short (simdjson's own message for both): only that one
  // means the producer lost bytes. Braces and quotes inside strings do not close the object.
  const std::string tricky = R"({"id":"e1","type":"clock.tick","ts":0,"note":"}{ \" ]"})";
  for (const std::string tail : {" 5", R"( "x")", " trailing", "{}", " [1]", "}", ","}) {
    EXPECT_EQ(error_of(tricky + tail), "json: invalid JSON: unexpected content after the event object") << tail;
    EXPECT_EQ(error_of(good + tail), "json: invalid JSON: unexpected content after the event object") << tail;
  }
  EXPECT_EQ(error_of(R"({"id":"e1","type":"clock.tick","note":"a}b")"),
            "json: invalid JSON: JSON document ended early in the middle of an object or array.");
  // Whitespace around the object is fine.
  EXPECT_TRUE(accepts(good + "  \t"));
  EXPECT_TRUE(accepts("  " + good));
  EXPECT_TRUE(accepts(good + "\r\n"));
}

TEST_F(ParserTest, LineOverOneMebibyte) {
  const std::string head = R"({"id":"e1","type":"clock.tick","ts":0,"pad":")";
  const std::string tail = R"("})";
  const std::string exact = head + std::string(kMaxLineBytes - head.size() - tail.size(), 'p') + tail;
  ASSERT_EQ(exact.size(), kMaxLineBytes);
  EXPECT_TRUE(accepts(exact));
  const std::string over = head + std::string(kMaxLineBytes - head.size() - tail.size() + 1, 'p') + tail;
  EXPECT_TRUE(rejects(over, "line"));
  EXPECT_NE(error_of(over).find("1 MiB"), std::string::npos) << error_of(over);
  // The parser stays usable afterwards.
  EXPECT_TRUE(accepts(master_event("clock.tick")));
}

// ---- enums ---------------------------------------------------------------------------------

TEST_F(ParserTest, OrderCreatedEnums) {
  const std::string base = R"("user_id":"U7","amount":1180,)";
  ASSERT_TRUE(accepts(order_event(
      "order.created",
      base + R"("kind":"errand","payment_method":"cod","user_tier":"vip","substitution_pref":"substitute")")));
  EXPECT_EQ(event_.kind, OrderKind::kErrand);
  EXPECT_EQ(event_.payment_method, PaymentMethod::kCod);
  EXPECT_TRUE(event_.has_user_tier);
  EXPECT_EQ(event_.user_tier, UserTier::kVip);
  EXPECT_TRUE(event_.has_substitution_pref);
  EXPECT_EQ(event_.substitution_pref, SubstitutionPref::kSubstitute);
  ASSERT_TRUE(accepts(order_event("order.created", base + R"("kind":"mall","payment_method":"online")")));
  EXPECT_EQ(event_.kind, OrderKind::kMall);
  EXPECT_EQ(event_.payment_method, PaymentMethod::kOnline);
  ASSERT_TRUE(accepts(order_event("order.created", base + R"("kind":"grocery","user_tier":"normal")")));
  EXPECT_EQ(event_.kind, OrderKind::kGrocery);
  EXPECT_EQ(event_.user_tier, UserTier::kNormal);

  EXPECT_TRUE(rejects(order_event("order.created", base + R"("kind":"bulk")"), "kind"));
  EXPECT_EQ(error_of(order_event("order.created", base + R"("kind":"bulk")")),
            "kind: unknown value 'bulk' (one of grocery, errand, mall)");
  EXPECT_TRUE(rejects(order_event("order.created", base + R"("kind":"Grocery")"), "kind"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"("kind":3)"), "kind"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"("payment_method":"credit")"), "payment_method"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"("user_tier":"gold")"), "user_tier"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"("substitution_pref":"maybe")"), "substitution_pref"));
}

TEST_F(ParserTest, CancelledBy) {
  const std::pair<const char*, CancelledBy> values[] = {{"user", CancelledBy::kUser},
                                                        {"merchant", CancelledBy::kMerchant},
                                                        {"rider", CancelledBy::kRider},
                                                        {"system", CancelledBy::kSystem}};
  for (const auto& [name, value] : values) {
    ASSERT_TRUE(accepts(order_event("order.cancelled", std::string(R"("by":")") + name + "\"")));
    EXPECT_EQ(event_.cancelled_by, value) << name;
  }
  ASSERT_TRUE(accepts(order_event("order.cancelled")));
  EXPECT_EQ(event_.cancelled_by, CancelledBy::kUnknown);
  EXPECT_TRUE(rejects(order_event("order.cancelled", R"("by":"alien")"), "by"));
}

TEST_F(ParserTest, AttemptFailedReason) {
  const std::pair<const char*, AttemptFailure> values[] = {{"no_answer", AttemptFailure::kNoAnswer},
                                                           {"wrong_address", AttemptFailure::kWrongAddress},
                                                           {"refused", AttemptFailure::kRefused},
                                                           {"other", AttemptFailure::kOther}};
  for (const auto& [name, value] : values) {
    ASSERT_TRUE(
        accepts(order_event("delivery.attempt_failed", std::string(R"("reason":")") + name + R"(","note":"敲门无人")")));
    EXPECT_EQ(event_.attempt_failure, value) << name;
  }
  EXPECT_TRUE(rejects(order_event("delivery.attempt_failed", R"("reason":"dog_ate_it")"), "reason"));
  // `reason` is free text elsewhere.
  EXPECT_TRUE(accepts(order_event("order.cancelled", R"("reason":"dog_ate_it")")));
}

TEST_F(ParserTest, ComplaintKind) {
  const std::pair<const char*, ComplaintKind> values[] = {
      {"damaged", ComplaintKind::kDamaged},         {"quality", ComplaintKind::kQuality},
      {"wrong_item", ComplaintKind::kWrongItem},    {"missing_item", ComplaintKind::kMissingItem},
      {"expired", ComplaintKind::kExpired},         {"other", ComplaintKind::kOther}};
  for (const auto& [name, value] : values) {
    ASSERT_TRUE(accepts(order_event("complaint.filed", std::string(R"("kind":")") + name +
                                                           R"(","items":[{"sku":"s1","qty":1}],"text":"烂了")")));
    EXPECT_EQ(event_.complaint_kind, value) << name;
  }
  EXPECT_TRUE(rejects(order_event("complaint.filed", R"("kind":"smell")"), "kind"));
  EXPECT_TRUE(rejects(order_event("complaint.filed", R"("kind":"errand")"), "kind"));  // an order kind
}

TEST_F(ParserTest, UserProfileEnums) {
  EXPECT_TRUE(rejects(master_event("user.profile", R"("user_id":"U","tier":"gold")"), "tier"));
  EXPECT_TRUE(rejects(master_event("user.profile", R"("user_id":"U","substitution_pref":"never")"),
                      "substitution_pref"));
  EXPECT_TRUE(rejects(master_event("user.profile", R"("user_id":"U","channels":["app","fax"])"), "channels"));
  EXPECT_NE(error_of(master_event("user.profile", R"("user_id":"U","channels":["fax"])")).find("'fax'"),
            std::string::npos);
  EXPECT_TRUE(rejects(master_event("user.profile", R"("user_id":"U","channels":"app")"), "channels"));
  EXPECT_TRUE(rejects(master_event("user.profile", R"("user_id":"U","channels":[1])"), "channels"));
  EXPECT_TRUE(rejects(master_event("user.profile", R"("user_id":"U","channels":[null])"), "channels"));
  ASSERT_TRUE(accepts(master_event("user.profile", R"("user_id":"U","channels":[])")));
  EXPECT_TRUE(event_.channels().empty());
  ASSERT_TRUE(accepts(master_event("user.profile", R"("user_id":"U","substitution_pref":"contact")")));
  EXPECT_EQ(event_.substitution_pref, SubstitutionPref::kContact);
  EXPECT_TRUE(event_.has_substitution_pref);
}

TEST_F(ParserTest, EnumFieldsOfOtherTypesAreNotChecked) {
  // `kind` means something for order.created and complaint.filed only.
  EXPECT_TRUE(accepts(order_event("payment.succeeded", R"("amount":1,"txn_id":"T","kind":"whatever")")));
  EXPECT_TRUE(accepts(order_event("rider.cancelled", R"("rider_id":"R","reason":"whatever")")));
}

// ---- unknown fields, Chinese text ----------------------------------------------------------

TEST_F(ParserTest, UnknownExtraFieldsAreAccepted) {
  ASSERT_TRUE(accepts(order_event(
      "order.created",
      R"("user_id":"U7","amount":1180,"extra":{"nested":[1,2.5e3,-0.1,true,false,null,"s",{"deep":[]}]},"flag":true,"n":null,"big":123456789012345678901234567890,"tiny":1e-400,"huge":1e400,"address":{"text":"a","floor":12,"geo":{"x":1}},"items":[{"sku":"s1","name":"西红柿","brand":{"zh":"农夫"}}],"coupon":{"code":"C","note":[1,2]})")));
  EXPECT_EQ(event_.amount, 1180);
  ASSERT_EQ(event_.items.size(), 1u);
  EXPECT_EQ(text(event_.items[0].sku), "s1");
  EXPECT_TRUE(event_.address.has_text);
  EXPECT_EQ(text(event_.coupon.code), "C");
}

TEST_F(ParserTest, ChineseStrings) {
  ASSERT_TRUE(accepts(order_event(
      "order.created",
      R"("user_id":"用户七","amount":1,"zone":"海淀区-3","community":"清河小区","merchant_id":"超市①","items":[{"sku":"西红柿-500g","category":"蔬菜"}])")));
  EXPECT_EQ(text(event_.user_id), "用户七");
  EXPECT_EQ(text(event_.zone), "海淀区-3");
  EXPECT_EQ(text(event_.merchant_id), "超市①");
  EXPECT_EQ(text(event_.items[0].sku), "西红柿-500g");
  const Symbol community = event_.community;
  // The same text written as \u escapes is the same symbol.
  ASSERT_TRUE(accepts(master_event("zone.config", R"("zone":"Z","community":"\u6e05\u6cb3\u5c0f\u533a")")));
  EXPECT_EQ(event_.community, community);
  EXPECT_EQ(text(event_.community), "清河小区");
  // Non-BMP characters via surrogate pairs.
  ASSERT_TRUE(accepts(master_event("user.profile", R"("user_id":"\ud83c\udf45")")));
  EXPECT_EQ(text(event_.user_id), "🍅");
}

// ---- nested objects and arrays -------------------------------------------------------------

TEST_F(ParserTest, ItemsParsing) {
  ASSERT_TRUE(accepts(order_event(
      "order.created",
      R"("user_id":"U","amount":1,"items":[{"sku":"a","qty":3,"unit_price":100,"category":"fruit"},{"sku":"b"},{"qty":null,"sku":"c","unit_price":null}])")));
  ASSERT_EQ(event_.items.size(), 3u);
  EXPECT_EQ(text(event_.items[0].sku), "a");
  EXPECT_EQ(event_.items[0].qty, 3);
  EXPECT_EQ(event_.items[0].unit_price, 100);
  EXPECT_EQ(text(event_.items[1].sku), "b");
  EXPECT_EQ(event_.items[1].qty, 1);  // default
  EXPECT_EQ(event_.items[1].unit_price, kAbsent);
  EXPECT_EQ(event_.items[2].qty, 1);  // null is absent
  EXPECT_EQ(event_.items[2].unit_price, kAbsent);

  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":"U","amount":1,"items":[])")));
  EXPECT_TRUE(event_.items.empty());
}

// EVENTS.md marks no field of an item required: a campus errand's line may be only a name and
// a price. Such a line is kept without a sku (decisions #14), as is one whose sku is "" or null.
TEST_F(ParserTest, ItemWithoutSkuIsALineWithoutSku) {
  ASSERT_TRUE(accepts(order_event(
      "order.created",
      R"("user_id":"U","amount":1,"items":[{"sku":"a"},{"name":"取快递","qty":2,"unit_price":300},{"sku":""},{"sku":null},{}])")));
  ASSERT_EQ(event_.items.size(), 5u);
  EXPECT_NE(event_.items[0].sku, kNoSymbol);
  EXPECT_EQ(event_.items[1].sku, kNoSymbol);
  EXPECT_EQ(event_.items[1].qty, 2);
  EXPECT_EQ(event_.items[1].unit_price, 300);
  for (std::size_t i = 2; i < 5; ++i) {
    EXPECT_EQ(event_.items[i].sku, kNoSymbol) << i;
    EXPECT_EQ(event_.items[i].qty, 1) << i;
  }
  // A numeric sku is its decimal text (decisions #23), the same SKU as the string.
  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":"U","amount":1,"items":[{"sku":6901234567890,"qty":1}])")));
  EXPECT_EQ(text(event_.items[0].sku), "6901234567890");
}

TEST_F(ParserTest, ItemsErrors) {
  const std::string base = R"("user_id":"U","amount":1,"items":)";
  EXPECT_EQ(error_of(order_event("order.created", base + R"([{"sku":"a","qty":0}])")),
            "items[0].qty: must be at least 1");
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([{"sku":"a"},{"sku":"b","qty":-2}])"), "items[1].qty"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([{"sku":"a","qty":1.5}])"), "items[0].qty"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([{"sku":"a","qty":"2"}])"), "items[0].qty"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([{"sku":7.5}])"), "items[0].sku"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([{"sku":false}])"), "items[0].sku"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"("tomato")"), "items"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"({"sku":"a"})"), "items"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([1])"), "items"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([{"sku":"a"},"b"])"), "items"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([{"sku":"a","expires_at":"soon"}])"),
                      "items[0].expires_at"));

  std::string many = "[";
  for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + R"({"sku":"s"})";
  many += "]";
  EXPECT_TRUE(rejects(order_event("order.created", base + many), "items"));
}

TEST_F(ParserTest, PickingCompletedItemsWithExpiry) {
  ASSERT_TRUE(accepts(order_event(
      "picking.completed",
      R"("items":[{"sku":"milk","qty":2,"expires_at":"2026-11-23T00:00:00+08:00"},{"sku":"bread","expires_at":1795226400000}])")));
  ASSERT_EQ(event_.items.size(), 2u);
  EXPECT_EQ(event_.items[0].expires_at, k20261121T02Z + 38 * kHourMs);
  EXPECT_EQ(event_.items[1].expires_at, k20261121T02Z);
  ASSERT_TRUE(accepts(order_event("stock.reserved", R"("items":[{"sku":"milk","qty":2}])")));
  ASSERT_EQ(event_.items.size(), 1u);
  EXPECT_EQ(event_.items[0].qty, 2);
}

TEST_F(ParserTest, AddressParsing) {
  const std::string base = R"("user_id":"U","amount":1,"address":)";
  ASSERT_TRUE(accepts(order_event("order.created", base + R"({"text":"清河小区3号楼","lat":40.03})")));
  EXPECT_TRUE(event_.address.present);
  EXPECT_TRUE(event_.address.has_text);
  EXPECT_FALSE(event_.address.has_building);
  EXPECT_FALSE(event_.address.has_room);
  EXPECT_FALSE(event_.address.has_position);  // only one coordinate

  ASSERT_TRUE(accepts(order_event("order.created", base + R"({"text":"","building":null,"lat":null,"lng":116})")));
  EXPECT_TRUE(event_.address.present);
  EXPECT_FALSE(event_.address.has_text);
  EXPECT_FALSE(event_.address.has_building);
  EXPECT_FALSE(event_.address.has_position);

  ASSERT_TRUE(accepts(order_event("order.address_changed", R"("address":{"room":"501","lat":-33.9,"lng":151.2})")));
  EXPECT_TRUE(event_.address.has_room);
  EXPECT_TRUE(event_.address.has_position);
  EXPECT_DOUBLE_EQ(event_.address.position.lat, -33.9);
  EXPECT_DOUBLE_EQ(event_.address.position.lng, 151.2);

  ASSERT_TRUE(accepts(order_event("order.created", base + "{}")));
  EXPECT_TRUE(event_.address.present);
  ASSERT_TRUE(accepts(order_event("order.created", base + "null")));
  EXPECT_FALSE(event_.address.present);

  EXPECT_TRUE(rejects(order_event("order.created", base + R"({"lat":91,"lng":0})"), "address.lat"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"({"lat":0,"lng":"116"})"), "address.lng"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"({"text":5})"), "address.text"));
  // A numbered building or room is given (decisions #23): not an incomplete address.
  ASSERT_TRUE(accepts(order_event("order.created", base + R"({"text":"清河小区","building":3,"unit":2,"room":501})")));
  EXPECT_TRUE(event_.address.has_building);
  EXPECT_TRUE(event_.address.has_room);
  EXPECT_TRUE(rejects(order_event("order.created", base + R"({"text":"清河小区","room":5.01})"), "address.room"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"("清河小区")"), "address"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"([])"), "address"));
}

TEST_F(ParserTest, CouponParsing) {
  const std::string base = R"("user_id":"U","amount":1,"coupon":)";
  ASSERT_TRUE(accepts(order_event(
      "order.created", base + R"({"code":"C10","discount":200,"min_spend":1000,"expires_at":"2026-12-01T00:00:00Z"})")));
  EXPECT_TRUE(event_.coupon.present);
  EXPECT_EQ(text(event_.coupon.code), "C10");
  EXPECT_EQ(event_.coupon.discount, 200);
  EXPECT_EQ(event_.coupon.min_spend, 1000);
  EXPECT_EQ(event_.coupon.expires_at, *parse_rfc3339_ms("2026-12-01T00:00:00Z"));

  ASSERT_TRUE(accepts(order_event("order.created", base + R"({"discount":null,"min_spend":null})")));
  EXPECT_TRUE(event_.coupon.present);
  EXPECT_EQ(event_.coupon.discount, 0);
  EXPECT_EQ(event_.coupon.min_spend, kAbsent);
  ASSERT_TRUE(accepts(order_event("order.created", base + "null")));
  EXPECT_FALSE(event_.coupon.present);

  EXPECT_TRUE(rejects(order_event("order.created", base + R"({"expires_at":"tomorrow"})"), "coupon.expires_at"));
  ASSERT_TRUE(accepts(order_event("order.created", base + R"({"code":1})")));
  EXPECT_EQ(text(event_.coupon.code), "1");
  EXPECT_TRUE(rejects(order_event("order.created", base + R"({"code":true})"), "coupon.code"));
  EXPECT_TRUE(rejects(order_event("order.created", base + R"("C10")"), "coupon"));
}

TEST_F(ParserTest, ZoneConfigWithPickupPoints) {
  ASSERT_TRUE(accepts(master_event(
      "zone.config",
      R"("zone":"Z1","lat":40.0,"lng":116.3,"radius_m":3000.5,"pickup_points":[{"id":"P1","name":"菜鸟驿站","lat":40.01,"lng":116.31},{"id":"P2","lat":40.02,"lng":116.32}])")));
  EXPECT_EQ(text(event_.zone), "Z1");
  EXPECT_TRUE(event_.has_position);
  EXPECT_DOUBLE_EQ(event_.radius_m, 3000.5);
  ASSERT_EQ(event_.pickup_points().size(), 2u);
  EXPECT_EQ(text(event_.pickup_points()[0].id), "P1");
  EXPECT_DOUBLE_EQ(event_.pickup_points()[0].position.lat, 40.01);
  EXPECT_DOUBLE_EQ(event_.pickup_points()[0].position.lng, 116.31);
  EXPECT_EQ(text(event_.pickup_points()[1].id), "P2");

  ASSERT_TRUE(accepts(master_event("zone.config", R"("zone":"Z1","lat":40.0)")));
  EXPECT_FALSE(event_.has_position);
  EXPECT_TRUE(rejects(master_event("zone.config", R"("zone":"Z1","pickup_points":[{"id":"P","lat":100,"lng":0}])"),
                      "pickup_points[0].lat"));
  EXPECT_TRUE(rejects(master_event("zone.config", R"("zone":"Z1","pickup_points":{"id":"P"})"), "pickup_points"));
  EXPECT_TRUE(rejects(master_event("zone.config", R"("zone":"Z1","pickup_points":["P"])"), "pickup_points"));
  EXPECT_TRUE(rejects(master_event("zone.config", R"("zone":"Z1","radius_m":-1)"), "radius_m"));
  EXPECT_TRUE(rejects(master_event("zone.config", R"("zone":"Z1","radius_m":"3km")"), "radius_m"));
}

TEST_F(ParserTest, TagsErrors) {
  EXPECT_TRUE(rejects(master_event("catalog.item", R"("sku":"s","tags":"organic")"), "tags"));
  EXPECT_TRUE(rejects(master_event("catalog.item", R"("sku":"s","tags":["a",1])"), "tags"));
  ASSERT_TRUE(accepts(master_event("catalog.item", R"("sku":"s","tags":[])")));
  EXPECT_TRUE(event_.tags().empty());
}

TEST_F(ParserTest, RepeatedArrayKeyReplaces) {
  ASSERT_TRUE(accepts(order_event(
      "order.created", R"("user_id":"U","amount":1,"items":[{"sku":"a","qty":5},{"sku":"b"}],"items":[{"sku":"c"}])")));
  ASSERT_EQ(event_.items.size(), 1u);
  EXPECT_EQ(text(event_.items[0].sku), "c");
  EXPECT_EQ(event_.items[0].qty, 1);
  ASSERT_TRUE(accepts(master_event("catalog.item", R"("sku":"s","tags":["a","b"],"tags":["c"])")));
  ASSERT_EQ(event_.tags().size(), 1u);
  EXPECT_EQ(text(event_.tags()[0]), "c");
}

// ---- null is absent ------------------------------------------------------------------------

TEST_F(ParserTest, NullOptionalFieldsAreAbsent) {
  ASSERT_TRUE(accepts(order_event(
      "order.created",
      R"("user_id":"U","amount":1,"kind":null,"merchant_id":null,"zone":null,"community":null,"address":null,"items":null,"coupon":null,"payment_method":null,"promise_at":null,"slot_start":null,"slot_end":null,"user_tier":null,"substitution_pref":null,"source":null)")));
  EXPECT_EQ(event_.kind, OrderKind::kGrocery);
  EXPECT_EQ(event_.merchant_id, kNoSymbol);
  EXPECT_EQ(event_.zone, kNoSymbol);
  EXPECT_EQ(event_.community, kNoSymbol);
  EXPECT_FALSE(event_.address.present);
  EXPECT_TRUE(event_.items.empty());
  EXPECT_FALSE(event_.coupon.present);
  EXPECT_EQ(event_.payment_method, PaymentMethod::kOnline);
  EXPECT_EQ(event_.promise_at, kAbsent);
  EXPECT_EQ(event_.slot_start, kAbsent);
  EXPECT_EQ(event_.slot_end, kAbsent);
  EXPECT_FALSE(event_.has_user_tier);
  EXPECT_FALSE(event_.has_substitution_pref);

  ASSERT_TRUE(accepts(master_event(
      "rider.status", R"("rider_id":"R","zone":null,"online":null,"lat":null,"lng":null,"active_orders":null)")));
  EXPECT_FALSE(event_.online);
  EXPECT_FALSE(event_.has_position);
  EXPECT_EQ(event_.active_orders, kAbsent);

  ASSERT_TRUE(accepts(master_event("zone.config", R"("zone":"Z","radius_m":null,"pickup_points":null,"lat":null)")));
  EXPECT_EQ(event_.radius_m, -1);
  EXPECT_TRUE(event_.pickup_points().empty());

  ASSERT_TRUE(accepts(master_event(
      "catalog.item", R"("sku":"s","price":null,"tags":null,"reorder_point":null,"category":null,"name":null)")));
  EXPECT_EQ(event_.price, kAbsent);
  EXPECT_TRUE(event_.tags().empty());

  ASSERT_TRUE(accepts(master_event("user.profile", R"("user_id":"U","tier":null,"channels":null,"phone":null)")));
  EXPECT_FALSE(event_.has_user_tier);
  EXPECT_TRUE(event_.channels().empty());

  ASSERT_TRUE(accepts(order_event("order.cancelled", R"("by":null,"reason":null,"reason_code":null)")));
  EXPECT_EQ(event_.cancelled_by, CancelledBy::kUnknown);
  EXPECT_EQ(event_.code, kNoSymbol);

  ASSERT_TRUE(accepts(order_event("delivery.attempt_failed", R"("reason":null)")));
  ASSERT_TRUE(accepts(order_event("complaint.filed", R"("kind":null,"items":null,"text":null)")));
  ASSERT_TRUE(accepts(order_event(
      "order.created", R"("user_id":"U","amount":1,"items":[{"sku":"a","category":null,"expires_at":null}])")));
  EXPECT_EQ(event_.items[0].expires_at, kAbsent);
  ASSERT_TRUE(accepts(master_event("zone.config", R"("zone":"Z","pickup_points":[{"id":"P","lat":null}])")));
}

// ---- reuse of one Event --------------------------------------------------------------------

TEST_F(ParserTest, ReusedEventCarriesNothingOver) {
  const std::string rich_lines[] = {
      order_event(
          "order.created",
          R"("user_id":"U7","amount":1180,"kind":"mall","payment_method":"cod","user_tier":"vip","substitution_pref":"refund","merchant_id":"M1","zone":"Z1","community":"C1","promise_at":0,"slot_start":0,"slot_end":1,"address":{"text":"t","building":"b","room":"r","lat":1,"lng":2},"coupon":{"code":"C","discount":5,"min_spend":10,"expires_at":0},"items":[{"sku":"a","qty":2,"unit_price":1,"category":"c","expires_at":0}])"),
      // Fields the type does not use are still read into the Event.
      master_event(
          "clock.tick",
          R"("order_id":"O9","rider_id":"R","txn_id":"T","refund_id":"RF","sku":"s","substitute_sku":"s2","category":"c","warehouse":"W","code":"X","amount":1,"requested":2,"available":3,"price":4,"reorder_point":5,"active_orders":6,"score":3,"radius_m":7,"accepted":true,"online":true,"lat":1,"lng":2,"tags":["t"],"pickup_points":[{"id":"P"}],"channels":["sms"],"user_id":"U","merchant_id":"M","zone":"Z","community":"C","promise_at":1,"slot_start":1,"slot_end":1,"address":{"text":"x"},"coupon":{"code":"C"},"items":[{"sku":"a"}])"),
      order_event("order.cancelled", R"("by":"merchant")"),
      order_event("delivery.attempt_failed", R"("reason":"refused")"),
      order_event("complaint.filed", R"("kind":"damaged")"),
      order_event("rider.location", R"("rider_id":"R","lat":1,"lng":2)"),
      master_event("user.profile", R"("user_id":"U","tier":"vip","substitution_pref":"substitute","channels":["app"])"),
      order_event("substitution.responded", R"("sku":"s","accepted":true)"),
      master_event(
          "agent.joined",
          R"("agent_id":"A7","name":"王芳","skills":["payment","senior"],"capacity":5,"supervisor":true,"on_duty":true)"),
      master_event("agent.resolve", R"("incident_id":"inc-1","agent_id":"A7","resolution_code":"refunded","note":"n")"),
      master_event("agent.reassign", R"("incident_id":"inc-1","agent_id":"A7","to":"A2")"),
  };
  for (const auto& rich : rich_lines) {
    ASSERT_TRUE(accepts(rich));
    ASSERT_TRUE(accepts(R"({"id":"e2","type":"clock.tick","ts":5})"));
    EXPECT_EQ(event_.id, "e2");
    EXPECT_EQ(event_.id_hash, hash64("e2"));
    EXPECT_EQ(event_.type, EventType::kClockTick);
    EXPECT_EQ(event_.ts, 5);
    expect_blank_payload(event_);
  }
}

TEST_F(ParserTest, ReusedEventAfterARejectedLine) {
  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":"U7","amount":1180,"items":[{"sku":"a"},{"sku":"b"}])")));
  // Rejected half-way through: some fields were already written.
  ASSERT_FALSE(parse(order_event("order.created", R"("user_id":"U8","amount":5,"items":[{"sku":"c"}],"kind":"x")")));
  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":"U9","amount":7)")));
  EXPECT_EQ(text(event_.user_id), "U9");
  EXPECT_EQ(event_.amount, 7);
  EXPECT_TRUE(event_.items.empty());
  EXPECT_EQ(event_.kind, OrderKind::kGrocery);
}

TEST_F(ParserTest, PrefilledEventIsResetBeforeParsing) {
  event_.id = "stale";
  event_.amount = 99;
  event_.items.push_back(Item{});
  event_.has_position = true;
  event_.address.present = true;
  ASSERT_TRUE(accepts(R"({"id":"e3","type":"clock.tick","ts":0})"));
  EXPECT_EQ(event_.id, "e3");
  expect_blank_payload(event_);
}

TEST_F(ParserTest, PositionFlagDoesNotLeakBetweenTypes) {
  ASSERT_TRUE(accepts(order_event("rider.location", R"("rider_id":"R","lat":1,"lng":2)")));
  EXPECT_TRUE(event_.has_position);
  ASSERT_TRUE(accepts(master_event("rider.status", R"("rider_id":"R")")));
  EXPECT_FALSE(event_.has_position);
  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":"U","amount":1,"kind":"errand")")));
  ASSERT_TRUE(accepts(order_event("order.created", R"("user_id":"U","amount":1)")));
  EXPECT_EQ(event_.kind, OrderKind::kGrocery);
}

// ---- agent events --------------------------------------------------------------------------

// The rare parts (tags, pickup points, channels, agent fields) live behind one pointer: a copy
// has its own, a reset gives them back, and an event without them reads them as empty.
TEST_F(ParserTest, RarePartsAreCopiedWholeAndGivenBackOnReset) {
  ASSERT_TRUE(accepts(
      R"({"id":"a1","type":"agent.joined","ts":"2026-11-21T08:00:00+08:00","agent_id":"A7","name":"王芳","skills":["payment"],"capacity":5,"on_duty":true})"));
  ASSERT_TRUE(event_.has_rare());
  Event copy = event_;
  EXPECT_EQ(first_difference(copy, event_), "");
  copy.rare().agent.name = "李雷";
  EXPECT_EQ(event_.agent().name, "王芳");  // not shared
  EXPECT_EQ(first_difference(copy, event_), "agent.name");
  copy = event_;
  EXPECT_EQ(copy.agent().name, "王芳");

  ASSERT_TRUE(accepts(master_event("user.profile", R"("user_id":"U7","channels":["sms"])")));
  EXPECT_EQ(event_.channels(), std::vector<Channel>{Channel::kSms});
  EXPECT_TRUE(event_.agent().agent_id.empty());  // the last line's agent fields are gone
  copy = event_;
  EXPECT_EQ(copy.channels(), std::vector<Channel>{Channel::kSms});
  EXPECT_TRUE(copy.agent().name.empty());

  ASSERT_TRUE(accepts(master_event("catalog.item", R"("sku":"a")")));
  EXPECT_FALSE(event_.has_rare());  // an ordinary line allocates none
  EXPECT_TRUE(event_.channels().empty());
  copy = event_;
  EXPECT_FALSE(copy.has_rare());
  EXPECT_EQ(first_difference(copy, event_), "");
}

TEST_F(ParserTest, SpecExampleAgentEvents) {
  ASSERT_TRUE(accepts(
      R"({"id":"a1","type":"agent.joined","ts":"2026-11-21T08:00:00+08:00","agent_id":"A7","name":"王芳","skills":["payment","senior"],"capacity":5,"on_duty":true})"));
  EXPECT_EQ(event_.type, EventType::kAgentJoined);
  EXPECT_EQ(event_.ts, k20261121T02Z - 2 * kHourMs);
  EXPECT_EQ(event_.order_id, kNoSymbol);
  EXPECT_EQ(event_.agent().agent_id, "A7");
  EXPECT_EQ(event_.agent().name, "王芳");
  EXPECT_EQ(event_.agent().skills, (1u << 0) | (1u << 5));  // payment, senior
  EXPECT_EQ(event_.agent().capacity, 5);
  EXPECT_FALSE(event_.agent().supervisor);  // default
  EXPECT_TRUE(event_.agent().on_duty);

  ASSERT_TRUE(accepts(
      R"({"id":"a2","type":"agent.ack","ts":"2026-11-21T10:03:10+08:00","incident_id":"inc-3f2a9c0d1b7e4a55","agent_id":"A7"})"));
  EXPECT_EQ(event_.type, EventType::kAgentAck);
  EXPECT_EQ(event_.agent().incident_id, "inc-3f2a9c0d1b7e4a55");
  EXPECT_EQ(event_.agent().agent_id, "A7");

  ASSERT_TRUE(accepts(
      R"({"id":"a3","type":"agent.resolve","ts":"2026-11-21T10:09:00+08:00","incident_id":"inc-3f2a9c0d1b7e4a55","agent_id":"A7","resolution_code":"refunded","note":"已电话联系用户并退款"})"));
  EXPECT_EQ(event_.type, EventType::kAgentResolve);
  EXPECT_EQ(event_.agent().resolution_code, "refunded");
  EXPECT_EQ(event_.agent().text, "已电话联系用户并退款");
}

TEST_F(ParserTest, AgentJoinedFillsEveryField) {
  ASSERT_TRUE(accepts(master_event(
      "agent.joined",
      R"("agent_id":"A1","name":"Li Lei","skills":["senior","risk","aftersale","delivery","inventory","payment"],"capacity":100,"supervisor":true,"on_duty":false)")));
  EXPECT_EQ(event_.agent().agent_id, "A1");
  EXPECT_EQ(event_.agent().name, "Li Lei");
  EXPECT_EQ(event_.agent().skills, 0x3F);
  EXPECT_EQ(event_.agent().capacity, 100);
  EXPECT_TRUE(event_.agent().supervisor);
  EXPECT_FALSE(event_.agent().on_duty);
  // Bit i is skill i in EVENTS.md order, whatever order the line lists them in.
  const std::pair<std::string_view, unsigned> skills[] = {{"payment", 1u}, {"inventory", 2u}, {"delivery", 4u},
                                                          {"aftersale", 8u}, {"risk", 16u}, {"senior", 32u}};
  for (const auto& [name, bit] : skills) {
    ASSERT_TRUE(accepts(master_event("agent.joined", R"("agent_id":"A1","capacity":1,"skills":[")" + std::string(name) + R"("])")));
    EXPECT_EQ(event_.agent().skills, bit) << name;
  }
  // Optional fields at their defaults: absent, null, an empty list.
  ASSERT_TRUE(accepts(master_event("agent.joined", R"("agent_id":"A1","capacity":0)")));
  EXPECT_EQ(event_.agent().capacity, 0);
  EXPECT_TRUE(event_.agent().name.empty());
  EXPECT_EQ(event_.agent().skills, 0);
  EXPECT_FALSE(event_.agent().supervisor);
  EXPECT_FALSE(event_.agent().on_duty);
  ASSERT_TRUE(accepts(master_event(
      "agent.joined", R"("agent_id":"A1","capacity":2,"name":null,"skills":null,"supervisor":null,"on_duty":null)")));
  EXPECT_EQ(event_.agent().capacity, 2);
  EXPECT_EQ(event_.agent().skills, 0);
  ASSERT_TRUE(accepts(master_event("agent.joined", R"("agent_id":"A1","capacity":2,"skills":[],"name":"")")));
  EXPECT_EQ(event_.agent().skills, 0);
  EXPECT_TRUE(event_.agent().name.empty());
  // A skill named twice is that skill; a repeated key replaces.
  ASSERT_TRUE(accepts(master_event("agent.joined", R"("agent_id":"A1","capacity":2,"skills":["risk","risk"])")));
  EXPECT_EQ(event_.agent().skills, 16);
  ASSERT_TRUE(accepts(master_event("agent.joined", R"("agent_id":"A1","capacity":2,"skills":["risk"],"skills":["senior"])")));
  EXPECT_EQ(event_.agent().skills, 32);
}

TEST_F(ParserTest, AgentHandlingEventsFillTheirFields) {
  ASSERT_TRUE(accepts(master_event("agent.duty", R"("agent_id":"A7","on_duty":false)")));
  EXPECT_EQ(event_.type, EventType::kAgentDuty);
  EXPECT_EQ(event_.agent().agent_id, "A7");
  EXPECT_FALSE(event_.agent().on_duty);
  ASSERT_TRUE(accepts(master_event("agent.duty", R"("agent_id":"A7","on_duty":true)")));
  EXPECT_TRUE(event_.agent().on_duty);

  ASSERT_TRUE(accepts(master_event("agent.reassign", R"("incident_id":"inc-9","agent_id":"S1","to":"A2")")));
  EXPECT_EQ(event_.agent().incident_id, "inc-9");
  EXPECT_EQ(event_.agent().agent_id, "S1");
  EXPECT_EQ(event_.agent().to, "A2");
  EXPECT_TRUE(event_.agent().text.empty());

  ASSERT_TRUE(accepts(master_event("agent.escalate", R"("incident_id":"inc-9","agent_id":"A7","reason":"用户要求主管处理")")));
  EXPECT_EQ(event_.agent().text, "用户要求主管处理");
  ASSERT_TRUE(accepts(master_event("agent.comment", R"("incident_id":"inc-9","agent_id":"A7","text":"第二次来电")")));
  EXPECT_EQ(event_.agent().text, "第二次来电");
  ASSERT_TRUE(accepts(master_event("agent.false_positive", R"("incident_id":"inc-9","agent_id":"A7")")));
  EXPECT_EQ(event_.type, EventType::kAgentFalsePositive);
  EXPECT_EQ(event_.agent().incident_id, "inc-9");
  EXPECT_TRUE(event_.agent().text.empty());
}

TEST_F(ParserTest, AgentFieldsCountOnlyForTheTypesThatListThem) {
  // Another agent type's fields are extra fields there: not checked, not kept.
  ASSERT_TRUE(accepts(master_event(
      "agent.ack",
      R"("incident_id":"inc-1","agent_id":"A7","note":"n","reason":"r","text":"t","to":"A2","resolution_code":"x","name":"n","capacity":"lots","skills":["cooking"],"supervisor":"yes","on_duty":1)")));
  EXPECT_TRUE(event_.agent().text.empty());
  EXPECT_TRUE(event_.agent().to.empty());
  EXPECT_TRUE(event_.agent().resolution_code.empty());
  EXPECT_TRUE(event_.agent().name.empty());
  EXPECT_EQ(event_.agent().capacity, kAbsent);
  EXPECT_EQ(event_.agent().skills, 0);
  ASSERT_TRUE(accepts(master_event("agent.duty", R"("agent_id":"A7","on_duty":true,"incident_id":7,"capacity":-1)")));
  EXPECT_TRUE(event_.agent().incident_id.empty());
  EXPECT_EQ(event_.agent().capacity, kAbsent);
  // The free text of one agent type does not stand in for another's.
  EXPECT_EQ(error_of(master_event("agent.comment", R"("incident_id":"inc-1","agent_id":"A7","note":"n")")),
            "text: missing (required for agent.comment)");
  EXPECT_EQ(error_of(master_event("agent.escalate", R"("incident_id":"inc-1","agent_id":"A7","text":"t")")),
            "reason: missing (required for agent.escalate)");
}

TEST_F(ParserTest, SharedKeysOfOtherTypesStayIgnored) {
  // catalog.item `name`, delivery.attempt_failed `note`, complaint/rating `text`: free text
  // nobody keeps, of any JSON shape, as before agent events existed.
  ASSERT_TRUE(accepts(master_event("catalog.item", R"("sku":"s1","name":"西红柿")")));
  EXPECT_TRUE(event_.agent().name.empty());
  EXPECT_TRUE(accepts(master_event("catalog.item", R"("sku":"s1","name":{"zh":"西红柿","en":"tomato"})")));
  EXPECT_TRUE(accepts(master_event("catalog.item", R"("sku":"s1","name":)" + std::string("\"") + std::string(300, 'n') + "\"")));
  ASSERT_TRUE(accepts(order_event("delivery.attempt_failed", R"("reason":"no_answer","note":"敲门无人")")));
  EXPECT_EQ(event_.attempt_failure, AttemptFailure::kNoAnswer);
  EXPECT_TRUE(event_.agent().text.empty());
  EXPECT_TRUE(accepts(order_event("delivery.attempt_failed", R"("note":["a",1])")));
  ASSERT_TRUE(accepts(order_event("complaint.filed", R"("kind":"damaged","text":")" + repeat("破", 1000) + R"(")")));
  EXPECT_TRUE(event_.agent().text.empty());
  EXPECT_TRUE(accepts(order_event("rating.submitted", R"("score":5,"text":5)")));
  ASSERT_TRUE(accepts(order_event("order.cancelled", R"("by":"user","reason":"配送太慢")")));
  EXPECT_TRUE(event_.agent().text.empty());
  EXPECT_TRUE(accepts(order_event("order.created", R"("user_id":"U","amount":1,"items":[{"sku":"a","name":"西红柿 500g"}])")));
  // Agent keys on a non-agent type are extra fields too.
  ASSERT_TRUE(accepts(master_event(
      "clock.tick", R"("agent_id":"","incident_id":7,"capacity":1000,"skills":["cooking"],"supervisor":"no","to":null)")));
  EXPECT_TRUE(event_.agent().agent_id.empty());
  EXPECT_EQ(event_.agent().capacity, kAbsent);
  for (const std::string_view number : {"1.5", "1e400", "-7", "123456789012345678901234567890"}) {
    EXPECT_TRUE(accepts(master_event("clock.tick", R"("capacity":)" + std::string(number)))) << number;
  }
  // ... but like every extra field they must be valid JSON.
  EXPECT_TRUE(rejects(master_event("catalog.item", R"("sku":"s1","name":tru)"), "json"));
  EXPECT_TRUE(rejects(order_event("rating.submitted", R"("score":5,"text":[1,})"), "json"));
  EXPECT_TRUE(rejects(master_event("clock.tick", R"("capacity":01)"), "json"));
  EXPECT_TRUE(rejects(master_event("clock.tick", R"("capacity":1.)"), "json"));
  EXPECT_TRUE(rejects(master_event("agent.joined", R"("agent_id":"A1","capacity":1.)"), "json"));
  EXPECT_TRUE(rejects(master_event("clock.tick", R"("skills":["risk",nul])"), "json"));
  EXPECT_TRUE(rejects(master_event("agent.joined", R"("agent_id":"A1","capacity":1,"on_duty":tru)"), "json"));
}

TEST_F(ParserTest, AgentIdentifiersAreOneTo128Bytes) {
  const std::string a128(128, 'a');
  ASSERT_TRUE(accepts(master_event("agent.duty", R"("agent_id":")" + a128 + R"(","on_duty":true)")));
  EXPECT_EQ(event_.agent().agent_id, a128);
  EXPECT_EQ(error_of(master_event("agent.duty", R"("agent_id":")" + a128 + R"(a","on_duty":true)")),
            "agent_id: longer than 128 bytes");
  EXPECT_EQ(error_of(master_event("agent.duty", R"("agent_id":"","on_duty":true)")), "agent_id: must not be empty");
  EXPECT_EQ(error_of(master_event("agent.duty", R"("agent_id":7,"on_duty":true)")), "agent_id: must be a string");
  EXPECT_TRUE(rejects(master_event("agent.duty", R"("agent_id":["A7"],"on_duty":true)"), "agent_id"));
  // Bytes, not characters: 42 x 3-byte characters fit, 43 do not.
  ASSERT_TRUE(accepts(master_event("agent.duty", R"("agent_id":")" + repeat("王", 42) + R"(","on_duty":true)")));
  EXPECT_EQ(event_.agent().agent_id, repeat("王", 42));
  EXPECT_TRUE(rejects(master_event("agent.duty", R"("agent_id":")" + repeat("王", 43) + R"(","on_duty":true)"), "agent_id"));

  const auto ack = [](std::string_view incident) {
    return master_event("agent.ack", R"("agent_id":"A7","incident_id":)" + std::string(incident));
  };
  ASSERT_TRUE(accepts(ack("\"" + a128 + "\"")));
  EXPECT_EQ(event_.agent().incident_id, a128);
  EXPECT_EQ(error_of(ack("\"" + a128 + "x\"")), "incident_id: longer than 128 bytes");
  EXPECT_EQ(error_of(ack(R"("")")), "incident_id: must not be empty");
  EXPECT_EQ(error_of(ack("42")), "incident_id: must be a string");
  EXPECT_EQ(error_of(ack("null")), "incident_id: missing (required for agent.ack)");

  const auto reassign = [](std::string_view to) {
    return master_event("agent.reassign", R"("incident_id":"inc-1","agent_id":"A7","to":)" + std::string(to));
  };
  ASSERT_TRUE(accepts(reassign("\"" + a128 + "\"")));
  EXPECT_EQ(event_.agent().to, a128);
  EXPECT_EQ(error_of(reassign("\"" + a128 + "x\"")), "to: longer than 128 bytes");
  EXPECT_EQ(error_of(reassign(R"("")")), "to: must not be empty");
  EXPECT_EQ(error_of(reassign(R"({"id":"A2"})")), "to: must be a string");

  const auto resolve = [](std::string_view code) {
    return master_event("agent.resolve", R"("incident_id":"inc-1","agent_id":"A7","note":"n","resolution_code":)" + std::string(code));
  };
  ASSERT_TRUE(accepts(resolve("\"" + std::string(64, 'c') + "\"")));
  EXPECT_EQ(event_.agent().resolution_code, std::string(64, 'c'));
  EXPECT_EQ(error_of(resolve("\"" + std::string(65, 'c') + "\"")), "resolution_code: longer than 64 bytes");
  EXPECT_EQ(error_of(resolve(R"("")")), "resolution_code: must not be empty");
  EXPECT_EQ(error_of(resolve("true")), "resolution_code: must be a string");
}

TEST_F(ParserTest, AgentSkillsAreKnownNames) {
  const auto joined = [](std::string_view skills) {
    return master_event("agent.joined", R"("agent_id":"A1","capacity":3,"skills":)" + std::string(skills));
  };
  EXPECT_EQ(error_of(joined(R"(["payment","cooking"])")),
            "skills: unknown skill 'cooking' (payment, inventory, delivery, aftersale, risk, senior)");
  EXPECT_TRUE(rejects(joined(R"(["Payment"])"), "skills"));
  EXPECT_TRUE(rejects(joined(R"([""])"), "skills"));
  // The first unknown name is the one reported.
  EXPECT_NE(error_of(joined(R"(["x1","x2"])")).find("'x1'"), std::string::npos);
  EXPECT_EQ(error_of(joined(R"("payment")")),
            "skills: must be an array of skill names (payment, inventory, delivery, aftersale, risk, senior)");
  EXPECT_TRUE(rejects(joined(R"([1])"), "skills"));
  EXPECT_TRUE(rejects(joined(R"(["payment",null])"), "skills"));
  EXPECT_TRUE(rejects(joined(R"([["payment"]])"), "skills"));
  EXPECT_TRUE(rejects(joined(R"({"payment":true})"), "skills"));
}

TEST_F(ParserTest, AgentCapacityIsZeroTo100) {
  const auto joined = [](std::string_view capacity) {
    return master_event("agent.joined", R"("agent_id":"A1","capacity":)" + std::string(capacity));
  };
  for (const std::string_view ok : {"0", "1", "100"}) {
    ASSERT_TRUE(accepts(joined(ok))) << ok;
    EXPECT_EQ(std::to_string(event_.agent().capacity), ok);
  }
  EXPECT_EQ(error_of(joined("101")), "capacity: must be a whole number from 0 to 100 (open incidents at once)");
  for (const std::string_view bad : {"-1", "101", "1.5", "5e0", "\"5\"", "true", "[5]", "9223372036854775808", "-9223372036854775808"}) {
    EXPECT_TRUE(rejects(joined(bad), "capacity")) << bad;
  }
}

TEST_F(ParserTest, AgentFlagsAreBooleans) {
  EXPECT_EQ(error_of(master_event("agent.joined", R"("agent_id":"A1","capacity":1,"supervisor":"yes")")),
            "supervisor: must be true or false");
  EXPECT_EQ(error_of(master_event("agent.joined", R"("agent_id":"A1","capacity":1,"on_duty":1)")),
            "on_duty: must be true or false");
  EXPECT_EQ(error_of(master_event("agent.duty", R"("agent_id":"A1","on_duty":"true")")), "on_duty: must be true or false");
}

TEST_F(ParserTest, AgentTextsHaveTheirLimits) {
  const auto line = [](std::string_view type, std::string_view field, const std::string& text) {
    std::string fields = R"("incident_id":"inc-1","agent_id":"A7")";
    if (type == "agent.resolve") fields += R"(,"resolution_code":"refunded")";
    return master_event(type, fields + R"(,")" + std::string(field) + R"(":")" + text + R"(")");
  };
  const std::pair<std::string_view, std::string_view> texts[] = {
      {"agent.resolve", "note"}, {"agent.escalate", "reason"}, {"agent.comment", "text"}};
  for (const auto& [type, field] : texts) {
    ASSERT_TRUE(accepts(line(type, field, std::string(2000, 'x')))) << type;
    EXPECT_EQ(event_.agent().text.size(), 2000u);
    EXPECT_EQ(error_of(line(type, field, std::string(2001, 'x'))),
              std::string(field) + ": longer than 2000 bytes (2001 given)");
    // Bytes, not characters: 666 x 3 bytes = 1998 fit, 667 x 3 = 2001 do not.
    ASSERT_TRUE(accepts(line(type, field, repeat("退", 666)))) << type;
    EXPECT_EQ(event_.agent().text, repeat("退", 666));
    EXPECT_TRUE(rejects(line(type, field, repeat("退", 667)), field)) << type;
    // The limit is on the text as decoded: 2000 escaped characters are 2000 bytes.
    ASSERT_TRUE(accepts(line(type, field, repeat("\\u0078", 2000)))) << type;
    EXPECT_EQ(event_.agent().text, std::string(2000, 'x'));
  }
  const std::string joined = R"("agent_id":"A1","capacity":1,"name":")";
  ASSERT_TRUE(accepts(master_event("agent.joined", joined + repeat("芳", 42) + "\"")));
  EXPECT_EQ(event_.agent().name, repeat("芳", 42));
  EXPECT_EQ(error_of(master_event("agent.joined", joined + repeat("芳", 43) + "\"")), "name: longer than 128 bytes (129 given)");
  EXPECT_EQ(error_of(master_event("agent.joined", R"("agent_id":"A1","capacity":1,"name":["王芳"])")), "name: must be a string");
  EXPECT_EQ(error_of(master_event("agent.comment", R"("incident_id":"inc-1","agent_id":"A7","text":{"zh":"好"})")),
            "text: must be a string");
  EXPECT_EQ(error_of(master_event("agent.escalate", R"("incident_id":"inc-1","agent_id":"A7","reason":1)")),
            "reason: must be a string");
}

TEST_F(ParserTest, AgentChineseTextIsKeptByteForByte) {
  ASSERT_TRUE(accepts(master_event(
      "agent.comment",
      R"("incident_id":"事件-1","agent_id":"客服①","text":"已电话联系用户，\n说明：“明天补发”。🍅 \u6e05\u6cb3 \ud83c\udf45 \"引号\"")")));
  EXPECT_EQ(event_.agent().incident_id, "事件-1");
  EXPECT_EQ(event_.agent().agent_id, "客服①");
  EXPECT_EQ(event_.agent().text, "已电话联系用户，\n说明：“明天补发”。🍅 清河 🍅 \"引号\"");
  ASSERT_TRUE(accepts(master_event("agent.joined", R"("agent_id":"A7","capacity":5,"name":"王芳 Wang-Fang")")));
  EXPECT_EQ(event_.agent().name, "王芳 Wang-Fang");
  // Invalid UTF-8 in agent text rejects the line like anywhere else.
  EXPECT_TRUE(rejects(master_event("agent.comment", "\"incident_id\":\"i\",\"agent_id\":\"A\",\"text\":\"\xe9\x80\""), "line"));
}

TEST_F(ParserTest, AgentEventsTakeAnOrderIdLikeMasterData) {
  // Agent events name incidents, not orders: an order_id is accepted and means nothing.
  ASSERT_TRUE(accepts(order_event("agent.ack", R"("incident_id":"inc-1","agent_id":"A7")")));
  EXPECT_EQ(event_.agent().incident_id, "inc-1");
  EXPECT_TRUE(rejects(order_event("agent.ack", R"("incident_id":"inc-1","agent_id":"A7","order_id":7)"), "order_id"));
}

// ---- for_each_line -------------------------------------------------------------------------

using Lines = std::vector<std::pair<std::size_t, std::string>>;

Lines split(std::string_view buffer) {
  Lines lines;
  for_each_line(buffer, [&](std::size_t number, std::string_view line) { lines.emplace_back(number, line); });
  return lines;
}

TEST(ForEachLine, LfAndCrlf) {
  EXPECT_EQ(split("a\nb\n"), (Lines{{1, "a"}, {2, "b"}}));
  EXPECT_EQ(split("a\r\nb\r\n"), (Lines{{1, "a"}, {2, "b"}}));
  EXPECT_EQ(split("a\r\nb\nc\r\n"), (Lines{{1, "a"}, {2, "b"}, {3, "c"}}));
}

TEST(ForEachLine, NoTrailingNewline) {
  EXPECT_EQ(split("a\nb"), (Lines{{1, "a"}, {2, "b"}}));
  EXPECT_EQ(split("only"), (Lines{{1, "only"}}));
  EXPECT_EQ(split("a\r\nb\r"), (Lines{{1, "a"}, {2, "b"}}));
}

TEST(ForEachLine, BlankLinesAreSkippedButCounted) {
  EXPECT_EQ(split("a\n\n\nb\n"), (Lines{{1, "a"}, {4, "b"}}));
  EXPECT_EQ(split("\n\na"), (Lines{{3, "a"}}));
  EXPECT_EQ(split("a\n  \t\nb"), (Lines{{1, "a"}, {3, "b"}}));
  EXPECT_EQ(split("a\r\n\r\n\r\nb"), (Lines{{1, "a"}, {4, "b"}}));
  EXPECT_EQ(split(""), Lines{});
  EXPECT_EQ(split("\n"), Lines{});
  EXPECT_EQ(split("\n\n\r\n \n"), Lines{});
}

TEST(ForEachLine, LineContentIsKeptVerbatim) {
  EXPECT_EQ(split("  {\"a\":1}  \n"), (Lines{{1, "  {\"a\":1}  "}}));
  EXPECT_EQ(split("a\rb\n"), (Lines{{1, "a\rb"}}));  // only a final CR is a line ending
  EXPECT_EQ(split("清河\n小区"), (Lines{{1, "清河"}, {2, "小区"}}));
}

TEST_F(ParserTest, BadLineIsRejectedAloneInABatch) {
  const std::string batch = order_event("order.created", R"("user_id":"U7","amount":1180)") + "\r\n" + "\r\n" +
                            R"({"id":"e2","type":"payment.succeeded","ts":0,"order_id":"O1","amount":-1,"txn_id":"T"})" +
                            "\n" + "not json\n" + R"({"id":"e4","type":"clock.tick","ts":0})";
  std::vector<std::string> outcomes;
  for_each_line(batch, [&](std::size_t number, std::string_view line) {
    const auto result = parser_.parse(line, event_);
    outcomes.push_back(std::to_string(number) + " " + (result ? "ok " + event_.id : result.error().substr(0, result.error().find(':') + 1)));
  });
  EXPECT_EQ(outcomes, (std::vector<std::string>{"1 ok e1", "3 amount:", "4 json:", "5 ok e4"}));
}

}  // namespace
}  // namespace og

namespace og {
namespace {

// Keys are matched as written, and unescaped only when they contain a backslash: a field
// name spelled with \u escapes is still that field.
TEST(ParserKeys, EscapedKeysStillNameTheirFields) {
  Interner interner;
  EventParser parser(interner);
  Event event;
  const auto parsed = parser.parse(
      R"({"id":"e1","t\u0079pe":"stock.shortage","ts":0,"order_id":"O1","\u0073ku":"s1","no\"te":"x"})", event);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(event.type, EventType::kStockShortage);
  EXPECT_EQ(interner.view(event.sku), "s1");
}

}  // namespace
}  // namespace og
