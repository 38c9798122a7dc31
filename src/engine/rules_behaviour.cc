// Customer and rider behaviour rules (用户行为异常): FREQUENT_CANCELLATION,
// DUPLICATE_UNPAID_ORDERS, AMOUNT_ANOMALY, RIDER_FREQUENT_CANCEL. (NEGATIVE_REVIEW is a
// single-event rule, in rules_goods.cc beside complaints.)
#include <algorithm>
#include <optional>
#include <vector>

#include "engine/engine_core.h"

namespace og {
namespace {

constexpr std::size_t kMaxWindowEntries = 256;

// Distinct orders in the window (t - window, t]; entries are (ts, order).
std::int64_t distinct_orders_in_window(const std::vector<std::pair<TimeMs, Symbol>>& entries, TimeMs t, DurationMs window) {
  std::vector<Symbol> orders;
  for (const auto& [ts, order] : entries) {
    if (ts > t - window && ts <= t && std::find(orders.begin(), orders.end(), order) == orders.end()) orders.push_back(order);
  }
  return static_cast<std::int64_t>(orders.size());
}

// The first window end, at or after `t`, at which (end - window, end] holds `count` distinct
// orders: `t` itself, or the time of an entry already known that came after it. A late event
// completes the windows that end at events applied before it, as if all had come in ts order
// (decisions #5); in ts order there are no such entries and this is the window ending at `t`.
// kAbsent: none.
TimeMs first_full_window(const std::vector<std::pair<TimeMs, Symbol>>& entries, TimeMs t, DurationMs window, std::int64_t count) {
  if (distinct_orders_in_window(entries, t, window) >= count) return t;
  std::vector<TimeMs> ends;  // in ts order, none: nothing to allocate
  for (const auto& [ts, order] : entries) {
    if (ts > t && ts < t + window) ends.push_back(ts);
  }
  std::sort(ends.begin(), ends.end());
  for (const TimeMs end : ends) {
    if (distinct_orders_in_window(entries, end, window) >= count) return end;
  }
  return kAbsent;
}

// FREQUENT_CANCELLATION and RIDER_FREQUENT_CANCEL: the time the cancellation just remembered
// completes a window at, kAbsent when none or when one was raised within a window of it, on
// either side ("at most one per 24 h": a late event's window may end before the one raised).
TimeMs frequent_cancellation_at(const std::vector<std::pair<TimeMs, Symbol>>& entries, TimeMs t, DurationMs window,
                                std::int64_t count, TimeMs raised_at) {
  const TimeMs at = first_full_window(entries, t, window, count);
  if (at == kAbsent || (raised_at != kAbsent && at - raised_at < window && raised_at - at < window)) return kAbsent;
  return at;
}

// A user's short lists (recent orders, amounts) hold a handful of entries for each of many
// users: growing by a quarter rather than doubling keeps them near their size.
template <typename T>
void make_room(std::vector<T>& entries) {
  if (entries.size() == entries.capacity()) entries.reserve(entries.size() + std::max<std::size_t>(1, entries.size() / 4));
}

void remember(std::vector<std::pair<TimeMs, Symbol>>& entries, TimeMs t, Symbol order, DurationMs window) {
  // Older than any window a later (or slightly late) event can still look at.
  std::erase_if(entries, [&](const auto& entry) { return entry.first <= t - 2 * window; });
  if (entries.size() >= kMaxWindowEntries) entries.erase(entries.begin());
  entries.emplace_back(t, order);
}

}  // namespace

void EngineCore::count_user_cancellation(std::uint32_t o, const Event& e) {
  const OrderState& s = order(o);
  if (s.user == kNoSymbol) return;
  UserHistory& u = user(s.user).more();
  const DurationMs window = config.frequent_cancellation_window_ms;
  remember(u.user_cancellations, e.ts, s.order_id, window);
  const TimeMs at = frequent_cancellation_at(u.user_cancellations, e.ts, window, config.frequent_cancellation_count,
                                             u.frequent_cancel_raised_at);
  if (at == kAbsent) return;
  // The newest raised is what "one per 24 h" is measured from: a late one never moves it back.
  if (raise(Raise{.type = IncidentType::kFrequentCancellation, .at = at, .subject = s.user, .evidence = {e.id}}) != nullptr) {
    u.frequent_cancel_raised_at = std::max(u.frequent_cancel_raised_at, at);
  }
}

void EngineCore::count_rider_cancellation(std::uint32_t o, const Event& e) {
  if (e.rider_id == kNoSymbol) return;
  RiderState& r = riders_[e.rider_id];
  r.id = e.rider_id;
  const DurationMs window = config.rider_cancel_window_ms;
  remember(r.cancellations, e.ts, order(o).order_id, window);
  const TimeMs at = frequent_cancellation_at(r.cancellations, e.ts, window, config.rider_cancel_count, r.frequent_cancel_raised_at);
  if (at == kAbsent) return;
  if (raise(Raise{.type = IncidentType::kRiderFrequentCancel, .at = at, .subject = e.rider_id, .evidence = {e.id}}) != nullptr) {
    r.frequent_cancel_raised_at = std::max(r.frequent_cancel_raised_at, at);
  }
}

namespace {

// Equal for any two item lists with the same canonical form (a sum over lines, so neither
// their order nor a SKU split over several lines changes it): lists that differ here differ.
std::uint64_t items_fingerprint(const ItemPool::View& items) {
  std::uint64_t sum = 0;
  for (const OrderItem& item : items) sum += hash_combine(0x9e3779b97f4a7c15ull, item.sku) * item.qty;
  return sum;
}

}  // namespace

void EngineCore::check_duplicate_unpaid(std::uint32_t o, const Event& e) {
  const OrderState& s = order(o);
  if (s.user == kNoSymbol) return;
  UserState& u = user(s.user);
  const TimeMs t = e.ts;
  const DurationMs window = config.duplicate_unpaid_window_ms;
  // The canonical forms (sorted copies) only for an unpaid order in the window whose
  // fingerprint matches: most users have no such order, and most that do ordered other things.
  std::optional<std::uint64_t> fingerprint;
  std::optional<std::vector<SkuQty>> items;
  std::int64_t same = 0;
  // An order that lists no items (an errand, or a feed that leaves the optional field out) has
  // no multiset to compare: the rule does not fire on it (EVENTS.md, decisions #14).
  const bool comparable = !items_of(o).empty();
  for (const auto& [created_at, other] : u.recent_orders) {
    if (!comparable) break;
    if (other == o || created_at <= t - window || created_at > t) continue;
    const OrderState& candidate = orders_[other];
    if (candidate.is_paid_at(t) || (candidate.cancelled_at() != kAbsent && candidate.cancelled_at() <= t)) continue;
    if (!fingerprint) fingerprint = items_fingerprint(items_of(o));
    if (items_fingerprint(items_of(other)) != *fingerprint) continue;  // cannot be the same items
    if (!items) items = canonical_items(items_of(o));
    if (canonical_items(items_of(other)) == *items) ++same;
  }
  std::erase_if(u.recent_orders, [&](const auto& entry) { return entry.first <= t - 2 * window; });
  if (u.recent_orders.size() >= kMaxWindowEntries) u.recent_orders.erase(u.recent_orders.begin());
  make_room(u.recent_orders);
  u.recent_orders.emplace_back(t, o);
  if (same < config.duplicate_unpaid_others) return;
  const TimeMs raised_at = u.read().duplicate_unpaid_raised_at;
  if (raised_at != kAbsent && t - raised_at < window) return;
  if (raise(Raise{.type = IncidentType::kDuplicateUnpaidOrders, .at = t, .subject = s.user, .evidence = {e.id}}) != nullptr) {
    u.more().duplicate_unpaid_raised_at = t;
  }
}

void EngineCore::check_amount_anomaly(std::uint32_t o, const Event& e) {
  const OrderState& s = order(o);
  if (s.user == kNoSymbol || s.amount == kAbsent) return;
  UserState& u = user(s.user);
  if (static_cast<std::int64_t>(u.amounts.size()) >= config.anomaly_min_orders) {
    std::vector<std::int64_t> sorted(u.amounts.begin(), u.amounts.end());
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    // Twice the median, so an even count's median stays an integer.
    const std::int64_t median_x2 = n % 2 == 1 ? 2 * sorted[n / 2] : sorted[n / 2 - 1] + sorted[n / 2];
    const bool many_times = static_cast<double>(2 * s.amount) >= config.anomaly_multiple * static_cast<double>(median_x2);
    const bool far_above = 2 * s.amount - median_x2 >= 2 * config.anomaly_min_excess;
    if (many_times && far_above) {
      raise(Raise{.type = IncidentType::kAmountAnomaly, .at = e.ts, .order = o, .evidence = {e.id}});
    }
  }
  if (static_cast<std::int64_t>(u.amounts.size()) >= config.anomaly_history) {
    u.amounts.erase(u.amounts.begin(), u.amounts.begin() + (static_cast<std::int64_t>(u.amounts.size()) - config.anomaly_history + 1));
  }
  make_room(u.amounts);
  u.amounts.push_back(s.amount);
}

}  // namespace og
