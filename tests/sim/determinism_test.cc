// Same seed and arguments give byte-identical events and truth; another seed another world.
#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace og::sim::testing {
namespace {

TEST(SimDeterminism, SameSeedGivesIdenticalBytes) {
  for (const Platform platform : {Platform::kGrocery, Platform::kMixed}) {
    SimConfig config = config_for(1500, 42, platform);
    config.noise_rate = 0.05;
    const SimRun first = run_sim(config);
    const SimRun second = run_sim(config);
    EXPECT_FALSE(first.events.empty());
    EXPECT_FALSE(first.truth.empty());
    EXPECT_EQ(first.events, second.events);
    EXPECT_EQ(first.truth, second.truth);
  }
}

TEST(SimDeterminism, AnotherSeedGivesAnotherWorld) {
  const SimRun first = run_sim(config_for(500, 1, Platform::kErrand));
  const SimRun second = run_sim(config_for(500, 2, Platform::kErrand));
  EXPECT_NE(first.events, second.events);
}

TEST(SimDeterminism, OrderCountIsExact) {
  for (const std::uint64_t orders : {1, 7, 1000, 2345}) {
    SimConfig config = config_for(orders, 3, Platform::kMixed);
    config.incident_rate = 0.3;  // many multi-order episodes, which borrow later slots
    EXPECT_EQ(run_sim(config).stats.orders, orders) << orders;
  }
}

}  // namespace
}  // namespace og::sim::testing
