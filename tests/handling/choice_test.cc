// The pure choices of the handling layer: the best rider and the best substitutes.
#include <gtest/gtest.h>

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
