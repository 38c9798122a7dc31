// The pure choices of the handling layer: the best rider and the best substitutes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "handling/choice.h"

namespace og {
namespace {

RiderCandidate rider(std::string_view id, std::int64_t load, double distance, bool online = true, bool in_zone = true) {
  RiderCandidate candidate;
  candidate.id = id;
  candidate.online = online;
  candidate.in_zone = in_zone;
  candidate.active_orders = load;
  candidate.distance_m = distance;
  return candidate;
}

TEST(BestRider, FewestActiveOrdersThenNearestThenLowestId) {
  const std::vector<RiderCandidate> riders = {rider("R3", 1, 900), rider("R2", 1, 300), rider("R1", 2, 10), rider("R0", 1, 300)};
  EXPECT_EQ(best_rider(riders, 3), 3);  // R0 and R2 tie on load and distance: the lower id
}

TEST(BestRider, OfflineOtherZoneAtCapOrExcludedNeverChosen) {
  std::vector<RiderCandidate> riders = {rider("R1", 0, 10, false), rider("R2", 0, 10, true, false), rider("R3", 3, 10),
                                        rider("R4", 0, 10)};
  riders[3].excluded = true;
  EXPECT_EQ(best_rider(riders, 3), -1);
  riders[2].active_orders = 2;
  EXPECT_EQ(best_rider(riders, 3), 2);
}

TEST(BestRider, UnknownDistanceRanksAfterAnyKnownOne) {
  const std::vector<RiderCandidate> riders = {rider("A", 1, -1), rider("B", 1, 5000)};
  EXPECT_EQ(best_rider(riders, 3), 1);
}

// The engine skips riders by latitude_gap_m with a margin of 1e-9 relative plus a millimetre:
// the gap must stay under the distance by that margin, also where the two are equal (due north).
TEST(BestRider, TheLatitudeGapNeverExceedsTheGreatCircleDistanceBeyondThePruningMargin) {
  int checked = 0;
  int tight = 0;
  for (double lat = -89.5; lat <= 89.5; lat += 7.3) {
    for (double dlat = -3.0; dlat <= 3.0; dlat += 0.37) {
      for (double dlng = -2.0; dlng <= 2.0; dlng += 0.25) {
        const LatLng a{lat, 116.3};
        const LatLng b{std::clamp(lat + dlat, -90.0, 90.0), 116.3 + dlng};
        const double distance = great_circle_m(a, b);
        const double gap = latitude_gap_m(a, b);
        EXPECT_LE(gap, distance * (1 + 1e-9) + 1e-3) << lat << " " << dlat << " " << dlng;
        if (std::fabs(gap - distance) < 1e-6) ++tight;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 5000);
  EXPECT_GT(tight, 100);
  // 0.03 degrees due north of Beijing: about 3.34 km both ways.
  EXPECT_NEAR(latitude_gap_m({40.0, 116.3}, {40.03, 116.3}), 3335.85, 0.01);
  EXPECT_NEAR(great_circle_m({40.0, 116.3}, {40.03, 116.3}), latitude_gap_m({40.0, 116.3}, {40.03, 116.3}), 1e-6);
}

TEST(BestSubstitutes, SameCategoryInStockWithinPriceMostSharedTagsFirst) {
  const std::vector<SubstituteCandidate> candidates = {
      {"C", true, 1, 500, true},   // one shared tag
      {"B", true, 2, 550, true},   // two shared tags
      {"D", true, 2, 700, true},   // above 1.2 x 500
      {"E", false, 2, 500, true},  // other category
      {"F", true, 2, 500, false},  // out of stock
      {"G", true, 2, 480, true},   // two tags, price nearer 500 than B
  };
  const auto chosen = best_substitutes(candidates, 500, 1.2, 3);
  ASSERT_EQ(chosen.size(), 3u);
  EXPECT_EQ(candidates[static_cast<std::size_t>(chosen[0])].sku, "G");
  EXPECT_EQ(candidates[static_cast<std::size_t>(chosen[1])].sku, "B");
  EXPECT_EQ(candidates[static_cast<std::size_t>(chosen[2])].sku, "C");
  EXPECT_EQ(best_substitutes(candidates, 500, 1.2, 1).size(), 1u);
}

TEST(BestSubstitutes, PriceExactlyAtTheRatioQualifies) {
  const std::vector<SubstituteCandidate> candidates = {{"B", true, 0, 600, true}, {"C", true, 0, 601, true}};
  const auto chosen = best_substitutes(candidates, 500, 1.2, 3);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0], 0);
}

}  // namespace
}  // namespace og
