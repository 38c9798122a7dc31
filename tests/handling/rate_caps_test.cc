// Rate caps (policy.rate_caps, docs/handling.md "Rate caps", decisions #48-#52): the sliding
// windows on their own, then storms through the engine that hit each cap: the command over the
// cap is not sent, its incident goes to a person with the cap as the cause, and the report,
// the incident's JSON and the desk say so. Under the caps nothing changes. Bad caps are
// refused with the key and line.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/serial.h"
#include "engine/engine.h"
#include "events/parser.h"
#include "handling/rate_caps.h"
#include "people/people.h"
#include "replay/measures.h"
#include "replay/output.h"
#include "rules/config.h"

namespace og {
namespace {

constexpr TimeMs kT0 = 1'800'000'000'000;

RateCaps::Caps caps_with(RateCapKind kind, RateCap cap) {
  RateCaps::Caps caps{};
  caps[static_cast<std::size_t>(kind)] = cap;
  return caps;
}

std::optional<RateCapHit> refund(RateCaps& limiter, const RateCaps::Caps& caps, std::int64_t amount, TimeMs at) {
  const RateCapKind kind = RateCapKind::kRefund;
  return limiter.admit({&kind, 1}, kNoSymbol, amount, at, caps, "refund.issue");
}

TEST(RateCapWindows, CountSlidesWithTheWindowEndingNow) {
  RateCaps limiter;
  const auto caps = caps_with(RateCapKind::kRefund, RateCap{2, 0, kHourMs});
  EXPECT_FALSE(refund(limiter, caps, 100, kT0));
  EXPECT_FALSE(refund(limiter, caps, 100, kT0 + 10 * kMinuteMs));
  const auto held = refund(limiter, caps, 100, kT0 + 20 * kMinuteMs);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->cause, "rate_cap: refund.issue 2/1h reached");
  // The window is (now - 1h, now]: at exactly one hour the first refund has left it.
  EXPECT_FALSE(refund(limiter, caps, 100, kT0 + kHourMs));
  EXPECT_TRUE(refund(limiter, caps, 100, kT0 + kHourMs + 1));
  EXPECT_EQ(limiter.capped()[static_cast<std::size_t>(RateCapKind::kRefund)], 2u);
}

TEST(RateCapWindows, AmountCountsTheMoneyInTheWindow) {
  RateCaps limiter;
  const auto caps = caps_with(RateCapKind::kRefund, RateCap{100, 5000, kHourMs});
  EXPECT_FALSE(refund(limiter, caps, 3000, kT0));
  const auto held = refund(limiter, caps, 2001, kT0 + 1);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->cause, "rate_cap: refund.issue ¥50/1h reached");
  EXPECT_FALSE(refund(limiter, caps, 2000, kT0 + 2));  // exactly the cap fits
}

TEST(RateCapWindows, ALateCommandCountsAsOfTheNewestTimeAndNoCapMeansNoLimit) {
  RateCaps limiter;
  const auto caps = caps_with(RateCapKind::kRefund, RateCap{1, 0, kHourMs});
  EXPECT_FALSE(refund(limiter, caps, 100, kT0 + 2 * kHourMs));
  EXPECT_TRUE(refund(limiter, caps, 100, kT0));  // late: the window does not go back
  const RateCaps::Caps none{};
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(refund(limiter, none, 100, kT0 + 3 * kHourMs));
}

TEST(RateCapWindows, PerCustomerAndOverallBothHaveToFit) {
  RateCaps limiter;
  RateCaps::Caps caps{};
  caps[static_cast<std::size_t>(RateCapKind::kSms)] = RateCap{3, 0, kHourMs};
  caps[static_cast<std::size_t>(RateCapKind::kSmsPerUser)] = RateCap{1, 0, 24 * kHourMs};
  const std::array kinds{RateCapKind::kSms, RateCapKind::kSmsPerUser};
  EXPECT_FALSE(limiter.admit(kinds, 1, 0, kT0, caps, "notify sms"));
  const auto again = limiter.admit(kinds, 1, 0, kT0 + 1, caps, "notify sms");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->kind, RateCapKind::kSmsPerUser);
  EXPECT_EQ(again->cause, "rate_cap: notify sms 1/1d per customer reached");
  EXPECT_FALSE(limiter.admit(kinds, 2, 0, kT0 + 2, caps, "notify sms"));
  EXPECT_FALSE(limiter.admit(kinds, 3, 0, kT0 + 3, caps, "notify sms"));
  const auto overall = limiter.admit(kinds, 4, 0, kT0 + 4, caps, "notify sms");
  ASSERT_TRUE(overall);
  EXPECT_EQ(overall->kind, RateCapKind::kSms);
  // A customer refused by the overall cap was not counted against their own.
  caps[static_cast<std::size_t>(RateCapKind::kSms)] = RateCap{};
  EXPECT_FALSE(limiter.admit(kinds, 4, 0, kT0 + 5, caps, "notify sms"));
}

TEST(RateCapWindows, SaveAndLoadKeepTheWindowsAndCounts) {
  RateCaps limiter;
  RateCaps::Caps caps = caps_with(RateCapKind::kRefund, RateCap{2, 10'000, kHourMs});
  caps[static_cast<std::size_t>(RateCapKind::kPhonePerUser)] = RateCap{1, 0, 24 * kHourMs};
  EXPECT_FALSE(refund(limiter, caps, 4000, kT0));
  EXPECT_TRUE(refund(limiter, caps, 7000, kT0 + 1));
  const RateCapKind phone = RateCapKind::kPhonePerUser;
  EXPECT_FALSE(limiter.admit({&phone, 1}, 7, 0, kT0 + 2, caps, "notify phone"));
  std::string bytes;
  serial::Writer w(bytes);
  limiter.save(w);
  RateCaps restored;
  serial::Reader r(bytes, 0);
  r.set_symbol_limit(8);
  restored.load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(restored.capped(), limiter.capped());
  std::string again;
  serial::Writer w2(again);
  restored.save(w2);
  EXPECT_EQ(again, bytes);
  // The restored windows decide as the original ones do.
  EXPECT_TRUE(refund(restored, caps, 6001, kT0 + 3));   // 4000 + 6001 > 10000
  EXPECT_FALSE(refund(restored, caps, 6000, kT0 + 4));
  EXPECT_TRUE(restored.admit({&phone, 1}, 7, 0, kT0 + 5, caps, "notify phone"));
}

// ---- storms through the engine --------------------------------------------------------------

constexpr const char* kAddress = R"("address":{"text":"x","building":"3","lat":40.0,"lng":116.3})";

std::string at(int minutes) {  // 2026-11-21 10:00 Beijing time + minutes
  const TimeMs t = 1'795'226'400'000 + static_cast<TimeMs>(minutes) * kMinuteMs;
  return format_utc_ms(t);
}

class Storm {
 public:
  explicit Storm(const std::string& rules_toml) {
    auto config = load_rules(rules_toml, "storm.toml");
    EXPECT_TRUE(config) << (config ? "" : config.error());
    engine_ = std::make_unique<Engine>(config ? std::move(*config) : RulesConfig{});
    parser_ = std::make_unique<EventParser>(engine_->interner());
  }
  // Events are collected and sent in time order at end(): a storm of many orders, not late events.
  void send(int minute, const std::string& line) { lines_.emplace_back(minute, line); }
  void order(const std::string& id, int minute, const std::string& user, const std::string& extra = "") {
    send(minute, R"({"id":"c-)" + id + R"(","type":"order.created","ts":")" + at(minute) + R"(","order_id":")" + id +
                     R"(","user_id":")" + user + R"(","amount":1180,)" + kAddress + extra + "}");
  }
  void event(const std::string& id, const std::string& type, const std::string& order, int minute,
             const std::string& extra = "") {
    send(minute, R"({"id":")" + id + R"(","type":")" + type + R"(","ts":")" + at(minute) + R"(","order_id":")" + order +
                     "\"" + extra + "}");
  }
  // A customer's delivery fails: app, then SMS 3 min later, then a call 3 min after that.
  void failed_delivery(const std::string& order_id, int minute, const std::string& user) {
    order(order_id, minute, user);
    event("p-" + order_id, "payment.succeeded", order_id, minute, R"(,"amount":1180,"txn_id":"T-)" + order_id + "\"");
    event("f-" + order_id, "delivery.attempt_failed", order_id, minute + 30, R"(,"reason":"no_answer")");
  }
  void duplicate_payment(const std::string& order_id, int minute, const std::string& user, std::int64_t amount = 1180) {
    order(order_id, minute, user);
    event("a-" + order_id, "payment.succeeded", order_id, minute, R"(,"amount":1180,"txn_id":"A-)" + order_id + "\"");
    event("b-" + order_id, "payment.succeeded", order_id, minute + 1,
          R"(,"amount":)" + std::to_string(amount) + R"(,"txn_id":"B-)" + order_id + "\"");
    event("r-" + order_id, "refund.succeeded", order_id, minute + 2, R"(,"amount":1180)");
  }
  void end(int minute) {
    send(minute, R"({"id":"tick-end","type":"clock.tick","ts":")" + at(minute) + R"("})");
    std::stable_sort(lines_.begin(), lines_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [minute_of, line] : lines_) {
      Event parsed;
      auto ok = parser_->parse(line, parsed);
      ASSERT_TRUE(ok) << ok.error() << "\n" << line;
      engine_->ingest(parsed);
    }
    engine_->finish();
  }

  Engine& engine() { return *engine_; }
  // What a failed expectation shows.
  std::string dump() const {
    return "\n" + incidents_ndjson(*engine_, engine_->interner()) + commands_ndjson(*engine_);
  }
  std::vector<std::string> commands(const std::string& name, const std::string& channel = "") const {
    std::vector<std::string> out;
    for (const Command& command : engine_->commands()) {
      if (command.name == name && (channel.empty() || command.channel == channel)) out.push_back(command.order_id);
    }
    return out;
  }
  // The incidents a rate cap sent to people, as "ORDER:cap", and the desk's causes.
  std::vector<std::string> capped() const {
    std::vector<std::string> out;
    for (const Incident& incident : engine_->incidents().all()) {
      if (incident.rate_capped == 0) continue;
      EXPECT_NE(incident.escalated_at, kAbsent);
      out.push_back(std::string(engine_->interner().view(incident.order)) + ":" +
                    std::string(rate_cap_name(static_cast<RateCapKind>(incident.rate_capped - 1))));
    }
    return out;
  }
  std::string cause_of(const std::string& order_id) const {
    for (const Incident& incident : engine_->incidents().all()) {
      if (engine_->interner().view(incident.order) != order_id || incident.rate_capped == 0) continue;
      const people::Case* held = engine_->desk().find_case(incident.id);
      return held == nullptr ? "(not at the desk)" : held->escalated.cause;
    }
    return "(none)";
  }

 private:
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<EventParser> parser_;
  std::vector<std::pair<int, std::string>> lines_;
};

TEST(RateCapStorm, RefundsOverTheCountGoToAPersonAndShowInTheReport) {
  Storm storm("[policy.rate_caps]\nrefund = { count = 3, window = \"1h\" }\n");
  for (int i = 0; i < 5; ++i) storm.duplicate_payment("O" + std::to_string(i), 5 * i, "U" + std::to_string(i));
  storm.end(120);
  EXPECT_EQ(storm.commands("refund.issue"), (std::vector<std::string>{"O0", "O1", "O2"})) << storm.dump();
  EXPECT_EQ(storm.capped(), (std::vector<std::string>{"O3:refund", "O4:refund"})) << storm.dump();
  EXPECT_EQ(storm.cause_of("O3"), "rate_cap: refund.issue 3/1h reached") << storm.dump();
  // Visible where people look: the incident's JSON (timeline, audit chain) and the measures.
  std::string json;
  for (const Incident& incident : storm.engine().incidents().all()) {
    if (incident.rate_capped != 0) append_incident_json(json, incident, storm.engine().interner());
  }
  EXPECT_NE(json.find(R"("status":"escalated")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("rate_cap":"refund")"), std::string::npos) << json;
  const HandlingMeasures measures = measure_handling(storm.engine(), storm.engine().watermark());
  EXPECT_EQ(measures.rate_capped, (std::map<std::string, std::uint64_t>{{"refund", 2}}));
  const std::string report = measures_json(measures);
  EXPECT_NE(report.find(R"("rate_capped":{"refund":2})"), std::string::npos) << report;
}

TEST(RateCapStorm, RefundAmountCapCountsMoney) {
  Storm storm("[policy.rate_caps]\nrefund = { count = 100, amount = 3000, window = \"1h\" }\n");
  storm.duplicate_payment("O1", 0, "U1", 1180);
  storm.duplicate_payment("O2", 5, "U2", 1180);
  storm.duplicate_payment("O3", 10, "U3", 1180);  // 3540 > 3000
  storm.end(120);
  EXPECT_EQ(storm.commands("refund.issue"), (std::vector<std::string>{"O1", "O2"})) << storm.dump();
  EXPECT_EQ(storm.capped(), (std::vector<std::string>{"O3:refund"})) << storm.dump();
  EXPECT_EQ(storm.cause_of("O3"), "rate_cap: refund.issue ¥30/1h reached") << storm.dump();
}

TEST(RateCapStorm, CouponsOverTheCapGoToAPerson) {
  Storm storm("[policy.rate_caps]\ncoupon = { count = 1, window = \"1h\" }\n");
  for (int i = 1; i <= 2; ++i) {
    const std::string o = "O" + std::to_string(i);
    storm.order(o, i, "U" + o, R"(,"promise_at":")" + at(30 + i) + "\"");
    storm.event("p-" + o, "payment.succeeded", o, i, R"(,"amount":1180,"txn_id":"T)" + o + "\"");
    storm.event("d-" + o, "delivery.delivered", o, 50 + i, R"(,"rider_id":"R1")");
  }
  storm.end(120);
  EXPECT_EQ(storm.commands("coupon.issue"), (std::vector<std::string>{"O1"})) << storm.dump();
  EXPECT_EQ(storm.capped(), (std::vector<std::string>{"O2:coupon"})) << storm.dump();
  EXPECT_EQ(storm.cause_of("O2"), "rate_cap: coupon.issue 1/1h reached") << storm.dump();
}

TEST(RateCapStorm, TextMessagesOverall) {
  Storm storm("[policy.rate_caps]\nsms = { count = 2, window = \"1h\" }\n");
  for (int i = 1; i <= 3; ++i) storm.failed_delivery("O" + std::to_string(i), i, "U" + std::to_string(i));
  storm.end(300);
  EXPECT_EQ(storm.commands("notify", "sms"), (std::vector<std::string>{"O1", "O2"})) << storm.dump();
  EXPECT_EQ(storm.capped(), (std::vector<std::string>{"O3:sms"})) << storm.dump();
  EXPECT_EQ(storm.cause_of("O3"), "rate_cap: notify sms 2/1h reached") << storm.dump();
  // In-app notifications have no cap: every customer got the first message.
  std::size_t customer_app = 0;
  for (const Command& command : storm.engine().commands()) customer_app += command.channel == "app" && command.to == "customer";
  EXPECT_EQ(customer_app, 3u) << storm.dump();
}

TEST(RateCapStorm, TextMessagesAndCallsPerCustomer) {
  // U1's second order is its third incident (O1 stalls, then fails): repeat_incidents is set out
  // of the way, so that the cap is what holds.
  Storm storm("[policy]\nrepeat_incidents = 100\n[policy.rate_caps]\nsms_per_user = { count = 1, window = \"24h\" }\n"
              "phone_per_user = { count = 1, window = \"24h\" }\n");
  // Two hours apart, so that the hourly notification limit (3 per customer) is not what holds.
  storm.failed_delivery("O1", 0, "U1");
  storm.failed_delivery("O2", 120, "U1");
  storm.failed_delivery("O3", 125, "U2");
  storm.end(400);
  EXPECT_EQ(storm.commands("notify", "sms"), (std::vector<std::string>{"O1", "O3"})) << storm.dump();
  EXPECT_EQ(storm.commands("notify", "phone"), (std::vector<std::string>{"O1", "O3"})) << storm.dump();
  EXPECT_EQ(storm.capped(), (std::vector<std::string>{"O2:sms_per_user"})) << storm.dump();
  EXPECT_EQ(storm.cause_of("O2"), "rate_cap: notify sms 1/1d per customer reached") << storm.dump();
}

TEST(RateCapStorm, CallsOverall) {
  Storm storm("[policy.rate_caps]\nphone = { count = 1, window = \"1h\" }\n");
  storm.failed_delivery("O1", 0, "U1");
  storm.failed_delivery("O2", 1, "U2");
  storm.end(300);
  EXPECT_EQ(storm.commands("notify", "phone"), (std::vector<std::string>{"O1"})) << storm.dump();
  EXPECT_EQ(storm.capped(), (std::vector<std::string>{"O2:phone"})) << storm.dump();
}

// Under the caps nothing changes: the same storm with the default caps and with none at all
// gives the same bytes.
TEST(RateCapStorm, UnderTheCapsNothingChanges) {
  const auto run = [](const std::string& toml) {
    Storm storm(toml);
    for (int i = 0; i < 20; ++i) {
      storm.duplicate_payment("D" + std::to_string(i), i, "U" + std::to_string(i % 4));
      storm.failed_delivery("F" + std::to_string(i), 2 * i, "V" + std::to_string(i % 3));
    }
    storm.end(600);
    EXPECT_TRUE(storm.capped().empty());
    return incidents_ndjson(storm.engine(), storm.engine().interner()) + commands_ndjson(storm.engine());
  };
  const std::string huge = R"([policy.rate_caps]
refund = { count = 1000000, amount = 1000000000000, window = "1h" }
coupon = { count = 1000000, amount = 1000000000000, window = "1h" }
sms = { count = 1000000, window = "1h" }
phone = { count = 1000000, window = "1h" }
sms_per_user = { count = 1000000, window = "1h" }
phone_per_user = { count = 1000000, window = "1h" }
)";
  EXPECT_EQ(run(""), run(huge));
}

TEST(RateCapConfig, BadCapsNameTheKeyAndLine) {
  const auto error_of = [](const std::string& toml) {
    auto config = load_rules(toml, "rules.toml");
    return config ? std::string("(accepted)") : config.error();
  };
  EXPECT_EQ(error_of("[policy.rate_caps]\nrefunds = { count = 1 }\n"),
            "rules.toml:2: policy.rate_caps.refunds: unknown rate cap; allowed: refund, coupon, sms, phone, sms_per_user, "
            "phone_per_user");
  EXPECT_EQ(error_of("[policy.rate_caps]\nrefund = { count = 0 }\n"),
            "rules.toml:2: policy.rate_caps.refund.count: 0 is out of range (1 to 1000000)");
  EXPECT_EQ(error_of("[policy.rate_caps]\nrefund = { amount = 100 }\n"),
            "rules.toml:2: policy.rate_caps.refund: needs `count` (commands allowed in the window)");
  EXPECT_EQ(error_of("[policy.rate_caps]\nsms = { count = 5, amount = 100 }\n"),
            "rules.toml:2: policy.rate_caps.sms.amount: unknown key; a rate cap has count and window");
  EXPECT_EQ(error_of("[policy.rate_caps]\nsms = { count = 5, window = \"10s\" }\n"),
            "rules.toml:2: policy.rate_caps.sms.window: must be at least 1m");
  EXPECT_EQ(error_of("[policy]\nrate_caps = 3\n"),
            "rules.toml:2: policy.rate_caps: must be a table of caps by kind (refund, coupon, sms, phone, sms_per_user, "
            "phone_per_user)");
  // A cap given replaces that kind's default whole; the others keep theirs.
  auto config = load_rules("[policy.rate_caps]\nsms = { count = 7, window = \"2h\" }\n", "rules.toml");
  ASSERT_TRUE(config) << config.error();
  const auto& caps = config->handling->policies.rate_caps;
  EXPECT_EQ(caps[static_cast<std::size_t>(RateCapKind::kSms)], (RateCap{7, 0, 2 * kHourMs}));
  EXPECT_EQ(caps[static_cast<std::size_t>(RateCapKind::kRefund)],
            default_handling()->policies.rate_caps[static_cast<std::size_t>(RateCapKind::kRefund)]);
  // And the rules round-trip through their TOML form.
  auto again = load_rules(rules_to_toml(*config), "again.toml");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->handling->policies.rate_caps, caps);
}

}  // namespace
}  // namespace og
