// events/event_diff: the first difference between two parsed events, for tests and fuzzing
// (the parser's fast and general readers must fill an Event identically). Numbers compare bit
// for bit (-0.0 is not 0.0), symbols by value: both events must come from interners that saw
// the same strings in the same order. Depends on: events/event.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"

namespace og {

namespace event_diff_detail {

template <typename T>
bool same(const T& a, const T& b) {
  return a == b;
}
inline bool same(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }
inline bool same(LatLng a, LatLng b) { return same(a.lat, b.lat) && same(a.lng, b.lng); }
inline bool same(const Item& a, const Item& b) {
  return a.sku == b.sku && a.qty == b.qty && a.unit_price == b.unit_price && a.expires_at == b.expires_at;
}
inline bool same(const PickupPoint& a, const PickupPoint& b) { return a.id == b.id && same(a.position, b.position); }
template <typename T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace event_diff_detail

// "" when `a` and `b` are the same event; otherwise the name of the first field that differs.
inline std::string first_difference(const Event& a, const Event& b) {
  using event_diff_detail::same;
#define OG_EVENT_DIFF(field) \
  if (!same(a.field, b.field)) return #field
#define OG_EVENT_DIFF_AS(name, read) \
  if (!same(a.read, b.read)) return name
  OG_EVENT_DIFF(id);
  OG_EVENT_DIFF(id_hash);
  OG_EVENT_DIFF(type);
  OG_EVENT_DIFF(ts);
  OG_EVENT_DIFF(order_id);
  OG_EVENT_DIFF(user_id);
  OG_EVENT_DIFF(merchant_id);
  OG_EVENT_DIFF(zone);
  OG_EVENT_DIFF(community);
  OG_EVENT_DIFF(rider_id);
  OG_EVENT_DIFF(txn_id);
  OG_EVENT_DIFF(refund_id);
  OG_EVENT_DIFF(sku);
  OG_EVENT_DIFF(substitute_sku);
  OG_EVENT_DIFF(category);
  OG_EVENT_DIFF(warehouse);
  OG_EVENT_DIFF(code);
  OG_EVENT_DIFF(kind);
  OG_EVENT_DIFF(payment_method);
  OG_EVENT_DIFF(user_tier);
  OG_EVENT_DIFF(has_user_tier);
  OG_EVENT_DIFF(substitution_pref);
  OG_EVENT_DIFF(has_substitution_pref);
  OG_EVENT_DIFF(promise_at);
  OG_EVENT_DIFF(slot_start);
  OG_EVENT_DIFF(slot_end);
  OG_EVENT_DIFF(address.present);
  OG_EVENT_DIFF(address.has_text);
  OG_EVENT_DIFF(address.has_building);
  OG_EVENT_DIFF(address.has_room);
  OG_EVENT_DIFF(address.has_position);
  OG_EVENT_DIFF(address.position);
  OG_EVENT_DIFF(coupon.present);
  OG_EVENT_DIFF(coupon.code);
  OG_EVENT_DIFF(coupon.discount);
  OG_EVENT_DIFF(coupon.min_spend);
  OG_EVENT_DIFF(coupon.expires_at);
  OG_EVENT_DIFF(amount);
  OG_EVENT_DIFF(requested);
  OG_EVENT_DIFF(available);
  OG_EVENT_DIFF(price);
  OG_EVENT_DIFF(reorder_point);
  OG_EVENT_DIFF(active_orders);
  OG_EVENT_DIFF(score);
  OG_EVENT_DIFF(radius_m);
  OG_EVENT_DIFF(accepted);
  OG_EVENT_DIFF(online);
  OG_EVENT_DIFF(has_position);
  OG_EVENT_DIFF(position);
  OG_EVENT_DIFF(cancelled_by);
  OG_EVENT_DIFF(attempt_failure);
  OG_EVENT_DIFF(complaint_kind);
  OG_EVENT_DIFF(has_items);
  OG_EVENT_DIFF(items);
  OG_EVENT_DIFF_AS("tags", tags());
  OG_EVENT_DIFF_AS("pickup_points", pickup_points());
  OG_EVENT_DIFF_AS("channels", channels());
  OG_EVENT_DIFF_AS("agent.agent_id", agent().agent_id);
  OG_EVENT_DIFF_AS("agent.incident_id", agent().incident_id);
  OG_EVENT_DIFF_AS("agent.name", agent().name);
  OG_EVENT_DIFF_AS("agent.to", agent().to);
  OG_EVENT_DIFF_AS("agent.text", agent().text);
  OG_EVENT_DIFF_AS("agent.resolution_code", agent().resolution_code);
  OG_EVENT_DIFF_AS("agent.skills", agent().skills);
  OG_EVENT_DIFF_AS("agent.capacity", agent().capacity);
  OG_EVENT_DIFF_AS("agent.supervisor", agent().supervisor);
  OG_EVENT_DIFF_AS("agent.on_duty", agent().on_duty);
#undef OG_EVENT_DIFF
#undef OG_EVENT_DIFF_AS
  return {};
}

}  // namespace og
