// The checks of a draft, each the pre-submit form of a detection rule (src/engine/rules_*.cc)
// with the same RulesConfig parameters and boundaries; docs/validate.md lists them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "core/geo.h"
#include "core/messages.h"
#include "core/saturating.h"
#include "engine/engine.h"
#include "rules/config.h"
#include "rules/incident_type.h"
#include "validate/validate.h"

namespace og {
namespace {

// Money in minor units (分) as a person reads it: 590 -> "¥5.90".
std::string money(std::int64_t minor) {
  const std::uint64_t magnitude = minor < 0 ? 0 - static_cast<std::uint64_t>(minor) : static_cast<std::uint64_t>(minor);
  return fmt::format("{}¥{}.{:02}", minor < 0 ? "-" : "", magnitude / 100, magnitude % 100);
}

std::string item_field(std::size_t index, std::string_view child) { return fmt::format("items[{}].{}", index, child); }

// A name from the draft or the engine in a message: quoted, at most 64 bytes, escaped.
std::string quoted(std::string_view text) { return quote_input(text); }

// Order ids in a message: the first few (the finding's `orders` has them all).
std::string join(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 5;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) {
    if (!out.empty()) out += ", ";
    out += quote_input(names[i]);
  }
  if (names.size() > kShown) out += fmt::format(" and {} more", names.size() - kShown);
  return out;
}

class Checker {
 public:
  Checker(const Engine& engine, const DraftOrder& draft, TimeMs now)
      : engine_(engine), config_(engine.config()), draft_(draft), now_(now) {
    result_.checked_at = now;
  }

  Validation run() {
    check_items_present();
    check_address();
    check_area();
    check_lines();
    check_coupon();
    check_amount();
    check_frequent_canceller();
    check_duplicate_unpaid();
    check_amount_anomaly();
    return std::move(result_);
  }

 private:
  Finding& add(std::string_view code, FindingSeverity severity, std::string field, std::string message,
               IncidentType incident = IncidentType::kCount) {
    Finding& finding = result_.findings.emplace_back();
    finding.code = code;
    finding.severity = severity;
    finding.field = std::move(field);
    finding.message = std::move(message);
    if (incident != IncidentType::kCount) finding.incident = incident_type_name(incident);
    return finding;
  }

  void skip(std::string_view code, std::string field, std::string reason) {
    result_.not_checked.push_back(NotChecked{std::string(code), std::move(field), std::move(reason)});
  }

  // A check that mirrors an incident type is off when that type is switched off.
  bool enabled(IncidentType type, std::string_view code, std::string_view field) {
    if (config_.enabled(type)) return true;
    skip(code, std::string(field), fmt::format("{} is switched off in the rules configuration", incident_type_name(type)));
    return false;
  }

  // The items' value (COUPON_INVALID checks min_spend against it only when every line has its
  // unit_price: all_prices_given), 0 for no items.
  std::int64_t subtotal() const { return items_subtotal(draft_.items, kAbsent); }
  bool all_prices_given() const { return subtotal() != kAbsent; }

  void check_items_present() {
    if (!draft_.items.empty()) return;
    add(finding::kNoItems, FindingSeverity::kBlock, "items", "The draft has no items: add at least one item to order.");
  }

  // ADDRESS_INCOMPLETE (rules_goods.cc check_address): `address.text` empty, or lat/lng
  // missing, or neither building nor room; a draft without an address is not checked, as the
  // rule does not fire without one (docs/decisions.md #14).
  void check_address() {
    if (!enabled(IncidentType::kAddressIncomplete, finding::kAddressIncomplete, "address")) return;
    const Address& address = draft_.address;
    const auto incomplete = [&](std::string field, std::string message) {
      add(finding::kAddressIncomplete, FindingSeverity::kBlock, std::move(field), std::move(message), IncidentType::kAddressIncomplete);
    };
    if (!address.present) return skip(finding::kAddressIncomplete, "address", "the draft has no address");
    if (!address.has_text) incomplete("address.text", "The address text is empty: give the street address in address.text.");
    if (!address.has_position) {
      incomplete("address", "The address has no position: give both address.lat and address.lng (pick the place on the map).");
    }
    if (!address.has_building && !address.has_room) {
      incomplete("address.building", "The address names neither a building nor a room: give address.building or address.room.");
    }
  }

  // OUT_OF_DELIVERY_AREA (rules_goods.cc check_address): farther than the zone's radius_m from
  // its centre (great-circle distance); exactly at the radius is inside.
  void check_area() {
    if (!enabled(IncidentType::kOutOfDeliveryArea, finding::kOutOfArea, "zone")) return;
    if (draft_.zone.empty()) return skip(finding::kOutOfArea, "zone", "the draft names no zone");
    if (!draft_.address.has_position) return skip(finding::kOutOfArea, "address", "the address has no position (lat and lng)");
    const auto zone = engine_.zone_config(draft_.zone);
    if (!zone) return skip(finding::kOutOfArea, "zone", fmt::format("no zone.config for zone {}", quoted(draft_.zone)));
    if (!zone->has_centre || zone->radius_m < 0) {
      return skip(finding::kOutOfArea, "zone", fmt::format("zone {} has no centre or no radius_m", quoted(draft_.zone)));
    }
    const double distance = great_circle_m(draft_.address.position, zone->centre);
    if (distance <= zone->radius_m) return;
    Finding& f = add(finding::kOutOfArea, FindingSeverity::kBlock, "address",
                     fmt::format("The address is {:.0f} m from the centre of zone {}, outside its delivery radius of {:.0f} m: "
                                 "choose an address inside the zone or collect the order at a pickup point.",
                                 distance, quoted(draft_.zone), zone->radius_m),
                     IncidentType::kOutOfDeliveryArea);
    f.expected = std::llround(zone->radius_m);
    f.actual = std::llround(distance);
  }

  // Per line: stock (the latest stock.level's available against the total quantity of the
  // SKU, as item lists are compared per SKU, docs/decisions.md #11) and price (PRICE_MISMATCH:
  // unit_price differs from the latest catalog.item price; no tolerance, as the rule).
  void check_lines() {
    const bool stock_on = enabled(IncidentType::kOutOfStock, finding::kOutOfStock, "items");
    const bool price_on = enabled(IncidentType::kPriceMismatch, finding::kPriceMismatch, "items");
    for (std::size_t i = 0; i < draft_.items.size(); ++i) {
      const DraftItem& item = draft_.items[i];
      const bool first_of_sku = std::none_of(draft_.items.begin(), draft_.items.begin() + static_cast<std::ptrdiff_t>(i),
                                             [&](const DraftItem& other) { return other.sku == item.sku; });
      if (stock_on && first_of_sku) check_stock(i);
      if (price_on) check_price(i);
    }
  }

  void check_stock(std::size_t index) {
    const DraftItem& item = draft_.items[index];
    if (item.sku.empty()) return skip(finding::kOutOfStock, item_field(index, "sku"), "the line has no sku");
    std::int64_t wanted = 0;
    std::size_t lines = 0;
    for (const DraftItem& other : draft_.items) {
      if (other.sku == item.sku) {
        wanted = saturating_add(wanted, other.qty);
        ++lines;
      }
    }
    const auto level = engine_.stock_level(item.sku);
    if (!level) return skip(finding::kOutOfStock, item_field(index, "sku"), fmt::format("no stock.level for SKU {}", quoted(item.sku)));
    if (wanted <= level->available) return;
    Finding& f = add(finding::kOutOfStock, FindingSeverity::kBlock, item_field(index, "qty"),
                     fmt::format("Only {} of SKU {} in stock, {} ordered{}: lower the quantity or remove the item.",
                                 level->available, quoted(item.sku), wanted, lines > 1 ? fmt::format(" over {} lines", lines) : ""),
                     IncidentType::kOutOfStock);
    f.expected = level->available;
    f.actual = wanted;
  }

  void check_price(std::size_t index) {
    const DraftItem& item = draft_.items[index];
    if (item.unit_price == kAbsent) return skip(finding::kPriceMismatch, item_field(index, "unit_price"), "the line has no unit_price");
    if (item.sku.empty()) return skip(finding::kPriceMismatch, item_field(index, "sku"), "the line has no sku");
    const auto entry = engine_.catalog_item(item.sku);
    if (!entry || entry->price == kAbsent) {
      return skip(finding::kPriceMismatch, item_field(index, "unit_price"), fmt::format("no catalog price for SKU {}", quoted(item.sku)));
    }
    if (entry->price == item.unit_price) return;
    Finding& f = add(finding::kPriceMismatch, FindingSeverity::kBlock, item_field(index, "unit_price"),
                     fmt::format("The unit price {} of SKU {} differs from the catalog price {}: refresh the price from the catalog.",
                                 money(item.unit_price), quoted(item.sku), money(entry->price)),
                     IncidentType::kPriceMismatch);
    f.expected = entry->price;
    f.actual = item.unit_price;
  }

  // COUPON_INVALID (rules_goods.cc check_prices_and_coupon): expired (expires_at before the
  // order's ts, here the check time), or min_spend above the items' subtotal. And a discount
  // larger than the items' subtotal (no incident type: docs/decisions.md).
  void check_coupon() {
    const DraftCoupon& coupon = draft_.coupon;
    if (!coupon.present) return;
    const std::string name = coupon.code.empty() ? std::string("The coupon") : fmt::format("Coupon {}", quoted(coupon.code));
    const bool coupon_on = enabled(IncidentType::kCouponInvalid, finding::kCouponExpired, "coupon.expires_at") &&
                           enabled(IncidentType::kCouponInvalid, finding::kCouponMinSpend, "coupon.min_spend");
    if (coupon_on) {
      if (coupon.expires_at != kAbsent && coupon.expires_at < now_) {
        add(finding::kCouponExpired, FindingSeverity::kBlock, "coupon.expires_at",
            fmt::format("{} expired at {}: remove it or use a valid coupon.", name, format_utc_ms(coupon.expires_at)),
            IncidentType::kCouponInvalid);
      }
      const std::int64_t items = subtotal();
      if (coupon.min_spend != kAbsent && (draft_.items.empty() || !all_prices_given())) {
        skip(finding::kCouponMinSpend, "coupon.min_spend",
             draft_.items.empty() ? "the draft has no items: the items' subtotal is unknown" : "a line has no unit_price: the items' subtotal is unknown");
      } else if (coupon.min_spend != kAbsent && coupon.min_spend > items) {
        Finding& f = add(finding::kCouponMinSpend, FindingSeverity::kBlock, "coupon.min_spend",
                         fmt::format("{} needs a spend of at least {}, and the items come to {}: add items worth {} or remove the coupon.",
                                     name, money(coupon.min_spend), money(items), money(coupon.min_spend - items)),
                         IncidentType::kCouponInvalid);
        f.expected = coupon.min_spend;
        f.actual = items;
      }
    }
    if (coupon.discount > 0 && all_prices_given() && coupon.discount > subtotal()) {
      Finding& f = add(finding::kCouponExceedsSubtotal, FindingSeverity::kBlock, "coupon.discount",
                       fmt::format("{} takes off {}, more than the items' {}: a coupon cannot be worth more than the goods.",
                                   name, money(coupon.discount), money(subtotal())));
      f.expected = subtotal();
      f.actual = coupon.discount;
    }
  }

  // amount = the items' subtotal - the coupon's discount (never below 0). Less is a block (the
  // platform would undercharge); more is a warning for grocery and mall (a fee the spec does
  // not model, or an error) and nothing for an errand, which charges the runner's fee on top.
  void check_amount() {
    if (draft_.items.empty()) return;
    if (!all_prices_given()) return skip(finding::kAmountMismatch, "amount", "a line has no unit_price: the items' subtotal is unknown");
    const std::int64_t discount = draft_.coupon.present ? draft_.coupon.discount : 0;
    const std::int64_t expected = std::max<std::int64_t>(0, subtotal() - discount);
    const std::int64_t amount = draft_.amount;
    if (amount == expected) return;
    const std::string basis = discount > 0 ? fmt::format("the items' {} minus the coupon's {}", money(subtotal()), money(discount))
                                           : std::string("the items' total");
    if (amount < expected) {
      Finding& f = add(finding::kAmountMismatch, FindingSeverity::kBlock, "amount",
                       fmt::format("The amount {} is below {} ({}): correct the amount.", money(amount), money(expected), basis));
      f.expected = expected;
      f.actual = amount;
    } else if (draft_.kind != OrderKind::kErrand) {
      Finding& f = add(finding::kAmountMismatch, FindingSeverity::kWarn, "amount",
                       fmt::format("The amount {} is above {} ({}): fine if it includes a fee, otherwise correct the amount.",
                                   money(amount), money(expected), basis));
      f.expected = expected;
      f.actual = amount;
    }
  }

  // FREQUENT_CANCELLATION (rules_behaviour.cc count_user_cancellation): the user cancelled
  // (`by: user`) at least frequent_cancellation_count distinct orders within
  // frequent_cancellation_window, the window (now - W, now].
  void check_frequent_canceller() {
    if (!enabled(IncidentType::kFrequentCancellation, finding::kFrequentCanceller, "user_id")) return;
    const auto& history = user_history();
    if (!history) return;
    const DurationMs window = config_.frequent_cancellation_window_ms;
    std::vector<std::string> orders;
    for (const UserCancellationView& c : history->cancellations) {
      if (c.at > now_ - window && c.at <= now_ && std::find(orders.begin(), orders.end(), c.order_id) == orders.end()) {
        orders.push_back(c.order_id);
      }
    }
    const auto count = static_cast<std::int64_t>(orders.size());
    if (count < config_.frequent_cancellation_count) return;
    Finding& f = add(finding::kFrequentCanceller, FindingSeverity::kWarn, "user_id",
                     fmt::format("User {} cancelled {} orders in the last {} ({}; the limit is {}): the platform restricts this "
                                 "customer to prepaid orders with a cancellation fee; confirm the order with the customer.",
                                 quoted(draft_.user_id), count, format_duration(window), join(orders),
                                 config_.frequent_cancellation_count),
                     IncidentType::kFrequentCancellation);
    f.expected = config_.frequent_cancellation_count;
    f.actual = count;
    f.orders = std::move(orders);
  }

  // DUPLICATE_UNPAID_ORDERS (rules_behaviour.cc check_duplicate_unpaid): other orders of the
  // user created within duplicate_unpaid_window, the window (now - W, now], with the same
  // quantity per SKU, not paid and not cancelled at the check time. At
  // duplicate_unpaid_others of them placing the draft raises the incident: block; below, warn.
  void check_duplicate_unpaid() {
    if (!enabled(IncidentType::kDuplicateUnpaidOrders, finding::kDuplicateUnpaid, "items")) return;
    // No items to compare: the engine raises nothing on such an order (decisions #14).
    if (draft_.items.empty()) return skip(finding::kDuplicateUnpaid, "items", "the draft has no items: there is nothing to compare");
    const auto& history = user_history();
    if (!history) return;
    std::vector<SkuQtyView> wanted;
    for (const DraftItem& item : draft_.items) {
      const auto it = std::find_if(wanted.begin(), wanted.end(), [&](const SkuQtyView& q) { return q.sku == item.sku; });
      if (it == wanted.end()) wanted.push_back(SkuQtyView{item.sku, item.qty});
      else it->qty = saturating_add(it->qty, item.qty);
    }
    std::sort(wanted.begin(), wanted.end(), [](const SkuQtyView& a, const SkuQtyView& b) { return a.sku < b.sku; });
    const DurationMs window = config_.duplicate_unpaid_window_ms;
    std::vector<std::string> orders;
    for (const UserOrderView& other : history->recent_orders) {
      if (!draft_.order_id.empty() && other.order_id == draft_.order_id) continue;
      if (other.created_at <= now_ - window || other.created_at > now_) continue;
      if (other.paid_at != kAbsent && other.paid_at <= now_) continue;
      if (other.cancelled_at != kAbsent && other.cancelled_at <= now_) continue;
      if (other.items == wanted) orders.push_back(other.order_id);
    }
    if (orders.empty()) return;
    const auto count = static_cast<std::int64_t>(orders.size());
    const bool raises = count >= config_.duplicate_unpaid_others;
    Finding& f = add(finding::kDuplicateUnpaid, raises ? FindingSeverity::kBlock : FindingSeverity::kWarn, "items",
                     fmt::format("User {} already has {} unpaid order{} with the same items from the last {} ({}): {}",
                                 quoted(draft_.user_id), count, count == 1 ? "" : "s", format_duration(window), join(orders),
                                 raises ? "placing another raises DUPLICATE_UNPAID_ORDERS; pay or cancel those orders instead."
                                        : "pay or cancel that order instead of placing the same one again."),
                     IncidentType::kDuplicateUnpaidOrders);
    f.expected = config_.duplicate_unpaid_others;
    f.actual = count;
    f.orders = std::move(orders);
  }

  // AMOUNT_ANOMALY (rules_behaviour.cc check_amount_anomaly): the user has at least
  // anomaly_min_orders earlier orders, and the amount is at least anomaly_multiple times the
  // median of the last anomaly_history amounts and exceeds it by at least anomaly_min_excess.
  void check_amount_anomaly() {
    if (!enabled(IncidentType::kAmountAnomaly, finding::kAmountAnomaly, "amount")) return;
    const auto& history = user_history();
    if (!history || static_cast<std::int64_t>(history->amounts.size()) < config_.anomaly_min_orders) return;
    std::vector<std::int64_t> sorted = history->amounts;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    // Twice the median, so an even count's median stays an integer (as the rule computes it).
    const std::int64_t median_x2 = n % 2 == 1 ? saturating_mul(2, sorted[n / 2]) : saturating_add(sorted[n / 2 - 1], sorted[n / 2]);
    const std::int64_t amount = draft_.amount;
    const std::int64_t amount_x2 = saturating_mul(2, amount);
    const bool many_times = static_cast<double>(amount_x2) >= config_.anomaly_multiple * static_cast<double>(median_x2);
    const bool far_above = saturating_add(amount_x2, -median_x2) >= saturating_mul(2, config_.anomaly_min_excess);
    if (!many_times || !far_above) return;
    Finding& f = add(finding::kAmountAnomaly, FindingSeverity::kWarn, "amount",
                     fmt::format("The amount {} is at least {}x the median of user {}'s last {} orders ({}) and above it by "
                                 "{} or more: the order will be held for a risk review; confirm it with the customer.",
                                 money(amount), config_.anomaly_multiple, quoted(draft_.user_id), n, money(median_x2 / 2),
                                 money(config_.anomaly_min_excess)),
                     IncidentType::kAmountAnomaly);
    f.expected = median_x2 / 2;
    f.actual = amount;
  }

  const std::optional<UserHistoryView>& user_history() {
    if (!history_loaded_) {
      if (!draft_.user_id.empty()) history_ = engine_.user_history(draft_.user_id);
      history_loaded_ = true;
    }
    return history_;
  }

  const Engine& engine_;
  const RulesConfig& config_;
  const DraftOrder& draft_;
  const TimeMs now_;
  Validation result_;
  std::optional<UserHistoryView> history_;
  bool history_loaded_ = false;
};

}  // namespace

std::string_view finding_severity_name(FindingSeverity severity) {
  return severity == FindingSeverity::kBlock ? "block" : "warn";
}

bool Validation::ok() const { return count(FindingSeverity::kBlock) == 0; }

std::size_t Validation::count(FindingSeverity severity) const {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(), [&](const Finding& finding) { return finding.severity == severity; }));
}

Validation validate_draft(const Engine& engine, const DraftOrder& draft, TimeMs now) {
  return Checker(engine, draft, now).run();
}

}  // namespace og
