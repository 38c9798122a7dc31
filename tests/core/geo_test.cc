#include "core/geo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace og {
namespace {

// Points around a city, with steps from centimetres to hundreds of kilometres.
LatLng random_point(std::mt19937_64& rng, LatLng centre, double spread_deg) {
  std::uniform_real_distribution<double> unit(-1, 1);
  return {centre.lat + unit(rng) * spread_deg, centre.lng + unit(rng) * spread_deg};
}

double random_spread(std::mt19937_64& rng) { return std::pow(10.0, std::uniform_real_distribution<double>(-7, 0.5)(rng)); }

TEST(GeoTest, BoundsHoldTheComputedDistanceAndAreTightWithinACity) {
  std::mt19937_64 rng(11);
  for (const LatLng centre : {LatLng{39.9, 116.4}, LatLng{-33.9, 151.2}, LatLng{0, -179.9}, LatLng{79.5, 20}}) {
    for (int i = 0; i < 50'000; ++i) {
      const double spread = random_spread(rng);
      const LatLng a = random_point(rng, centre, spread);
      const LatLng b = i % 7 == 0 ? a : random_point(rng, a, spread);
      const double d = great_circle_m(a, b);
      const DistanceBounds bounds = great_circle_bounds_m(a, b);
      ASSERT_LE(bounds.low, d * (1 + 1e-12)) << a.lat << "," << a.lng << " " << b.lat << "," << b.lng;
      ASSERT_GE(bounds.high, d * (1 - 1e-12)) << a.lat << "," << a.lng << " " << b.lat << "," << b.lng;
      // Tight enough to settle nearly every ping (the cosine series lose some precision near 80).
      if (d < 5000 && std::fabs(a.lat) < 60 && std::fabs(b.lat) < 60) {
        EXPECT_LE(bounds.high - bounds.low, d * 1e-6 + 1e-9);
      } else if (d < 5000 && std::fabs(a.lat) < 80 && std::fabs(b.lat) < 80) {
        EXPECT_LE(bounds.high - bounds.low, d * 1e-5 + 1e-9);
      }
    }
  }
}

TEST(GeoTest, BoundsSettleNothingOutsideTheirRange) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [a, b] : {std::pair{LatLng{85, 0}, LatLng{85, 0.001}}, std::pair{LatLng{0, 0}, LatLng{0, 90}},
                             std::pair{LatLng{nan, 0}, LatLng{0, 0}}, std::pair{LatLng{0, 0}, LatLng{0, inf}},
                             std::pair{LatLng{0, 179.99}, LatLng{0, -179.99}}}) {
    const DistanceBounds bounds = great_circle_bounds_m(a, b);
    EXPECT_EQ(bounds.low, 0);
    EXPECT_EQ(bounds.high, inf);
  }
}

// The answer is the exact distance's, thresholds right at the distance included.
TEST(GeoTest, MeridianThenParallelAndLatitudeGapBoundTheComputedDistanceAnywhere) {
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> lat(-90, 90);
  std::uniform_real_distribution<double> lng(-180, 180);
  for (int i = 0; i < 200'000; ++i) {
    const LatLng a{lat(rng), lng(rng)};
    // Half the pairs within a city (steps from centimetres), half anywhere on Earth.
    const LatLng b = i % 2 == 0 ? random_point(rng, a, random_spread(rng)) : LatLng{lat(rng), lng(rng)};
    if (std::fabs(b.lat) > 90) continue;
    const double d = great_circle_m(a, b);
    ASSERT_GE(meridian_then_parallel_m(a, b), d * (1 - 1e-12)) << a.lat << "," << a.lng << " " << b.lat << "," << b.lng;
    ASSERT_LE(latitude_gap_m(a, b), d * (1 + 1e-12)) << a.lat << "," << a.lng << " " << b.lat << "," << b.lng;
  }
  // Along a meridian the path is the great circle itself: the bound is exact there.
  const LatLng a{39.9, 116.4};
  const LatLng b{39.95, 116.4};
  EXPECT_NEAR(meridian_then_parallel_m(a, b), great_circle_m(a, b), great_circle_m(a, b) * 1e-12);
}

TEST(GeoTest, AtLeastAnswersAsTheExactDistanceDoesAtTheCheapBounds) {
  // Thresholds at and beside the two-subtraction bounds, where they hand over to the rest.
  std::mt19937_64 rng(14);
  for (int i = 0; i < 100'000; ++i) {
    const LatLng a = random_point(rng, LatLng{39.9, 116.4}, 0.5);
    const LatLng b = i % 3 == 0 ? LatLng{a.lat + (i % 2 ? 1e-4 : -1e-4), a.lng} : random_point(rng, a, random_spread(rng) / 100);
    const double d = great_circle_m(a, b);
    const double edge = i % 2 == 0 ? meridian_then_parallel_m(a, b) : latitude_gap_m(a, b);
    for (const double threshold : {edge, std::nextafter(edge, 0.0), std::nextafter(edge, 1e9), edge * (1 + 1e-9), edge * (1 - 1e-9)}) {
      ASSERT_EQ(great_circle_at_least_m(a, b, threshold), d >= threshold) << d << " vs " << threshold;
    }
  }
}

TEST(GeoTest, AtLeastAnswersAsTheExactDistanceDoes) {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> unit(0, 1);
  int near_threshold = 0;
  for (int i = 0; i < 200'000; ++i) {
    const LatLng a = random_point(rng, LatLng{39.9, 116.4}, 0.5);
    const LatLng b = random_point(rng, a, random_spread(rng) / 100);
    const double d = great_circle_m(a, b);
    double threshold = 0;
    switch (i % 5) {
      case 0: threshold = d; break;
      case 1: threshold = std::nextafter(d, 0.0); break;
      case 2: threshold = std::nextafter(d, 1e9); break;
      case 3: threshold = d * (1 + (unit(rng) - 0.5) * 1e-8); break;
      default: threshold = unit(rng) * 100; break;
    }
    if (i % 5 < 4) ++near_threshold;
    ASSERT_EQ(great_circle_at_least_m(a, b, threshold), d >= threshold) << d << " vs " << threshold;
  }
  EXPECT_GT(near_threshold, 100'000);
  EXPECT_TRUE(great_circle_at_least_m({39.9, 116.4}, {39.9, 116.4}, 0));
  EXPECT_FALSE(great_circle_at_least_m({39.9, 116.4}, {39.9, 116.4}, 50));
}

}  // namespace
}  // namespace og
