// sim/trackers: the incidents that no single order plans, because they follow from many:
// FREQUENT_CANCELLATION, RIDER_FREQUENT_CANCEL, DUPLICATE_UNPAID_ORDERS, AMOUNT_ANOMALY,
// LOW_STOCK (per SKU) and COMMUNITY_HOTSPOT. Each is the rule of docs/spec/INCIDENTS.md and
// docs/decisions.md applied to the stream the world emits, in the order a correct engine
// applies it ((ts, lifecycle rank, id)), so the truth holds whatever the planted episodes
// and the random orders happen to combine into.
// An incident that never clears by itself stays open under its dedup key, so these raise
// at most one per key (user, rider, community+type) for the whole run.
// Memory is bounded by the windows: entries older than twice a window are dropped.
// Owns: the cross-order rule state. Depends on: sim/truth, sim/world_model, core.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/time.h"
#include "sim/truth.h"
#include "sim/world_model.h"

namespace og::sim {

class Trackers {
 public:
  // The canonical basket (quantity per SKU), hashed: what DUPLICATE_UNPAID_ORDERS compares.
  static std::uint64_t basket_key(const std::vector<std::pair<std::string, std::int64_t>>& items);

  // Each returns the incidents the event completes (appended to `out`).
  void on_order_created(TimeMs ts, const std::string& user, std::uint64_t order, std::uint64_t basket, bool tracked_amount,
                        std::int64_t amount, const std::string& order_id, const std::string& community, std::vector<TruthRecord>& out);
  void on_paid(std::uint64_t order);
  void on_cancelled(TimeMs ts, const std::string& user, std::uint64_t order, bool by_user, std::vector<TruthRecord>& out);
  void on_rider_cancelled(TimeMs ts, const std::string& rider, std::uint64_t order, std::vector<TruthRecord>& out);
  void on_stock_level(TimeMs ts, const std::string& sku, std::int64_t available, std::int64_t reorder_point,
                      std::vector<TruthRecord>& out);
  // Every order incident, in detected_at order (retracted ones never exist here).
  void on_order_incident(const TruthRecord& incident, std::vector<TruthRecord>& out);

  // Forgets windows with nothing left inside and tracked users idle for a week (episode
  // users never come back), so memory follows the recent past, not the whole run.
  void sweep(TimeMs now);
  std::size_t entries() const { return user_cancels_.size() + rider_cancels_.size() + amounts_.size() + recent_orders_.size(); }

  // The amounts the engine remembers for a tracked user (oldest first).
  const std::deque<std::int64_t>* amounts_of(const std::string& user) const;
  // Median x2 of a tracked user's amounts (kAbsent when fewer than the rule needs).
  std::int64_t median_x2(const std::string& user) const;

 private:
  struct Recent {
    TimeMs created_at = 0;
    std::uint64_t basket = 0;
    bool paid = false;
    bool cancelled = false;
    std::string user;
  };
  struct Window {
    std::deque<std::pair<TimeMs, std::uint64_t>> entries;  // (ts, order)
  };
  static int distinct_in_window(const Window& window, TimeMs t, DurationMs span);
  void expire_recent(TimeMs now);

  std::unordered_map<std::string, Window> user_cancels_;
  std::unordered_map<std::string, Window> rider_cancels_;
  std::set<std::string> raised_users_cancel_, raised_riders_, raised_users_duplicate_;

  std::unordered_map<std::uint64_t, Recent> recent_orders_;                     // order -> facts
  std::unordered_map<std::string, std::vector<std::uint64_t>> recent_by_user_;  // user -> orders
  std::deque<std::pair<TimeMs, std::uint64_t>> recent_fifo_;

  std::unordered_map<std::string, std::deque<std::int64_t>> amounts_;  // tracked users only
  std::unordered_map<std::string, TimeMs> amounts_seen_;
  std::unordered_map<std::string, bool> low_stock_open_;
  struct Hotspot {
    std::deque<TimeMs> detected;
    TimeMs raised_at = -1;  // the last hotspot; at most one per community and type per window
  };
  std::map<std::pair<std::string, Kind>, Hotspot> hotspots_;
};

}  // namespace og::sim
