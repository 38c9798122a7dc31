// Engine behaviour that golden cases express poorly: arrival order, lateness, time driven by
// a clock, bounded dedupe, id stability, incident bookkeeping.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "events/parser.h"
#include "people/people.h"
#include "replay/output.h"

namespace og {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  explicit EngineTest(RulesConfig config = detection_only()) : engine_(std::move(config)), parser_(engine_.interner()) {}
  // These tests are about detection: statuses without playbooks (tests/handling has those).
  static RulesConfig detection_only() {
    RulesConfig config;
    config.handling_enabled = false;
    return config;
  }

  IngestOutcome send(const std::string& json) {
    Event event;
    auto parsed = parser_.parse(json, event);
    EXPECT_TRUE(parsed) << parsed.error() << "\n" << json;
    return engine_.ingest(event);
  }

  std::vector<std::string> lines() {
    std::vector<std::string> out;
    for (const Incident& incident : engine_.incidents().all()) out.push_back(golden_line(incident, engine_.interner()));
    return out;
  }

  const Incident* find(IncidentType type) {
    for (const Incident& incident : engine_.incidents().all()) {
      if (incident.type == type) return &incident;
    }
    return nullptr;
  }

  // The orders of `engine`'s incidents of one type, in the order they were raised.
  static std::vector<std::string> orders_with(const Engine& engine, IncidentType type) {
    std::vector<std::string> out;
    for (const Incident& incident : engine.incidents().all()) {
      if (incident.type == type) out.emplace_back(engine.interner().view(incident.order));
    }
    return out;
  }

  // engine_ restored from its snapshot, checked to snapshot to the same bytes; null on failure.
  std::unique_ptr<Engine> round_trip() {
    const std::string snapshot = engine_.snapshot();
    auto restored = Engine::restore(snapshot);
    EXPECT_TRUE(restored) << restored.error();
    if (!restored) return nullptr;
    EXPECT_EQ((*restored)->snapshot(), snapshot);
    return std::move(*restored);
  }

  // An order with the given items and a coupon whose minimum spend is `min_spend`.
  static std::string order_with_coupon(const std::string& id, const std::string& items, const std::string& amount,
                                       const std::string& min_spend) {
    return R"({"id":")" + id + R"(","type":"order.created","ts":"2026-11-21T10:00:00Z","order_id":")" + id +
           R"(","user_id":"U1","items":)" + items + R"(,"amount":)" + amount + R"(,"coupon":{"code":"C","discount":1,"min_spend":)" +
           min_spend + "}}";
  }

  static std::string created(const std::string& id, const std::string& order, const std::string& ts,
                             const std::string& extra = "") {
    return R"({"id":")" + id + R"(","type":"order.created","ts":")" + ts + R"(","order_id":")" + order +
           R"(","user_id":"U-)" + order +
           R"(","address":{"text":"清河小区3号楼","building":"3","room":"501","lat":40.03,"lng":116.33},"items":[{"sku":"a","qty":1,"unit_price":100}],"amount":100)" +
           extra + "}";
  }
  static std::string paid(const std::string& id, const std::string& order, const std::string& ts, const std::string& txn = "T1") {
    return R"({"id":")" + id + R"(","type":"payment.succeeded","ts":")" + ts + R"(","order_id":")" + order +
           R"(","amount":100,"txn_id":")" + txn + R"("})";
  }
  static std::string tick(const std::string& id, const std::string& ts) {
    return R"({"id":")" + id + R"(","type":"clock.tick","ts":")" + ts + R"("})";
  }

  Engine engine_;
  EventParser parser_;
};

TEST_F(EngineTest, DeadlineFiresOnlyOnceTheWatermarkPassesIt) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  send(tick("t1", "2026-11-21T10:15:10Z"));  // watermark 10:15:00: the deadline is not passed yet
  EXPECT_EQ(find(IncidentType::kPaymentTimeout), nullptr);
  send(tick("t2", "2026-11-21T10:15:10.001Z"));
  const Incident* timeout = find(IncidentType::kPaymentTimeout);
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(format_utc_ms(timeout->detected_at), "2026-11-21T10:15:00.000Z");
}

TEST_F(EngineTest, PaymentWithinTheBoundButArrivingAfterTheTickStillCountsInTime) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  send(tick("t1", "2026-11-21T10:15:05Z"));
  EXPECT_EQ(send(paid("e2", "O1", "2026-11-21T10:14:59Z")), IngestOutcome::kAccepted);
  send(tick("t2", "2026-11-21T10:30:00Z"));
  EXPECT_EQ(find(IncidentType::kPaymentTimeout), nullptr);
}

TEST_F(EngineTest, AnEventFarPastTheNewestTimeIsRefusedAndMovesNothing) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  // A mistyped year (or epoch seconds times ten): applied, it would time every order out at once.
  EXPECT_EQ(send(tick("t1", "9999-12-31T23:59:59Z")), IngestOutcome::kRefused);
  EXPECT_EQ(engine_.refusal(),
            "ts: 9999-12-31T23:59:59.000Z is 2912118 days after the newest event time 2026-11-21T10:00:00.000Z (more "
            "than engine.max_time_jump, 366d): not applied; check the source's clock, and that epoch values are milliseconds");
  EXPECT_EQ(format_utc_ms(engine_.max_event_time()), "2026-11-21T10:00:00.000Z");
  EXPECT_EQ(find(IncidentType::kPaymentTimeout), nullptr);
  // Not remembered as seen: the same id with the time meant is taken.
  EXPECT_EQ(send(tick("t1", "2026-11-21T10:05:00Z")), IngestOutcome::kAccepted);
  // Up to the bound is a jump like any other (a trace whose catalog is from last year).
  EXPECT_EQ(send(tick("t2", "2027-11-22T10:05:00Z")), IngestOutcome::kAccepted);
  EXPECT_EQ(send(tick("t3", "2028-11-22T10:05:00.001Z")), IngestOutcome::kRefused);
}

TEST_F(EngineTest, LateEvidenceRetractsTheIncidentItProvesWrong) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  send(tick("t1", "2026-11-21T10:20:00Z"));
  ASSERT_NE(find(IncidentType::kPaymentTimeout), nullptr);
  EXPECT_EQ(send(paid("e2", "O1", "2026-11-21T10:14:00Z")), IngestOutcome::kLate);
  const Incident* timeout = find(IncidentType::kPaymentTimeout);
  EXPECT_EQ(timeout->status, IncidentStatus::kRetracted);
  EXPECT_EQ(timeout->evidence.back(), "e2");
  EXPECT_EQ(engine_.counters().events_late, 1u);
}

TEST_F(EngineTest, LateEvidenceAfterTheDeadlineResolvesSelfInstead) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  send(tick("t1", "2026-11-21T10:20:00Z"));
  send(paid("e2", "O1", "2026-11-21T10:16:00Z"));
  const Incident* timeout = find(IncidentType::kPaymentTimeout);
  EXPECT_EQ(timeout->status, IncidentStatus::kResolved);
  EXPECT_EQ(timeout->resolution, Resolution::kSelf);
  EXPECT_EQ(format_utc_ms(timeout->resolved_at), "2026-11-21T10:16:00.000Z");
}

// Decision 5: a closed incident keeps its resolution, and records the late evidence that would
// have disproved it. With the playbooks on: they cancel at 30 min, and the cancellation closes it.
TEST(EngineLateEvidence, ALatePaymentIsRecordedOnAPaymentTimeoutAlreadyClosed) {
  Engine engine{RulesConfig{}};
  EventParser parser(engine.interner());
  const auto send = [&](const std::string& json) {
    Event event;
    EXPECT_TRUE(parser.parse(json, event)) << json;
    return engine.ingest(event);
  };
  const auto timeout_of = [&](std::string_view order) -> const Incident* {
    for (const Incident& incident : engine.incidents().all()) {
      if (incident.type == IncidentType::kPaymentTimeout && engine.interner().view(incident.order) == order) return &incident;
    }
    return nullptr;
  };
  const std::string address = R"("address":{"text":"清河小区3号楼","building":"3","room":"501","lat":40.03,"lng":116.33})";
  send(R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00Z","order_id":"O1","user_id":"U1",)" + address + R"(,"amount":100})");
  send(R"({"id":"t1","type":"clock.tick","ts":"2026-11-21T10:40:00Z"})");
  send(R"({"id":"c1","type":"order.cancelled","ts":"2026-11-21T10:30:01Z","order_id":"O1","by":"system"})");
  ASSERT_NE(timeout_of("O1"), nullptr);
  ASSERT_TRUE(timeout_of("O1")->is_closed());
  const IncidentStatus status = timeout_of("O1")->status;
  EXPECT_EQ(send(R"({"id":"e2","type":"payment.succeeded","ts":"2026-11-21T10:10:00Z","order_id":"O1","amount":100,"txn_id":"T1"})"),
            IngestOutcome::kLate);
  EXPECT_EQ(timeout_of("O1")->status, status);
  EXPECT_EQ(timeout_of("O1")->evidence.back(), "e2");
  // A payment after the deadline proves nothing wrong: not recorded.
  send(R"({"id":"f1","type":"order.created","ts":"2026-11-21T10:30:00Z","order_id":"O2","user_id":"U2",)" + address + R"(,"amount":100})");
  send(R"({"id":"t2","type":"clock.tick","ts":"2026-11-21T11:10:00Z"})");
  send(R"({"id":"c2","type":"order.cancelled","ts":"2026-11-21T11:00:01Z","order_id":"O2","by":"system"})");
  ASSERT_NE(timeout_of("O2"), nullptr);
  ASSERT_TRUE(timeout_of("O2")->is_closed());
  const std::size_t before = timeout_of("O2")->evidence.size();
  send(R"({"id":"f2","type":"payment.succeeded","ts":"2026-11-21T10:50:00Z","order_id":"O2","amount":100,"txn_id":"T2"})");
  EXPECT_EQ(timeout_of("O2")->evidence.size(), before);
}

TEST_F(EngineTest, ALateEventArmsItsDeadlinesAsIfItHadComeOnTime) {
  send(tick("t0", "2026-11-21T12:00:00Z"));
  EXPECT_EQ(send(created("e1", "O1", "2026-11-21T10:00:00Z")), IngestOutcome::kLate);
  const Incident* timeout = find(IncidentType::kPaymentTimeout);
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(format_utc_ms(timeout->detected_at), "2026-11-21T10:15:00.000Z");
}

TEST_F(EngineTest, AWallClockDrivesDeadlinesWhenSourcesAreQuiet) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  engine_.advance_watermark(*parse_rfc3339_ms("2026-11-21T10:14:00Z"));
  EXPECT_EQ(find(IncidentType::kPaymentTimeout), nullptr);
  engine_.advance_watermark(*parse_rfc3339_ms("2026-11-21T10:16:00Z"));
  EXPECT_NE(find(IncidentType::kPaymentTimeout), nullptr);
}

TEST_F(EngineTest, DuplicateIdsAreIgnoredHoweverLateTheyCome) {
  EXPECT_EQ(send(created("e1", "O1", "2026-11-21T10:00:00Z", R"(,"payment_method":"cod")")), IngestOutcome::kAccepted);
  send(tick("t1", "2026-11-22T10:00:00Z"));
  EXPECT_EQ(send(created("e1", "O1", "2026-11-21T10:00:00Z")), IngestOutcome::kDuplicate);
  EXPECT_EQ(send(tick("t1", "2026-11-22T10:00:00Z")), IngestOutcome::kDuplicate);
  EXPECT_EQ(engine_.counters().events_duplicate, 2u);
}

TEST_F(EngineTest, TheSameTransactionUnderANewEventIdIsNoDuplicatePayment) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  send(paid("e2", "O1", "2026-11-21T10:01:00Z", "T1"));
  send(paid("e3", "O1", "2026-11-21T10:01:30Z", "T1"));
  send(tick("t1", "2026-11-21T10:01:45Z"));  // applies both payments
  EXPECT_EQ(find(IncidentType::kDuplicatePayment), nullptr);
  send(paid("e4", "O1", "2026-11-21T10:02:00Z", "T2"));
  send(tick("t2", "2026-11-21T10:02:15Z"));
  const Incident* duplicate = find(IncidentType::kDuplicatePayment);
  ASSERT_NE(duplicate, nullptr);
  EXPECT_EQ(duplicate->evidence, std::vector<std::string>{"e4"});
}

TEST_F(EngineTest, EqualTimestampsApplyInLifecycleOrderWhateverTheArrival) {
  // Payment first in arrival, creation first in the lifecycle: no PAID_NO_ORDER watch starts.
  send(paid("e2", "O1", "2026-11-21T10:00:00Z"));
  send(created("e1", "O1", "2026-11-21T10:00:00Z", R"(,"kind":"errand")"));
  send(tick("t", "2026-11-21T10:05:00Z"));
  engine_.finish();
  EXPECT_EQ(find(IncidentType::kPaidNoOrder), nullptr);
}

// Eighty events of one millisecond, arriving in any order. One a few places behind the newest
// is put in its place in the in-order lane; one further behind waits in the heap. Either way
// they are applied in one order (ts, lifecycle, id), which the incident log shows (snapshots
// differ: ids are interned in arrival order), and a snapshot taken while they all wait
// restores to the same end.
TEST_F(EngineTest, EventsOfOneMillisecondApplyInOneOrderWhateverTheirArrival) {
  constexpr int kOrders = 40;
  const std::string ts = "2026-11-21T10:00:00.250Z";
  std::vector<std::string> in_order;
  for (int i = 0; i < kOrders; ++i) {
    const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
    in_order.push_back(created("c" + n, "O" + n, ts));
  }
  for (int i = 0; i < kOrders; ++i) {
    const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
    in_order.push_back(R"({"id":"f)" + n + R"(","type":"payment.failed","ts":")" + ts + R"(","order_id":"O)" + n +
                       R"(","code":"CARD_DECLINED","txn_id":"T)" + n + R"("})");
  }
  const auto run = [](const std::vector<std::string>& lines) {
    Engine engine{detection_only()};
    EventParser parser(engine.interner());
    for (const std::string& line : lines) {
      Event event;
      EXPECT_TRUE(parser.parse(line, event)) << line;
      EXPECT_EQ(engine.ingest(event), IngestOutcome::kAccepted) << line;
    }
    EXPECT_TRUE(engine.incidents().all().empty());  // all still waiting
    auto restored = Engine::restore(engine.snapshot());
    EXPECT_TRUE(restored) << restored.error();
    engine.finish(kAbsent);
    if (restored) {
      (*restored)->finish(kAbsent);
      EXPECT_EQ((*restored)->snapshot(), engine.snapshot());
    }
    std::vector<std::string> incidents;
    for (const Incident& incident : engine.incidents().all()) incidents.push_back(golden_line(incident, engine.interner()));
    return incidents;
  };
  const std::vector<std::string> expected = run(in_order);
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(kOrders));
  EXPECT_NE(expected.front().find("order:O00 "), std::string::npos) << expected.front();
  EXPECT_NE(expected.back().find("order:O39 "), std::string::npos) << expected.back();

  std::vector<std::vector<std::string>> arrivals;
  arrivals.emplace_back(in_order.rbegin(), in_order.rend());  // each one behind all the others
  std::mt19937_64 random(7);
  for (int round = 0; round < 4; ++round) {
    std::vector<std::string> shuffled = in_order;
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    arrivals.push_back(std::move(shuffled));
  }
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    SCOPED_TRACE("arrival " + std::to_string(i));
    EXPECT_EQ(run(arrivals[i]), expected);
  }
}

// Tags, pickup points, channels and agent fields sit behind one pointer in an Event (see
// EventRare). Lines with them that arrive behind the newest event wait in the reorder buffer,
// survive a snapshot while they wait, and reach the rules whole when released.
TEST_F(EngineTest, RarePartsWaitOutOfOrderAndComeOutWhole) {
  const auto master = [](const std::string& id, const std::string& type, const std::string& ts, const std::string& body) {
    return R"({"id":")" + id + R"(","type":")" + type + R"(","ts":")" + ts + R"(",)" + body + "}";
  };
  const std::vector<std::string> rare_lines = {
      master("a1", "agent.joined", "2026-11-21T09:59:56Z",
             R"("agent_id":"A7","name":"王芳","skills":["payment","senior"],"capacity":5,"supervisor":true,"on_duty":true)"),
      master("m1", "catalog.item", "2026-11-21T09:59:57Z", R"("sku":"a","price":100,"tags":["organic","有机"])"),
      master("m2", "zone.config", "2026-11-21T09:59:58Z",
             R"("zone":"Z1","lat":40.0,"lng":116.3,"radius_m":3000,"pickup_points":[{"id":"P1","lat":40.01,"lng":116.31}])"),
      master("m3", "user.profile", "2026-11-21T09:59:59Z", R"("user_id":"U-O1","channels":["sms","phone"])"),
  };
  // The same lines without their rare parts: what the engine would hold had they been lost.
  const std::vector<std::string> plain_lines = {
      master("a1", "agent.joined", "2026-11-21T09:59:56Z", R"("agent_id":"A7","capacity":0)"),
      master("m1", "catalog.item", "2026-11-21T09:59:57Z", R"("sku":"a","price":100)"),
      master("m2", "zone.config", "2026-11-21T09:59:58Z", R"("zone":"Z1","lat":40.0,"lng":116.3,"radius_m":3000)"),
      master("m3", "user.profile", "2026-11-21T09:59:59Z", R"("user_id":"U-O1")"),
  };
  const auto run = [&](Engine& engine, const std::vector<std::string>& master_lines, bool staged) {
    EventParser parser(engine.interner());
    const auto feed = [&](const std::string& line) {
      if (staged) {  // parsed in place into the buffer's slot
        ASSERT_TRUE(parser.parse(line, engine.staging_event()));
        EXPECT_EQ(engine.ingest_staged(), IngestOutcome::kAccepted);
      } else {  // copied in
        Event event;
        ASSERT_TRUE(parser.parse(line, event));
        EXPECT_EQ(engine.ingest(event), IngestOutcome::kAccepted);
      }
    };
    feed(created("e1", "O1", "2026-11-21T10:00:00Z", R"(,"zone":"Z1")"));
    // All behind O1 but within the bound: they wait, out of order.
    for (const std::string& line : master_lines) feed(line);
  };
  for (const bool staged : {false, true}) {
    SCOPED_TRACE(staged ? "parsed in place" : "copied in");
    Engine engine{detection_only()};
    run(engine, rare_lines, staged);
    EXPECT_EQ(engine.desk().find_agent("A7"), nullptr);  // still waiting
    const std::string waiting = engine.snapshot();
    auto restored = Engine::restore(waiting);
    ASSERT_TRUE(restored) << restored.error();
    EXPECT_EQ((*restored)->snapshot(), waiting);

    engine.finish(kAbsent);
    (*restored)->finish(kAbsent);
    for (const Engine* e : {&engine, restored->get()}) {
      const people::Agent* agent = e->desk().find_agent("A7");
      ASSERT_NE(agent, nullptr);
      EXPECT_EQ(agent->name, "王芳");
      EXPECT_EQ(agent->capacity, 5);
      EXPECT_TRUE(agent->skills.has(people::Skill::kPayment));
      EXPECT_TRUE(agent->skills.has(people::Skill::kSenior));
      EXPECT_FALSE(agent->skills.has(people::Skill::kDelivery));
      EXPECT_TRUE(agent->supervisor);
      EXPECT_TRUE(agent->on_duty);
    }
    const std::string released = engine.snapshot();
    EXPECT_EQ((*restored)->snapshot(), released);

    // Each line's rare part reached the state: without it in the line, the state differs.
    for (std::size_t i = 0; i < rare_lines.size(); ++i) {
      std::vector<std::string> lines = rare_lines;
      lines[i] = plain_lines[i];
      Engine plain{detection_only()};
      run(plain, lines, staged);
      plain.finish(kAbsent);
      EXPECT_NE(plain.snapshot(), released) << plain_lines[i];
    }
    Engine again{detection_only()};
    run(again, rare_lines, staged);
    again.finish(kAbsent);
    EXPECT_EQ(again.snapshot(), released);
  }
}

// A waiting event's item list holds its items and no more: a list grown by doubling while the
// line was parsed (10 items: room for 16) is fitted when the event is buffered.
TEST_F(EngineTest, AWaitingEventsItemListIsFittedToItsItems) {
  const auto waiting_bytes = [](std::size_t count) {
    std::string items = "[";
    for (std::size_t i = 0; i < count; ++i) items += std::string(i == 0 ? "" : ",") + R"({"sku":"s)" + std::to_string(i) + R"(","qty":1})";
    items += "]";
    Engine engine{detection_only()};
    EventParser parser(engine.interner());
    const std::string line =
        R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00Z","order_id":"O1","user_id":"U1","amount":100,"items":)" + items + "}";
    const auto parsed = parser.parse(line, engine.staging_event());
    EXPECT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(engine.ingest_staged(), IngestOutcome::kAccepted);  // waits: nothing is behind the watermark
    return engine.memory_usage().reorder_buffer;
  };
  EXPECT_EQ(waiting_bytes(10) - waiting_bytes(1), 9 * sizeof(Item));
  EXPECT_EQ(waiting_bytes(5) - waiting_bytes(1), 4 * sizeof(Item));
}

TEST_F(EngineTest, HighValueOrdersRaiseSeverityAndPriority) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z", R"(,"amount":150000,"user_tier":"vip")"));
  send(created("e2", "O2", "2026-11-21T10:00:00Z"));
  engine_.finish(*parse_rfc3339_ms("2026-11-21T10:15:00Z"));
  const auto& all = engine_.incidents().all();
  ASSERT_EQ(all.size(), 2u);
  const Incident& big = all[0].order == engine_.interner().find("O1") ? all[0] : all[1];
  const Incident& small = all[0].order == engine_.interner().find("O1") ? all[1] : all[0];
  EXPECT_EQ(big.severity, Severity::kHigh);
  EXPECT_EQ(small.severity, Severity::kLow);
  EXPECT_GT(big.priority, small.priority + 60);
}

TEST_F(EngineTest, FinishFiresDeadlinesAtTheLastEventTime) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  send(tick("t", "2026-11-21T10:15:00Z"));
  engine_.finish();
  EXPECT_NE(find(IncidentType::kPaymentTimeout), nullptr);
}

// An order keeps its times as 32-bit offsets while they lie within 24 days of each other:
// a promise two months out must still fire to the millisecond, also after a snapshot.
TEST_F(EngineTest, TimesMonthsApartInOneOrderStayExact) {
  send(created("e1", "O1", "2026-01-01T10:00:00Z", R"(,"promise_at":"2026-03-01T10:00:00.007Z")"));
  send(paid("e2", "O1", "2026-01-01T10:01:00Z"));
  const auto restored = round_trip();
  ASSERT_NE(restored, nullptr);
  for (Engine* engine : {&engine_, restored.get()}) {
    EventParser parser(engine->interner());
    Event event;
    ASSERT_TRUE(parser.parse(tick("t1", "2026-03-01T10:06:00Z"), event));
    engine->ingest(event);
    const Incident* late = nullptr;
    for (const Incident& incident : engine->incidents().all()) {
      if (incident.type == IncidentType::kDeliveryLate) late = &incident;
    }
    ASSERT_NE(late, nullptr);
    EXPECT_EQ(format_utc_ms(late->detected_at), "2026-03-01T10:05:00.007Z");
  }
}

// Order lines keep their price in 32 bits; one that does not fit is kept exactly beside them.
TEST_F(EngineTest, LinePricesOver32BitsStayExact) {
  const std::string items = R"([{"sku":"gold","qty":1,"unit_price":3000000001},{"sku":"bag","qty":1,"unit_price":2147483647}])";
  send(order_with_coupon("O1", items, "3000000001", "5147483648"));  // the subtotal, exactly: 3000000001 + 2147483647
  send(order_with_coupon("O2", items, "3000000001", "5147483649"));
  send(tick("t1", "2026-11-21T10:01:00Z"));
  EXPECT_EQ(orders_with(engine_, IncidentType::kCouponInvalid), std::vector<std::string>{"O2"});
  EXPECT_NE(round_trip(), nullptr);
}

// Order lines keep their quantity in 8 bits; 255 and more are kept exactly beside them.
TEST_F(EngineTest, LineQuantitiesOver8BitsStayExact) {
  const std::string items =
      R"([{"sku":"rice","qty":70000,"unit_price":10},{"sku":"egg","qty":255,"unit_price":1},{"sku":"salt","qty":254,"unit_price":1}])";
  send(order_with_coupon("O1", items, "700509", "700509"));  // the subtotal, exactly: 70000 * 10 + 255 + 254
  send(order_with_coupon("O2", items, "700509", "700510"));
  send(tick("t1", "2026-11-21T10:01:00Z"));
  EXPECT_EQ(orders_with(engine_, IncidentType::kCouponInvalid), std::vector<std::string>{"O2"});
  const auto restored = round_trip();
  ASSERT_NE(restored, nullptr);
  // Both read the wide quantities back: picking what was ordered is no mismatch, one short is.
  const std::string picked = R"({"id":"p1","type":"picking.completed","ts":"2026-11-21T10:02:00Z","order_id":"O1","items":[{"sku":"rice","qty":70000},{"sku":"egg","qty":255},{"sku":"salt","qty":254}]})";
  const std::string short_picked = R"({"id":"p2","type":"picking.completed","ts":"2026-11-21T10:02:00Z","order_id":"O2","items":[{"sku":"rice","qty":69999},{"sku":"egg","qty":255},{"sku":"salt","qty":254}]})";
  for (Engine* engine : {&engine_, restored.get()}) {
    EventParser parser(engine->interner());
    for (const std::string& line : {picked, short_picked}) {
      Event event;
      ASSERT_TRUE(parser.parse(line, event)) << line;
      engine->ingest(event);
    }
    engine->finish(*parse_rfc3339_ms("2026-11-21T11:00:00Z"));
    EXPECT_EQ(orders_with(*engine, IncidentType::kPickingMismatch), std::vector<std::string>{"O2"});
  }
  EXPECT_EQ(restored->snapshot(), engine_.snapshot());
}

TEST_F(EngineTest, IncidentIdsDependOnContentNotOnInterningOrder) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  engine_.finish(*parse_rfc3339_ms("2026-11-21T11:00:00Z"));

  Engine other{detection_only()};
  EventParser other_parser(other.interner());
  for (const char* noise : {"zz", "O9", "U-O1", "a"}) other.interner().intern(noise);
  Event event;
  ASSERT_TRUE(other_parser.parse(created("e1", "O1", "2026-11-21T10:00:00Z"), event));
  other.ingest(event);
  other.finish(*parse_rfc3339_ms("2026-11-21T11:00:00Z"));
  EXPECT_EQ(incidents_ndjson(engine_, engine_.interner()), incidents_ndjson(other, other.interner()));
}

// Each fulfilment track runs one stage at a time (engine/rules_delivery.cc reads the stages
// off the milestones per track): a stage without a limit is not watched, and its track's other
// stages do not take its place.
class StageLimitTest : public EngineTest {
 protected:
  StageLimitTest() : EngineTest(without_pick_start()) {}
  static RulesConfig without_pick_start() {
    RulesConfig config = detection_only();
    config.stages[static_cast<std::size_t>(OrderKind::kGrocery)].limit_ms[static_cast<std::size_t>(Stage::kPickStart)] = 0;
    return config;
  }
  static std::string step(const std::string& id, const std::string& type, const std::string& ts) {
    return R"({"id":")" + id + R"(","type":")" + type + R"(","ts":")" + ts + R"(","order_id":"O1"})";
  }
  std::vector<Stage> stuck_stages() {
    std::vector<Stage> out;
    for (const Incident& incident : engine_.incidents().all()) {
      if (incident.type == IncidentType::kOrderStuck) out.push_back(incident.stage);
    }
    return out;
  }
};

TEST_F(StageLimitTest, AStageWithoutALimitIsNotWatchedAndNoOtherStageOfItsTrackStandsIn) {
  send(created("e1", "O1", "2026-11-21T10:00:00Z"));
  send(paid("e2", "O1", "2026-11-21T10:00:30Z"));
  send(step("e3", "stock.reserved", "2026-11-21T10:01:00Z"));
  send(tick("t1", "2026-11-21T13:00:00Z"));  // hours without picking.started: pick_start is off
  EXPECT_EQ(stuck_stages(), std::vector<Stage>{});
  EXPECT_EQ(find(IncidentType::kRiderNotAssigned), nullptr);  // assignment waits for the pick
  send(step("e4", "picking.started", "2026-11-21T13:01:00Z"));
  send(tick("t2", "2026-11-21T16:00:00Z"));  // the pick stage is on: it overruns
  EXPECT_EQ(stuck_stages(), std::vector<Stage>{Stage::kPick});
}

// Item lists are compared SKU by SKU whatever their order: picked lines in reverse order, one
// SKU split over two lines, match; a missing unit does not.
TEST_F(EngineTest, PickedLinesInAnyOrderAndSplitMatchTheOrder) {
  const auto order = [](const std::string& id) {
    return R"({"id":"c-)" + id + R"(","type":"order.created","ts":"2026-11-21T10:00:00Z","order_id":")" + id +
           R"(","user_id":"U1","items":[{"sku":"a","qty":2,"unit_price":100},{"sku":"b","qty":1,"unit_price":100},{"sku":"c","qty":3,"unit_price":100},{"sku":"d","qty":1,"unit_price":100}],"amount":700})";
  };
  const auto picked = [](const std::string& id, const std::string& items) {
    return R"({"id":"p-)" + id + R"(","type":"picking.completed","ts":"2026-11-21T10:10:00Z","order_id":")" + id +
           R"(","items":)" + items + "}";
  };
  send(order("O1"));
  send(order("O2"));
  send(order("O3"));
  send(picked("O1", R"([{"sku":"d","qty":1},{"sku":"c","qty":1},{"sku":"b","qty":1},{"sku":"a","qty":1},{"sku":"c","qty":2},{"sku":"a","qty":1}])"));
  send(picked("O2", R"([{"sku":"c","qty":3},{"sku":"a","qty":2},{"sku":"d","qty":1},{"sku":"b","qty":1}])"));
  send(picked("O3", R"([{"sku":"d","qty":1},{"sku":"c","qty":2},{"sku":"b","qty":1},{"sku":"a","qty":1},{"sku":"a","qty":1}])"));
  send(tick("t", "2026-11-21T10:30:00Z"));
  EXPECT_EQ(orders_with(engine_, IncidentType::kPickingMismatch), std::vector<std::string>{"O3"});
}

class HotspotTest : public EngineTest {
 protected:
  static std::string in_community(int n) {
    return created("c" + std::to_string(n), "O" + std::to_string(n), "2026-11-21T10:0" + std::to_string(n) + ":00Z",
                   R"(,"community":"清河小区","zone":"Z1")");
  }
};

TEST_F(HotspotTest, FiveOrderIncidentsOfOneTypeInOneCommunityWithinAnHour) {
  for (int n = 1; n <= 5; ++n) send(in_community(n));
  send(tick("t", "2026-11-21T10:30:00Z"));
  const Incident* hotspot = find(IncidentType::kCommunityHotspot);
  ASSERT_NE(hotspot, nullptr);
  EXPECT_EQ(hotspot->about_type, IncidentType::kPaymentTimeout);
  EXPECT_EQ(hotspot->linked.size(), 5u);
  EXPECT_EQ(format_utc_ms(hotspot->detected_at), "2026-11-21T10:20:00.000Z");
  EXPECT_EQ(engine_.interner().view(hotspot->subject), "清河小区");
}

TEST_F(HotspotTest, RetractedIncidentsDoNotCount) {
  for (int n = 1; n <= 4; ++n) send(in_community(n));
  send(tick("t1", "2026-11-21T10:19:30Z"));  // four timeouts open (10:16 .. 10:19)
  send(paid("p1", "O1", "2026-11-21T10:10:00Z"));  // late: proves the first one wrong
  send(in_community(5));                             // late too, its timeout is due at 10:20
  send(tick("t2", "2026-11-21T10:40:00Z"));
  EXPECT_EQ(find(IncidentType::kCommunityHotspot), nullptr);
}

}  // namespace
}  // namespace og

namespace og {
namespace {

// Issue 3: "every timeout fires within the watermark bound of its deadline". With an event
// every second, each deadline fires once the newest event is at most the bound (10 s) plus
// one arrival gap (1 s) past it, never later.
TEST(EngineFireLag, EveryDeadlineFiresWithinTheBoundPlusOneArrivalGap) {
  Engine engine{RulesConfig{}};
  EventParser parser(engine.interner());
  Event event;
  const TimeMs start = *parse_rfc3339_ms("2026-11-21T10:00:00Z");
  for (int i = 0; i < 40; ++i) {  // 40 unpaid orders, one a second: 40 payment timeouts
    const std::string json = R"({"id":"c)" + std::to_string(i) + R"(","type":"order.created","ts":)" +
                             std::to_string(start + i * kSecondMs) + R"(,"order_id":"O)" + std::to_string(i) +
                             R"(","user_id":"U)" + std::to_string(i) + R"(","amount":100,"address":{"text":"t","room":"1","lat":1,"lng":1}})";
    ASSERT_TRUE(parser.parse(json, event));
    engine.ingest(event);
  }
  for (TimeMs t = start + 40 * kSecondMs; t <= start + 20 * kMinuteMs; t += kSecondMs) {
    ASSERT_TRUE(parser.parse(R"({"id":"t)" + std::to_string(t) + R"(","type":"clock.tick","ts":)" + std::to_string(t) + "}", event));
    engine.ingest(event);
  }
  EXPECT_EQ(engine.counters().timers_fired_live, 40u);
  EXPECT_GE(engine.counters().fire_lag_ms_max, 10 * kSecondMs);
  EXPECT_LE(engine.counters().fire_lag_ms_max, 11 * kSecondMs);
}

}  // namespace
}  // namespace og
