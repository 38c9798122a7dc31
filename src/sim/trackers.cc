#include "sim/trackers.h"

#include <algorithm>

#include "core/hash.h"

namespace og::sim {

std::uint64_t Trackers::basket_key(const std::vector<std::pair<std::string, std::int64_t>>& items) {
  std::map<std::string, std::int64_t> by_sku;
  for (const auto& [sku, qty] : items) by_sku[sku] += qty;
  std::uint64_t key = 0x6b617362ULL;
  for (const auto& [sku, qty] : by_sku) key = hash_combine(hash_combine(key, hash64(sku)), static_cast<std::uint64_t>(qty));
  return key;
}

int Trackers::distinct_in_window(const Window& window, TimeMs t, DurationMs span) {
  std::vector<std::uint64_t> orders;
  for (const auto& [ts, order] : window.entries) {
    if (ts > t - span && ts <= t && std::find(orders.begin(), orders.end(), order) == orders.end()) orders.push_back(order);
  }
  return static_cast<int>(orders.size());
}

void Trackers::expire_recent(TimeMs now) {
  // Twice the window: a creation can only look back one window.
  while (!recent_fifo_.empty() && recent_fifo_.front().first <= now - 2 * Limits::kDuplicateUnpaidWindow) {
    const std::uint64_t order = recent_fifo_.front().second;
    recent_fifo_.pop_front();
    const auto it = recent_orders_.find(order);
    if (it == recent_orders_.end()) continue;
    auto by_user = recent_by_user_.find(it->second.user);
    if (by_user != recent_by_user_.end()) {
      std::erase(by_user->second, order);
      if (by_user->second.empty()) recent_by_user_.erase(by_user);
    }
    recent_orders_.erase(it);
  }
}

void Trackers::on_order_created(TimeMs ts, const std::string& user, std::uint64_t order, std::uint64_t basket, bool tracked_amount,
                                std::int64_t amount, const std::string& order_id, const std::string& community,
                                std::vector<TruthRecord>& out) {
  expire_recent(ts);
  // DUPLICATE_UNPAID_ORDERS: >= 2 other orders of the user created in (ts - 10 min, ts], same
  // basket, unpaid and not cancelled at ts.
  int same = 0;
  if (const auto it = recent_by_user_.find(user); it != recent_by_user_.end()) {
    for (const std::uint64_t other : it->second) {
      const Recent& r = recent_orders_.at(other);
      if (other == order || r.created_at <= ts - Limits::kDuplicateUnpaidWindow || r.created_at > ts) continue;
      if (!r.paid && !r.cancelled && r.basket == basket) ++same;
    }
  }
  recent_orders_[order] = Recent{ts, basket, false, false, user};
  recent_by_user_[user].push_back(order);
  recent_fifo_.emplace_back(ts, order);
  if (same >= Limits::kDuplicateUnpaidOthers && raised_users_duplicate_.insert(user).second) {
    TruthRecord record;
    record.type = Kind::kDuplicateUnpaidOrders;
    record.subject_id = user;
    record.detected_at = ts;
    record.note = "恶意下单: " + std::to_string(same + 1) + " identical unpaid orders within 10 min";
    out.push_back(std::move(record));
  }

  // AMOUNT_ANOMALY: >= 5 earlier orders, amount >= 5 x median of the last 50 and >= median + 20000.
  if (!tracked_amount) return;
  auto& amounts = amounts_[user];
  amounts_seen_[user] = ts;
  if (amounts.size() >= static_cast<std::size_t>(Limits::kAnomalyMinOrders)) {
    const std::int64_t m2 = median_x2(user);
    if (2 * amount >= Limits::kAnomalyMultiple * m2 && 2 * amount - m2 >= 2 * Limits::kAnomalyMinExcess) {
      TruthRecord record;
      record.type = Kind::kAmountAnomaly;
      record.subject_id = order_id;
      record.detected_at = ts;
      record.community = community;
      record.note = "amount " + std::to_string(amount) + " against a median of " + std::to_string(m2 / 2);
      out.push_back(std::move(record));
    }
  }
  amounts.push_back(amount);
  while (amounts.size() > Limits::kAnomalyHistory) amounts.pop_front();
}

void Trackers::on_paid(std::uint64_t order) {
  if (const auto it = recent_orders_.find(order); it != recent_orders_.end()) it->second.paid = true;
}

void Trackers::on_cancelled(TimeMs ts, const std::string& user, std::uint64_t order, bool by_user, std::vector<TruthRecord>& out) {
  if (const auto it = recent_orders_.find(order); it != recent_orders_.end()) it->second.cancelled = true;
  if (!by_user) return;
  Window& window = user_cancels_[user];
  window.entries.emplace_back(ts, order);
  while (!window.entries.empty() && window.entries.front().first <= ts - 2 * Limits::kFrequentCancelWindow) window.entries.pop_front();
  if (distinct_in_window(window, ts, Limits::kFrequentCancelWindow) < Limits::kFrequentCancelCount) return;
  if (!raised_users_cancel_.insert(user).second) return;
  TruthRecord record;
  record.type = Kind::kFrequentCancellation;
  record.subject_id = user;
  record.detected_at = ts;
  record.note = "third user cancellation within 24 h";
  out.push_back(std::move(record));
}

void Trackers::on_rider_cancelled(TimeMs ts, const std::string& rider, std::uint64_t order, std::vector<TruthRecord>& out) {
  Window& window = rider_cancels_[rider];
  window.entries.emplace_back(ts, order);
  while (!window.entries.empty() && window.entries.front().first <= ts - 2 * Limits::kRiderCancelWindow) window.entries.pop_front();
  if (distinct_in_window(window, ts, Limits::kRiderCancelWindow) < Limits::kRiderCancelCount) return;
  if (!raised_riders_.insert(rider).second) return;
  TruthRecord record;
  record.type = Kind::kRiderFrequentCancel;
  record.subject_id = rider;
  record.detected_at = ts;
  record.note = "跑腿员无故取消: third order cancelled within 24 h";
  out.push_back(std::move(record));
}

void Trackers::on_stock_level(TimeMs ts, const std::string& sku, std::int64_t available, std::int64_t reorder_point,
                              std::vector<TruthRecord>& out) {
  bool& open = low_stock_open_[sku];
  if (available >= reorder_point) {
    open = false;  // back at or above the reorder point: cleared
    return;
  }
  if (open) return;
  open = true;
  TruthRecord record;
  record.type = Kind::kLowStock;
  record.subject_id = sku;
  record.detected_at = ts;
  record.note = "available " + std::to_string(available) + " below reorder point " + std::to_string(reorder_point);
  out.push_back(std::move(record));
}

void Trackers::on_order_incident(const TruthRecord& incident, std::vector<TruthRecord>& out) {
  if (incident.community.empty() || subject_of(incident.type) != Subject::kOrder) return;
  Hotspot& spot = hotspots_[{incident.community, incident.type}];
  const TimeMs t = incident.detected_at;
  spot.detected.push_back(t);
  while (!spot.detected.empty() && spot.detected.front() <= t - 2 * Limits::kHotspotWindow) spot.detected.pop_front();
  if (spot.raised_at >= 0 && t - spot.raised_at < Limits::kHotspotWindow) return;
  const auto in_window = std::count_if(spot.detected.begin(), spot.detected.end(),
                                       [&](TimeMs d) { return d > t - Limits::kHotspotWindow && d <= t; });
  if (in_window < Limits::kHotspotCount) return;
  spot.raised_at = t;
  TruthRecord record;
  record.type = Kind::kCommunityHotspot;
  record.subject_id = incident.community;
  record.about = incident.type;
  record.detected_at = t;
  record.note = std::to_string(in_window) + " " + std::string(kind_name(incident.type)) + " within 60 min";
  out.push_back(std::move(record));
}

void Trackers::sweep(TimeMs now) {
  const auto stale = [](std::unordered_map<std::string, Window>& windows, TimeMs before) {
    std::erase_if(windows, [&](const auto& entry) { return entry.second.entries.empty() || entry.second.entries.back().first <= before; });
  };
  stale(user_cancels_, now - 2 * Limits::kFrequentCancelWindow);
  stale(rider_cancels_, now - 2 * Limits::kRiderCancelWindow);
  std::erase_if(amounts_seen_, [&](const auto& entry) {
    if (entry.second > now - 7 * 24 * kHourMs) return false;
    amounts_.erase(entry.first);
    return true;
  });
}

const std::deque<std::int64_t>* Trackers::amounts_of(const std::string& user) const {
  const auto it = amounts_.find(user);
  return it == amounts_.end() ? nullptr : &it->second;
}

std::int64_t Trackers::median_x2(const std::string& user) const {
  const auto* amounts = amounts_of(user);
  if (amounts == nullptr || amounts->empty()) return kAbsent;
  std::vector<std::int64_t> sorted(amounts->begin(), amounts->end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  return n % 2 == 1 ? 2 * sorted[n / 2] : sorted[n / 2 - 1] + sorted[n / 2];
}


}  // namespace og::sim
