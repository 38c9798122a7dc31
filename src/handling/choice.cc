#include "handling/choice.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace og {

bool rider_qualifies(const RiderCandidate& rider, std::int64_t max_load) {
  return rider.online && rider.in_zone && !rider.excluded && rider.active_orders < max_load;
}

bool rider_ranks_before(const RiderCandidate& a, const RiderCandidate& b) {
  const auto key = [](const RiderCandidate& rider) {
    // Unknown distances rank after every known one.
    return std::make_tuple(rider.active_orders, rider.distance_m < 0 ? 1 : 0, rider.distance_m, rider.id);
  };
  return key(a) < key(b);
}

int best_rider(std::span<const RiderCandidate> riders, std::int64_t max_load) {
  int best = -1;
  for (std::size_t i = 0; i < riders.size(); ++i) {
    const RiderCandidate& rider = riders[i];
    if (!rider_qualifies(rider, max_load)) continue;
    if (best < 0 || rider_ranks_before(rider, riders[static_cast<std::size_t>(best)])) best = static_cast<int>(i);
  }
  return best;
}

std::vector<int> best_substitutes(std::span<const SubstituteCandidate> candidates, std::int64_t original_price,
                                  double max_ratio, std::size_t count) {
  std::vector<int> chosen;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const SubstituteCandidate& c = candidates[i];
    if (!c.same_category || !c.in_stock) continue;
    if (static_cast<double>(c.price) > max_ratio * static_cast<double>(original_price)) continue;
    chosen.push_back(static_cast<int>(i));
  }
  const auto key = [&](int i) {
    const SubstituteCandidate& c = candidates[static_cast<std::size_t>(i)];
    return std::make_tuple(-c.shared_tags, std::llabs(c.price - original_price), c.sku);
  };
  std::sort(chosen.begin(), chosen.end(), [&](int a, int b) { return key(a) < key(b); });
  if (chosen.size() > count) chosen.resize(count);
  return chosen;
}

}  // namespace og
