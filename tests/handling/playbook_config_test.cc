// Playbooks, policies and templates as configuration: defaults, overrides, and errors a
// person can act on.
#include <gtest/gtest.h>

#include <gmock/gmock.h>

#include "rules/config.h"

namespace og {
namespace {

using ::testing::HasSubstr;

const Playbook& playbook(const RulesConfig& config, IncidentType type) {
  return config.handling->playbooks[static_cast<std::size_t>(type)];
}

TEST(PlaybookConfig, EveryTypeHasADefaultPlaybook) {
  const RulesConfig config;
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) {
    EXPECT_FALSE(config.handling->playbooks[t].steps.empty()) << incident_type_name(static_cast<IncidentType>(t));
  }
  const Step& retry = playbook(config, IncidentType::kPaymentFailed).steps.front();
  EXPECT_EQ(retry.action, StepAction::kPaymentRetry);
  EXPECT_EQ(retry.attempts, 3);
  EXPECT_EQ(retry.interval_ms, 15 * kMinuteMs);
  EXPECT_EQ(retry.on_failure.kind, StepTarget::Kind::kNext);
  EXPECT_EQ(config.handling->policies.refund_auto_cap, 5000);
  EXPECT_EQ(config.handling->policies.lateness_coupons.size(), 3u);
}

TEST(PlaybookConfig, AFilePlaybookReplacesTheDefaultWholeAndNamesResolve) {
  const auto config = load_rules(R"(
[[playbooks.DUPLICATE_PAYMENT.steps]]
name = "refund"
do = "refund.issue"
amount = "duplicate"
await = ["refund.succeeded"]
fail_on = ["refund.failed"]
attempts = 2
interval = "5m"
backoff = 2.0
interval_by_code = { CHANNEL_DOWN = "30m" }
stop_codes = ["ACCOUNT_CLOSED"]
on_failure = "tell"

[[playbooks.DUPLICATE_PAYMENT.steps]]
do = "escalate"

[[playbooks.DUPLICATE_PAYMENT.steps]]
name = "tell"
do = "notify"
to = "customer"
channel = "sms"
template = "refund_issued"

[policy]
refund_auto_cap = 8000
)", "t.toml");
  ASSERT_TRUE(config) << config.error();
  const Playbook& replaced = playbook(*config, IncidentType::kDuplicatePayment);
  ASSERT_EQ(replaced.steps.size(), 3u);
  EXPECT_EQ(replaced.steps[0].on_failure, (StepTarget{StepTarget::Kind::kStep, 2}));
  EXPECT_EQ(replaced.steps[0].interval_by_code.front().interval_ms, 30 * kMinuteMs);
  EXPECT_EQ(replaced.steps[0].stop_codes.front(), "ACCOUNT_CLOSED");
  EXPECT_EQ(config->handling->policies.refund_auto_cap, 8000);
  EXPECT_EQ(config->handling->policies.coupon_honour_cap, 1000);  // other policies stay
  // Untouched types keep the defaults.
  EXPECT_EQ(playbook(*config, IncidentType::kPaymentFailed), playbook(RulesConfig{}, IncidentType::kPaymentFailed));
  const auto changes = diff_rules(RulesConfig{}, *config);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].key, "playbooks.DUPLICATE_PAYMENT");
  EXPECT_EQ(changes[1].key, "policy");
}

TEST(PlaybookConfig, TheWholeConfigurationRoundTripsThroughItsToml) {
  const auto again = load_rules(rules_to_toml(RulesConfig{}), "round-trip");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(*again->handling, *RulesConfig{}.handling);
  EXPECT_EQ(rules_version(*again), rules_version(RulesConfig{}));
}

TEST(PlaybookConfig, RepeatCustomersGoToAPersonUnlessOnlyPayoutsDo) {
  EXPECT_TRUE(RulesConfig{}.handling->policies.repeat_escalates_all);  // INCIDENTS.md's rule
  const auto payouts = load_rules("[policy]\nrepeat_escalates = \"payouts\"\n", "p.toml");
  ASSERT_TRUE(payouts) << payouts.error();
  EXPECT_FALSE(payouts->handling->policies.repeat_escalates_all);
  const auto again = load_rules(rules_to_toml(*payouts), "round-trip");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->handling->policies, payouts->handling->policies);
}

struct BadPlaybook {
  const char* toml;
  const char* message;
};

class PlaybookErrors : public ::testing::TestWithParam<BadPlaybook> {};

TEST_P(PlaybookErrors, NameTheKeyAndTheFix) {
  const auto config = load_rules(GetParam().toml, "r.toml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PlaybookErrors,
    ::testing::Values(
        BadPlaybook{"[[playbooks.PAYMENT_FAILED.steps]]\ndo = \"payment.refry\"\n",
                    "r.toml:2: playbooks.PAYMENT_FAILED.steps[0].do: unknown action \"payment.refry\"; allowed: payment.retry"},
        BadPlaybook{"[[playbooks.PAYMENT_FAILD.steps]]\ndo = \"escalate\"\n", "playbooks.PAYMENT_FAILD: unknown incident type"},
        BadPlaybook{"[[playbooks.OUT_OF_STOCK.steps]]\ndo = \"escalate\"\nwhen = [\"sunny\"]\n", "unknown condition \"sunny\""},
        BadPlaybook{"[[playbooks.OUT_OF_STOCK.steps]]\ndo = \"escalate\"\non_failure = \"nowhere\"\n",
                    "\"nowhere\" is neither next, done, escalate nor a step of this playbook"},
        BadPlaybook{"[[playbooks.OUT_OF_STOCK.steps]]\ndo = \"notify\"\nto = \"customer\"\nchannel = \"app\"\ntemplate = \"nope\"\n",
                    "names template \"nope\", which is not defined under [templates]"},
        BadPlaybook{"[[playbooks.OUT_OF_STOCK.steps]]\ndo = \"payment.retry\"\nattempts = 3\nawait = [\"payment.succeeded\"]\n",
                    "`attempts` above 1 needs an `interval`"},
        BadPlaybook{"[[playbooks.OUT_OF_STOCK.steps]]\ndo = \"wait\"\ntimeout = \"T\"\n", "\"T\" names the type's own detection parameter"},
        BadPlaybook{"[[playbooks.OUT_OF_STOCK.steps]]\ndo = \"wait\"\nawait = [\"catalog.item\"]\n", "is not an order event type"},
        BadPlaybook{"[[playbooks.OUT_OF_STOCK.steps]]\nwhen = [\"pref_refund\"]\n", "every step needs `do`"},
        BadPlaybook{"[policy]\nrefund_auto_cap = -5\n", "policy.refund_auto_cap: -5 is out of range"},
        BadPlaybook{"[policy]\nrepeat_escalates = \"some\"\n", "policy.repeat_escalates: must be \"all\""},
        BadPlaybook{"[policy]\nlateness_coupons = [[\"15m\", 500], [\"5m\", 300]]\n", "tiers must be in increasing lateness"},
        BadPlaybook{"[templates.x]\nzh = \"只有中文\"\n", "templates.x: needs both zh and en"},
        BadPlaybook{"handling.enabled = \"yes\"\n", "handling.enabled: must be true or false"}));

}  // namespace
}  // namespace og
