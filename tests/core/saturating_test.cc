#include "core/saturating.h"

#include <gtest/gtest.h>

#include <limits>

namespace og {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

TEST(Saturating, SumsAndProductsStopAtTheLimits) {
  EXPECT_EQ(saturating_add(2, 3), 5);
  EXPECT_EQ(saturating_add(kMax, 1), kMax);
  EXPECT_EQ(saturating_add(kMax - 1, 1), kMax);
  EXPECT_EQ(saturating_add(kMin, -1), kMin);
  EXPECT_EQ(saturating_add(kMax, kMin), -1);
  EXPECT_EQ(saturating_mul(1'000'000'000'000'000, 1000), 1'000'000'000'000'000'000);
  EXPECT_EQ(saturating_mul(1'000'000'000'000'000, 10'000), kMax);
  EXPECT_EQ(saturating_mul(-1'000'000'000'000'000, 10'000), kMin);
  EXPECT_EQ(saturating_mul(kMin, -1), kMax);
  EXPECT_EQ(saturating_mul(0, kMax), 0);
}

}  // namespace
}  // namespace og
