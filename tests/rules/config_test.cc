#include "rules/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace og {
namespace {

TEST(RulesConfig, ShippedFileEqualsTheBuiltInDefaults) {
  auto config = load_rules_file(std::string(OG_SOURCE_DIR) + "/config/orderguard.toml");
  ASSERT_TRUE(config) << config.error();
  const auto changes = diff_rules(RulesConfig{}, *config);
  std::string listed;
  for (const auto& change : changes) listed += change.key + ": " + change.from + " -> " + change.to + "\n";
  EXPECT_TRUE(changes.empty()) << listed;
}

TEST(RulesConfig, EmptyTextGivesTheSpecDefaults) {
  auto config = load_rules("", "empty");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->payment_timeout_ms, 15 * kMinuteMs);
  EXPECT_EQ(config->max_out_of_orderness_ms, 10 * kSecondMs);
  EXPECT_EQ(config->stage_limit_ms(OrderKind::kGrocery, Stage::kReserve), 5 * kMinuteMs);
  EXPECT_EQ(config->stage_limit_ms(OrderKind::kErrand, Stage::kPick), 0);
  EXPECT_EQ(config->type(IncidentType::kCommunityHotspot).severity, Severity::kHigh);
  EXPECT_EQ(config->type(IncidentType::kPaymentTimeout).severity, Severity::kLow);
  EXPECT_TRUE(config->enabled(IncidentType::kStateInconsistent));
}

TEST(RulesConfig, SetsEveryKindOfValue) {
  auto config = load_rules(R"(
[types.PAYMENT_TIMEOUT]
timeout = "20m"
enabled = false
severity = "high"
[types.RIDER_STALLED]
min_move_m = 75.5
order_kinds = ["errand"]
[types.DAMAGED_GOODS]
complaint_kinds = ["damaged"]
[stages.mall]
pickup = "2h"
)",
                           "t.toml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->payment_timeout_ms, 20 * kMinuteMs);
  EXPECT_FALSE(config->enabled(IncidentType::kPaymentTimeout));
  EXPECT_EQ(config->type(IncidentType::kPaymentTimeout).severity, Severity::kHigh);
  EXPECT_DOUBLE_EQ(config->stall_min_move_m, 75.5);
  EXPECT_EQ(config->stall_order_kinds, 1u << static_cast<unsigned>(OrderKind::kErrand));
  EXPECT_EQ(config->damaged_complaint_kinds, 1u << static_cast<unsigned>(ComplaintKind::kDamaged));
  EXPECT_EQ(config->stage_limit_ms(OrderKind::kMall, Stage::kPickup), 2 * kHourMs);
}

TEST(RulesConfig, DottedKeysWorkLikeTables) {
  auto config = load_rules("types.PAID_NO_ORDER.timeout = \"3m\"\n", "t.toml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->paid_no_order_timeout_ms, 3 * kMinuteMs);
}

struct BadConfig {
  const char* text;
  const char* expected_fragment;
};

class RulesConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(RulesConfigErrors, NameTheKeyAndLine) {
  auto config = load_rules(GetParam().text, "rules.toml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().find(GetParam().expected_fragment), std::string::npos) << config.error();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RulesConfigErrors,
    ::testing::Values(
        BadConfig{"[types.PAYMENT_TIMEOUT]\ntimout = \"5m\"\n",
                  "rules.toml:2: types.PAYMENT_TIMEOUT.timout: unknown setting (did you mean types.PAYMENT_TIMEOUT.timeout?)"},
        BadConfig{"[types.PAYMENT_TIMEOUT]\n\ntimeout = 15\n", "rules.toml:3: types.PAYMENT_TIMEOUT.timeout: must be a duration"},
        BadConfig{"[types.PAYMENT_TIMEOUT]\ntimeout = \"15 minutes\"\n", "rules.toml:2: types.PAYMENT_TIMEOUT.timeout: unknown duration unit"},
        BadConfig{"[types.NEGATIVE_REVIEW]\nmax_score = 9\n", "rules.toml:2: types.NEGATIVE_REVIEW.max_score: 9 is out of range"},
        BadConfig{"[types.LOW_STOCK]\nseverity = \"urgent\"\n", "types.LOW_STOCK.severity: must be \"low\", \"medium\" or \"high\""},
        BadConfig{"[types.LOW_STOCK]\nenabled = \"yes\"\n", "types.LOW_STOCK.enabled: must be true or false"},
        BadConfig{"[types.RIDER_STALLED]\norder_kinds = [\"bike\"]\n", "types.RIDER_STALLED.order_kinds: unknown name"},
        BadConfig{"[types.NOT_A_TYPE]\nenabled = true\n", "rules.toml:2: types.NOT_A_TYPE.enabled: unknown setting"},
        BadConfig{"[engine\nmax = 1\n", "rules.toml:1: not valid TOML"},
        BadConfig{"[engine]\nmax_out_of_orderness = \"2h\"\n", "engine.max_out_of_orderness: 2h is out of range"}));

TEST(RulesConfig, DiffNamesEveryChangedKey) {
  auto config = load_rules("[types.PAYMENT_TIMEOUT]\ntimeout = \"20m\"\n[sla]\nhigh = \"2m\"\n", "t.toml");
  ASSERT_TRUE(config);
  const auto changes = diff_rules(RulesConfig{}, *config);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].key, "sla.high");
  EXPECT_EQ(changes[0].from, "\"1m\"");
  EXPECT_EQ(changes[0].to, "\"2m\"");
  EXPECT_EQ(changes[1].key, "types.PAYMENT_TIMEOUT.timeout");
}

TEST(RulesConfig, CanonicalTomlRoundTrips) {
  auto config = load_rules("[types.AMOUNT_ANOMALY]\nmultiple = 4.5\n[stages.errand]\nassign = \"7m\"\n", "t.toml");
  ASSERT_TRUE(config);
  auto again = load_rules(rules_to_toml(*config), "canonical");
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(diff_rules(*config, *again).empty());
  EXPECT_EQ(rules_version(*config), rules_version(*again));
  EXPECT_NE(rules_version(*config), rules_version(RulesConfig{}));
}

}  // namespace
}  // namespace og
