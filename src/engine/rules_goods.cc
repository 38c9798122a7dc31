// Goods and inventory rules (商品异常): OUT_OF_STOCK, LOW_STOCK, PICKING_MISMATCH,
// PRICE_MISMATCH, COUPON_INVALID, EXPIRING_PRODUCT, DAMAGED_GOODS, WRONG_OR_MISSING_ITEM,
// plus the address checks made at creation (ADDRESS_INCOMPLETE, OUT_OF_DELIVERY_AREA) and
// the master data they read.
#include <algorithm>
#include <array>

#include "core/geo.h"
#include "engine/engine_core.h"
#include "core/saturating.h"

namespace og {
namespace {

// Item lists are compared by the quantity of each SKU (docs/decisions.md #11): a picker who
// takes two units from two expiry batches reports two lines [{a,1},{a,1}] for an ordered
// [{a,2}], and that is neither a wrong nor a missing item. The lines go into `lines` (room for
// one per item) sorted by SKU, a SKU seen again adding to its line; returns how many.
// The place of each line is sought from the end: lists tend to come in SKU order, and then
// each line goes last after one comparison.
template <typename Items, typename SkuOf>
std::size_t merge_by_sku(const Items& items, SkuOf sku_of, SkuQty* lines) {
  std::size_t count = 0;
  for (const auto& item : items) {
    const Symbol sku = sku_of(item);
    const auto qty = static_cast<std::int64_t>(item.qty);
    std::size_t at = count;
    while (at > 0 && lines[at - 1].sku > sku) --at;
    if (at > 0 && lines[at - 1].sku == sku) {
      lines[at - 1].qty += qty;
      continue;
    }
    for (std::size_t i = count; i > at; --i) lines[i] = lines[i - 1];
    lines[at] = SkuQty{sku, qty};
    ++count;
  }
  return count;
}

template <typename Items, typename SkuOf>
std::vector<SkuQty> quantities_by_sku(const Items& items, SkuOf sku_of) {
  std::vector<SkuQty> result(items.size());
  result.resize(merge_by_sku(items, sku_of, result.data()));
  return result;
}

// canonical_hash(quantities_by_sku(items, sku_of)) without a list on the heap for the usual
// short one: the same lines, merged in an array on the stack.
template <typename Items, typename SkuOf>
std::uint64_t canonical_hash_by_sku(const Items& items, SkuOf sku_of) {
  constexpr std::size_t kShort = 32;
  if (items.size() > kShort) return canonical_hash(quantities_by_sku(items, sku_of));
  std::array<SkuQty, kShort> lines;
  return canonical_hash(std::span<const SkuQty>(lines.data(), merge_by_sku(items, sku_of, lines.data())));
}

bool complaint_in(std::uint32_t bits, ComplaintKind kind) { return (bits >> static_cast<unsigned>(kind)) & 1u; }

}  // namespace

std::vector<SkuQty> canonical_items(const std::vector<Item>& items) {
  return quantities_by_sku(items, [](const Item& item) { return item.sku; });
}

std::vector<SkuQty> canonical_items(const ItemPool::View& items) {
  return quantities_by_sku(items, [](const OrderItem& item) { return item.sku; });
}

void EngineCore::check_prices_and_coupon(std::uint32_t o, const Event& e) {
  const auto items = items_of(o);
  for (const OrderItem& item : items) {
    if (item.unit_price == kAbsent) continue;
    const auto entry = catalog_.find(item.sku);
    if (entry != catalog_.end() && entry->second.price != kAbsent && entry->second.price != item.unit_price) {
      raise(Raise{.type = IncidentType::kPriceMismatch, .at = e.ts, .order = o, .evidence = {e.id}});
      break;
    }
  }
  if (!e.coupon.present) return;
  // The items subtotal is known when every item line has its unit_price: without items or
  // prices the min_spend rule does not fire (EVENTS.md: "the rules that need it simply do not
  // fire without it"), as for an errand order, which has none.
  const std::int64_t subtotal = items.empty() ? kAbsent : items_subtotal(items, kAbsent);
  const bool expired = e.coupon.expires_at != kAbsent && e.coupon.expires_at < e.ts;
  const bool below_min_spend = e.coupon.min_spend != kAbsent && subtotal != kAbsent && e.coupon.min_spend > subtotal;
  if (expired || below_min_spend) {
    raise(Raise{.type = IncidentType::kCouponInvalid, .at = e.ts, .order = o, .evidence = {e.id}});
  }
}

void EngineCore::check_address(std::uint32_t o, const Event& e) {
  const OrderState& s = order(o);
  // An order without an address raises nothing: `address` is optional, and "the rules that
  // need it simply do not fire without it" (EVENTS.md; decisions #14).
  if (s.address_present) {
    const bool incomplete = !s.address_has_text || !s.address_has_position || (!s.address_has_building && !s.address_has_room);
    if (incomplete) {
      raise(Raise{.type = IncidentType::kAddressIncomplete, .at = e.ts, .order = o, .evidence = {e.id}});
    } else {
      clear(find_open_for_order(o, IncidentType::kAddressIncomplete), e);
    }
  }
  if (!s.address_has_position || s.zone == kNoSymbol) return;
  const auto zone = zones_.find(s.zone);
  if (zone == zones_.end() || !zone->second.has_centre || zone->second.radius_m < 0) return;
  if (great_circle_m(s.address_position, zone->second.centre) > zone->second.radius_m) {
    raise(Raise{.type = IncidentType::kOutOfDeliveryArea, .at = e.ts, .order = o, .evidence = {e.id}});
  } else {
    clear(find_open_for_order(o, IncidentType::kOutOfDeliveryArea), e);
  }
}

Symbol EngineCore::expected_sku(const OrderExtras* extra, Symbol ordered) {
  if (extra != nullptr) {
    for (const auto& [sku, substitute] : extra->accepted_substitutions) {
      if (sku == ordered) return substitute;
    }
  }
  return ordered;
}

Symbol EngineCore::ordered_sku(const OrderExtras* extra, Symbol expected) {
  if (extra != nullptr) {
    for (const auto& [sku, substitute] : extra->accepted_substitutions) {
      if (substitute == expected) return sku;
    }
  }
  return expected;
}

bool EngineCore::picking_matches_order(std::uint32_t o) const { return expected_picking_hash(o) == orders_[o].picked_hash; }

bool EngineCore::pick_matches_order(std::uint32_t o, const std::vector<Item>& picked) const {
  return expected_picking_hash(o) == canonical_hash_by_sku(picked, [](const Item& item) { return item.sku; });
}

std::uint64_t EngineCore::expected_picking_hash(std::uint32_t o) const {
  const OrderExtras* extra = find_extras(o);
  return canonical_hash_by_sku(items_of(o), [&](const OrderItem& item) { return expected_sku(extra, item.sku); });
}

std::vector<SkuQty> EngineCore::expected_picking(std::uint32_t o) const {
  const OrderExtras* extra = find_extras(o);
  return quantities_by_sku(items_of(o), [&](const OrderItem& item) { return expected_sku(extra, item.sku); });
}

void EngineCore::check_picking(std::uint32_t o, const Event& e, const std::vector<Item>& picked) {
  const OrderState& s = order(o);
  if (!s.created || s.pick_completed_at() == kAbsent) return;
  const TimeMs at = std::max(s.created_at(), s.pick_completed_at());
  // Without the ordered items (absent or `[]` on order.created) there is nothing to compare
  // the pick against: no mismatch (EVENTS.md, decisions #14).
  if (!items_of(o).empty() && !picking_matches_order(o)) {
    raise(Raise{.type = IncidentType::kPickingMismatch, .at = at, .order = o, .evidence = {e.id}});
  }
  if (s.promise_at() == kAbsent) return;
  for (const Item& item : picked) {
    if (item.expires_at != kAbsent && item.expires_at < s.promise_at() + config.min_shelf_life_ms) {
      raise(Raise{.type = IncidentType::kExpiringProduct, .at = at, .order = o, .sku = item.sku, .evidence = {e.id}});
    }
  }
}

void EngineCore::on_stock_shortage(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  check_state_consistency(o, e);
  if (s.is_closed_at(e.ts)) return;  // a closed order's fulfilment events only feed STATE_INCONSISTENT
  const bool paid = s.is_paid_at(e.ts);
  raise(Raise{.type = IncidentType::kOutOfStock, .at = e.ts, .order = o, .sku = e.sku,
              .severity_override = paid ? config.type(IncidentType::kOutOfStock).severity : config.out_of_stock_unpaid_severity,
              .has_severity_override = true, .evidence = {e.id}});
}

void EngineCore::on_stock_reserved(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.ts == s.reserved_at()) return count_repeat();
  check_state_consistency(o, e);
  if (s.reserved_at() == kAbsent || e.ts > s.reserved_at()) s.set_reserved_at(e.ts);
  refresh_stage(o, e);
  arm_stock_release(o, e.ts);  // a reservation that arrives after its cancellation
}

void EngineCore::on_picking_started(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (e.ts == s.pick_started_at()) return count_repeat();
  check_state_consistency(o, e);
  if (s.pick_started_at() == kAbsent || e.ts < s.pick_started_at()) s.set_pick_started_at(e.ts);
  refresh_stage(o, e);
}

void EngineCore::on_picking_completed(std::uint32_t o, const Event& e) {
  OrderState& s = order(o);
  if (s.pick_completed_at() != kAbsent) return count_repeat();  // the first report of what was picked stands
  check_state_consistency(o, e);
  s.set_pick_completed_at(e.ts);
  // Without an items list what was picked is not known, and there is nothing to compare
  // (EVENTS.md: a rule does not fire without the field it needs); `[]` is a list, of nothing.
  s.pick_items_known = e.has_items;
  if (!e.has_items) return refresh_stage(o, e);
  s.picked_hash = canonical_hash_by_sku(e.items, [](const Item& item) { return item.sku; });
  if (!s.created) {
    extras(o).picked_before_created = e.items;
  } else if (!s.is_closed_at(e.ts)) {  // a closed order's fulfilment events only feed STATE_INCONSISTENT
    check_picking(o, e, e.items);
  }
  refresh_stage(o, e);
}

void EngineCore::on_substitution_responded(std::uint32_t o, const Event& e) {
  if (e.sku == kNoSymbol) return;  // an answer about no sku changes nothing
  OrderState& s = order(o);
  // Only answers given before picking completed shape what should have been picked.
  if (s.pick_completed_at() != kAbsent && e.ts > s.pick_completed_at()) return;
  auto& accepted = extras(o).accepted_substitutions;
  std::erase_if(accepted, [&](const auto& entry) { return entry.first == e.sku; });
  if (e.accepted && e.substitute_sku != kNoSymbol) accepted.emplace_back(e.sku, e.substitute_sku);
  // A late answer that makes the picked items right proves the mismatch wrong.
  Incident* mismatch = find_open_for_order(o, IncidentType::kPickingMismatch);
  if (mismatch != nullptr && picking_matches_order(o)) {
    mismatch->evidence.push_back(e.id);
    retract(*mismatch, e.ts);
  }
}

void EngineCore::on_complaint(std::uint32_t o, const Event& e) {
  if (complaint_in(config.damaged_complaint_kinds, e.complaint_kind)) {
    raise(Raise{.type = IncidentType::kDamagedGoods, .at = e.ts, .order = o, .evidence = {e.id}});
  }
  if (complaint_in(config.wrong_item_complaint_kinds, e.complaint_kind)) {
    raise(Raise{.type = IncidentType::kWrongOrMissingItem, .at = e.ts, .order = o, .evidence = {e.id}});
  }
}

void EngineCore::on_rating(std::uint32_t o, const Event& e) {
  if (e.score != kAbsent && e.score <= config.negative_review_max_score) {
    raise(Raise{.type = IncidentType::kNegativeReview, .at = e.ts, .order = o, .evidence = {e.id}});
  }
}

void EngineCore::on_catalog_item(const Event& e) {
  CatalogEntry& entry = catalog_[e.sku];
  if (e.price != kAbsent) entry.price = e.price;
  if (e.category != kNoSymbol) entry.category = e.category;
  if (!e.tags().empty()) entry.tags = e.tags();
  if (e.reorder_point != kAbsent) entry.reorder_point = e.reorder_point;
}

void EngineCore::on_stock_level(const Event& e) {
  const auto entry = catalog_.find(e.sku);
  const std::int64_t reorder_point = entry != catalog_.end() && entry->second.reorder_point != kAbsent
                                         ? entry->second.reorder_point
                                         : config.default_reorder_point;
  StockLevel& latest = stock_levels_[e.sku];
  if (latest.at != kAbsent && e.ts < latest.at) {
    // A late report older than the current level: in event time it came first. A low one
    // opened an incident that the newer (sufficient) level then cleared.
    if (e.available < reorder_point && latest.available >= reorder_point &&
        find_open(IncidentType::kLowStock, e.sku) == nullptr) {
      if (Incident* low = raise(Raise{.type = IncidentType::kLowStock, .at = e.ts, .subject = e.sku, .evidence = {e.id}})) {
        log.resolve(*low, Resolution::kSelf, latest.at);
      }
    }
    return;
  }
  latest = StockLevel{e.available, e.ts};
  if (e.available < reorder_point) {
    raise(Raise{.type = IncidentType::kLowStock, .at = e.ts, .subject = e.sku, .evidence = {e.id}});
  } else {
    clear(find_open(IncidentType::kLowStock, e.sku), e);
  }
}

void EngineCore::on_zone_config(const Event& e) {
  ZoneEntry& zone = zones_[e.zone];
  if (e.has_position) {
    zone.has_centre = true;
    zone.centre = e.position;
  }
  if (e.radius_m >= 0) zone.radius_m = e.radius_m;
  if (!e.pickup_points().empty()) zone.pickup_points = e.pickup_points();
}

void EngineCore::on_rider_status(const Event& e) {
  RiderState& rider = riders_[e.rider_id];
  rider.id = e.rider_id;
  if (e.zone != kNoSymbol) rider.zone = e.zone;
  rider.online = e.online;
  if (e.has_position) {
    rider.has_position = true;
    rider.position = e.position;
  }
  if (e.active_orders != kAbsent) rider.active_orders = e.active_orders;
}

void EngineCore::on_user_profile(const Event& e) {
  UserState& state = user(e.user_id);
  if (e.has_user_tier) {
    state.has_profile_tier = true;
    state.vip = e.user_tier == UserTier::kVip;
  }
  if (e.has_substitution_pref) {
    state.has_profile_pref = true;
    state.substitution_pref = e.substitution_pref;
  }
  if (!e.channels().empty()) {
    state.channels = 0;
    for (const Channel channel : e.channels()) state.channels = static_cast<std::uint8_t>(state.channels | 1u << static_cast<unsigned>(channel));
  }
}

}  // namespace og
