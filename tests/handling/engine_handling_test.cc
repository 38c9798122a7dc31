// Playbooks inside the engine where a golden case says too little: command ids across runs,
// the configuration version an open incident keeps, retry intervals by failure code, the
// "failed twice" escalation, and the handling measures on a hand-checked day.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "events/parser.h"
#include "people/people.h"
#include "replay/measures.h"
#include "replay/output.h"
#include "rules/config.h"

namespace og {
namespace {

constexpr const char* kAddress = R"("address":{"text":"x","building":"3","lat":40.0,"lng":116.3})";

std::string created(const std::string& order, const std::string& ts, std::int64_t amount = 1000, const std::string& user = "U1") {
  return R"({"id":"c-)" + order + R"(","type":"order.created","ts":")" + ts + R"(","order_id":")" + order + R"(","user_id":")" +
         user + R"(","amount":)" + std::to_string(amount) + "," + kAddress + "}";
}
std::string event(const std::string& id, const std::string& type, const std::string& order, const std::string& ts,
                  const std::string& extra = "") {
  return R"({"id":")" + id + R"(","type":")" + type + R"(","ts":")" + ts + R"(","order_id":")" + order + "\"" + extra + "}";
}
std::string tick(const std::string& id, const std::string& ts) {
  return R"({"id":")" + id + R"(","type":"clock.tick","ts":")" + ts + R"("})";
}

class Playthrough {
 public:
  explicit Playthrough(RulesConfig config = RulesConfig{}) : engine_(std::move(config)), parser_(engine_.interner()) {}
  Playthrough& send(const std::string& line) {
    Event parsed;
    auto ok = parser_.parse(line, parsed);
    EXPECT_TRUE(ok) << ok.error() << "\n" << line;
    engine_.ingest(parsed);
    return *this;
  }
  Engine& engine() { return engine_; }
  const Incident* find(IncidentType type) const {
    for (const Incident& incident : engine_.incidents().all()) {
      if (incident.type == type) return &incident;
    }
    return nullptr;
  }
  std::vector<std::string> commands_of(IncidentType type) const {
    const Incident* incident = find(type);
    std::vector<std::string> out;
    for (const Command& command : engine_.commands()) {
      if (incident != nullptr && command.incident_id == incident->id) out.push_back(command.name + "@" + format_utc_ms(command.at));
    }
    return out;
  }

 private:
  Engine engine_;
  EventParser parser_;
};

std::vector<std::string> failed_payment_day() {
  return {created("O1", "2026-11-21T10:00:00Z"),
          event("f1", "payment.failed", "O1", "2026-11-21T10:01:00Z", R"(,"code":"CARD_DECLINED","txn_id":"T1")"),
          event("f2", "payment.failed", "O1", "2026-11-21T10:02:00Z", R"(,"code":"CARD_DECLINED","txn_id":"T2")"),
          tick("t", "2026-11-21T11:00:00Z")};
}

TEST(CommandIds, TheSameIncidentAndStepGiveTheSameIdInEveryRunAndDistinctIdsWithinOne) {
  std::vector<std::string> first, second;
  for (auto* ids : {&first, &second}) {
    Playthrough run;
    for (const auto& line : failed_payment_day()) run.send(line);
    run.engine().finish();
    for (const Command& command : run.engine().commands()) ids->push_back(command.id);
  }
  EXPECT_EQ(first, second);
  ASSERT_GE(first.size(), 4u);  // three retries, a cancellation ...
  std::vector<std::string> unique = first;
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end()) << "each attempt has its own id";
  for (const auto& id : first) EXPECT_EQ(id.rfind("cmd-", 0), 0u);
}

TEST(RetryIntervals, AFailureCodeCanPickTheIntervalAndAStopCodeEndsTheRetries) {
  auto config = load_rules(R"(
[[playbooks.PAYMENT_FAILED.steps]]
do = "payment.retry"
await = ["payment.succeeded"]
fail_on = ["payment.failed"]
attempts = 4
interval = "10m"
backoff = 2.0
interval_by_code = { BANK_BUSY = "1m" }
stop_codes = ["CARD_BLOCKED"]
)", "t.toml");
  ASSERT_TRUE(config) << config.error();
  Playthrough run(*config);
  run.send(created("O1", "2026-11-21T10:00:00Z"));
  run.send(event("f1", "payment.failed", "O1", "2026-11-21T10:00:00Z", R"(,"code":"X","txn_id":"T1")"));     // attempt 1 at 10:00
  run.send(event("f2", "payment.failed", "O1", "2026-11-21T10:00:30Z", R"(,"code":"BANK_BUSY","txn_id":"T2")"));  // -> 10:01
  run.send(event("f3", "payment.failed", "O1", "2026-11-21T10:01:30Z", R"(,"code":"Y","txn_id":"T3")"));     // -> 10:01 + 20m
  run.send(tick("t1", "2026-11-21T10:25:00Z"));
  run.send(event("f4", "payment.failed", "O1", "2026-11-21T10:25:00Z", R"(,"code":"CARD_BLOCKED","txn_id":"T4")"));
  run.send(tick("t2", "2026-11-21T12:00:00Z"));
  EXPECT_EQ(run.commands_of(IncidentType::kPaymentFailed),
            (std::vector<std::string>{"payment.retry@2026-11-21T10:00:00.000Z", "payment.retry@2026-11-21T10:01:00.000Z",
                                      "payment.retry@2026-11-21T10:21:00.000Z"}));
  // The stop code ended the retries with no fallback: a person takes it.
  EXPECT_EQ(run.find(IncidentType::kPaymentFailed)->status, IncidentStatus::kEscalated);
}

TEST(Escalation, AnOrdersRemediationFailingTwiceGoesToAPerson) {
  // Each refund step falls through to the next on failure, so only the "failed twice" rule
  // can escalate: the second failed step on the order does.
  auto config = load_rules(R"(
[[playbooks.DUPLICATE_PAYMENT.steps]]
do = "refund.issue"
amount = "duplicate"
await = ["refund.succeeded"]
timeout = "10m"
on_failure = "next"

[[playbooks.DUPLICATE_PAYMENT.steps]]
do = "refund.issue"
amount = "duplicate"
await = ["refund.succeeded"]
timeout = "10m"
on_failure = "next"
)", "t.toml");
  ASSERT_TRUE(config) << config.error();
  Playthrough run(*config);
  run.send(created("O1", "2026-11-21T10:00:00Z"));
  run.send(event("p1", "payment.succeeded", "O1", "2026-11-21T10:00:10Z", R"(,"amount":1000,"txn_id":"T1")"));
  run.send(event("p2", "payment.succeeded", "O1", "2026-11-21T10:00:20Z", R"(,"amount":1000,"txn_id":"T2")"));
  run.send(tick("t", "2026-11-21T11:00:00Z"));
  const Incident* duplicate = run.find(IncidentType::kDuplicatePayment);
  ASSERT_NE(duplicate, nullptr);
  EXPECT_EQ(duplicate->status, IncidentStatus::kEscalated);
  EXPECT_EQ(format_utc_ms(duplicate->escalated_at), "2026-11-21T10:20:20.000Z");
  EXPECT_EQ(duplicate->actions, (std::vector<std::string>{"refund.issue", "refund.issue"}));
}

// INCIDENTS.md People: "An incident not acknowledged within its SLA goes up to a
// supervisor", as event time passes: a tick past the deadline moves it, with no person's
// action and no end of input (a service asked a minute later must show it).
TEST(Escalation, AnUnacknowledgedCaseGoesUpToTheSupervisorAsEventTimePasses) {
  Playthrough run;
  run.send(R"({"id":"a1","type":"agent.joined","ts":"2026-11-21T09:00:00Z","agent_id":"P1","skills":["payment"],"capacity":2,"on_duty":true})");
  run.send(R"({"id":"a2","type":"agent.joined","ts":"2026-11-21T09:00:00Z","agent_id":"SUP","skills":[],"capacity":0,"supervisor":true,"on_duty":true})");
  run.send(created("O1", "2026-11-21T10:00:00Z", 20000, "U1"));
  // Underpaid: PAYMENT_AMOUNT_MISMATCH (high, 1 min SLA) escalates at once, to P1.
  run.send(event("p1", "payment.succeeded", "O1", "2026-11-21T10:00:05Z", R"(,"amount":500,"txn_id":"T1")"));
  run.send(tick("t1", "2026-11-21T10:00:30Z"));
  const Incident* mismatch = run.find(IncidentType::kPaymentAmountMismatch);
  ASSERT_NE(mismatch, nullptr);
  EXPECT_EQ(mismatch->assignee, "P1");
  run.send(tick("t2", "2026-11-21T10:01:20Z"));  // the watermark (10 s behind) is at 10:01:10
  EXPECT_EQ(mismatch->assignee, "SUP");
  ASSERT_NE(run.engine().desk().find_case(mismatch->id), nullptr);
  EXPECT_TRUE(run.engine().desk().find_case(mismatch->id)->sla_breached);
}

TEST(ConfigVersion, AnOpenIncidentKeepsThePlaybookThatOpenedIt) {
  Playthrough run;
  run.send(created("O1", "2026-11-21T10:00:00Z"));
  run.send(event("f1", "payment.failed", "O1", "2026-11-21T10:01:00Z", R"(,"code":"X","txn_id":"T1")"));
  run.send(tick("t0", "2026-11-21T10:01:30Z"));  // applied (past the watermark) before the change
  // From now on PAYMENT_FAILED only escalates; O1's incident is already retrying.
  auto changed = load_rules("[[playbooks.PAYMENT_FAILED.steps]]\ndo = \"escalate\"\n", "t.toml");
  ASSERT_TRUE(changed) << changed.error();
  run.engine().replace_config(*changed);
  run.send(created("O2", "2026-11-21T10:02:00Z"));
  run.send(event("f2", "payment.failed", "O2", "2026-11-21T10:03:00Z", R"(,"code":"X","txn_id":"T2")"));
  run.send(tick("t", "2026-11-21T10:20:00Z"));
  std::map<std::string, const Incident*> by_order;
  for (const Incident& incident : run.engine().incidents().all()) {
    if (incident.type == IncidentType::kPaymentFailed) by_order[std::string(run.engine().interner().view(incident.order))] = &incident;
  }
  ASSERT_EQ(by_order.size(), 2u);
  EXPECT_EQ(by_order["O1"]->actions, (std::vector<std::string>{"payment.retry", "payment.retry"}));
  EXPECT_EQ(by_order["O1"]->status, IncidentStatus::kHandling);
  EXPECT_TRUE(by_order["O2"]->actions.empty());
  EXPECT_EQ(by_order["O2"]->status, IncidentStatus::kEscalated);
}

TEST(HandlingOff, DetectionOnlyRunsNoPlaybook) {
  RulesConfig config;
  config.handling_enabled = false;
  Playthrough run(config);
  for (const auto& line : failed_payment_day()) run.send(line);
  EXPECT_TRUE(run.engine().commands().empty());
  EXPECT_EQ(run.find(IncidentType::kPaymentFailed)->status, IncidentStatus::kOpen);
}

// A hand-checked day. GMV: O1 1000 + O2 1000 + O3 1000 (all paid) = 3000.
// - O1 DUPLICATE_PAYMENT (high) at 10:00:20: refund 1000 at once (first action in SLA), and
//   handled with it (a refund that fails is REFUND_FAILED's): auto, handling 0. Loss 1000.
// - O2 PAYMENT_AMOUNT_MISMATCH (high), underpaid at 10:10: escalated at once (a person; no
//   agent on duty, no action): open at the end, SLA missed (no action by 10:11).
// - O3 PRICE_MISMATCH (medium) at 10:20: the order paid 1000 (at 10:20:05) for an item the
//   catalog sells at 900: refund 100 once paid, no proof awaited: auto, handling 5 s. Loss 100.
TEST(Measures, HandCheckedDay) {
  Playthrough run;
  run.send(R"({"id":"m1","type":"catalog.item","ts":"2026-11-21T09:00:00Z","sku":"A","name":"a","category":"c","price":900})");
  run.send(created("O1", "2026-11-21T10:00:00Z", 1000, "U1"));
  run.send(event("p1", "payment.succeeded", "O1", "2026-11-21T10:00:10Z", R"(,"amount":1000,"txn_id":"T1")"));
  run.send(event("p2", "payment.succeeded", "O1", "2026-11-21T10:00:20Z", R"(,"amount":1000,"txn_id":"T2")"));
  run.send(event("r1", "refund.succeeded", "O1", "2026-11-21T10:05:20Z", R"(,"amount":1000,"refund_id":"R1")"));
  run.send(created("O2", "2026-11-21T10:09:00Z", 1000, "U2"));
  run.send(event("p3", "payment.succeeded", "O2", "2026-11-21T10:10:00Z", R"(,"amount":900,"txn_id":"T3")"));
  run.send(R"({"id":"c-O3","type":"order.created","ts":"2026-11-21T10:20:00Z","order_id":"O3","user_id":"U3","amount":1000,"items":[{"sku":"A","qty":1,"unit_price":1000}],)" +
           std::string(kAddress) + "}");
  run.send(event("p4", "payment.succeeded", "O3", "2026-11-21T10:20:05Z", R"(,"amount":1000,"txn_id":"T4")"));
  run.engine().finish();
  const HandlingMeasures m = measure_handling(run.engine(), run.engine().max_event_time());
  // Other incidents of the day (stages of these paid orders) are not part of the check.
  const MeasureGroup& duplicate = m.by_type.at("DUPLICATE_PAYMENT");
  EXPECT_EQ(duplicate.resolved, 1u);
  EXPECT_EQ(duplicate.auto_or_self, 1u);
  EXPECT_EQ(duplicate.handling_ms, (std::vector<std::int64_t>{0}));
  EXPECT_EQ(duplicate.sla_met[static_cast<std::size_t>(Severity::kHigh)], 1u);
  EXPECT_EQ(duplicate.loss, 1000);
  const MeasureGroup& mismatch = m.by_type.at("PAYMENT_AMOUNT_MISMATCH");
  EXPECT_EQ(mismatch.reached_people, 1u);
  EXPECT_EQ(mismatch.open, 1u);
  EXPECT_EQ(mismatch.sla_missed[static_cast<std::size_t>(Severity::kHigh)], 1u);
  EXPECT_EQ(mismatch.manual_rate(), 1.0);
  const MeasureGroup& price = m.by_type.at("PRICE_MISMATCH");
  EXPECT_EQ(price.loss, 100);
  EXPECT_EQ(price.handling_ms, (std::vector<std::int64_t>{5 * kSecondMs}));
  EXPECT_EQ(m.gmv, 3000);
  EXPECT_EQ(m.loss_refunds, 1100);
  EXPECT_DOUBLE_EQ(*m.loss_rate(), 1100.0 / 3000.0);
  EXPECT_EQ(m.commands.at("refund.issue"), 2u);
}

// SLA attainment counts an incident handled without a command: an invalid coupon of ¥5 is
// honoured at detection (resolved auto, no command), which is a handling action in time.
TEST(Measures, AnIncidentHandledWithNoCommandMetItsSla) {
  Playthrough run;
  run.send(R"({"id":"c1","type":"order.created","ts":"2026-11-21T10:00:00Z","order_id":"O1","user_id":"U1","amount":4500,"payment_method":"cod","coupon":{"code":"C5","discount":500,"min_spend":10000},)" +
           std::string(kAddress) + "}");
  run.send(tick("t", "2026-11-21T10:20:00Z"));
  run.engine().finish();
  const Incident* coupon = run.find(IncidentType::kCouponInvalid);
  ASSERT_NE(coupon, nullptr);
  EXPECT_EQ(coupon->resolution, Resolution::kAuto);
  EXPECT_TRUE(coupon->actions.empty());
  const HandlingMeasures m = measure_handling(run.engine(), run.engine().max_event_time());
  const MeasureGroup& group = m.by_type.at("COUPON_INVALID");
  EXPECT_EQ(group.sla_met[static_cast<std::size_t>(Severity::kMedium)], 1u);
  EXPECT_EQ(group.sla_attainment(Severity::kMedium), 1.0);
}

}  // namespace
}  // namespace og
