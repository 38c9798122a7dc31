// handling/choice: the two choices a playbook makes among candidates, as pure functions so
// they can be tested alone: the best rider to reassign an order to, and the best in-stock
// substitutes for a SKU that ran out (docs/spec/INCIDENTS.md). The engine gathers the
// candidates from its state. Depends on: core (geo).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/geo.h"

namespace og {

struct RiderCandidate {
  std::string_view id;
  bool online = false;
  bool in_zone = false;        // in the order's zone
  std::int64_t active_orders = 0;
  double distance_m = -1;      // to the pickup point; < 0 when unknown (ranked last)
  bool excluded = false;       // the rider who just gave the order up
};

// Online, in the order's zone, fewer than `max_load` active orders; then the fewest active
// orders, then the nearest to the pickup point, then the lowest id. -1 when none qualifies.
int best_rider(std::span<const RiderCandidate> riders, std::int64_t max_load);

// best_rider's two halves, for a caller that ranks riders one at a time so it need not
// gather them all: whether a rider qualifies (the distance plays no part in it), and whether
// a qualifying rider ranks before another. Among equals the earlier one stays best.
bool rider_qualifies(const RiderCandidate& rider, std::int64_t max_load);
bool rider_ranks_before(const RiderCandidate& a, const RiderCandidate& b);

struct SubstituteCandidate {
  std::string_view sku;
  bool same_category = false;
  int shared_tags = 0;
  std::int64_t price = 0;
  bool in_stock = false;
};

// Same category, in stock, price at most `max_ratio` x the original's; most shared tags first,
// then the price nearest the original, then the lowest SKU. At most `count` indexes.
std::vector<int> best_substitutes(std::span<const SubstituteCandidate> candidates, std::int64_t original_price,
                                  double max_ratio, std::size_t count);

}  // namespace og
