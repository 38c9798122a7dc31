// engine/views: read-only copies of the master data and customer history the engine holds,
// for callers outside the engine that must judge by the same facts as the rules (pre-submit
// validation, src/validate). Plain data, by name: no symbols, nothing that points into the
// engine, so a view stays valid while the engine moves on.
// Depends on: events/event (kAbsent, LatLng, PaymentMethod), core/time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"
#include "events/event.h"

namespace og {

// The latest `catalog.item` of a SKU (what PRICE_MISMATCH compares against).
struct CatalogItemView {
  std::int64_t price = kAbsent;          // kAbsent: no price given
  std::int64_t reorder_point = kAbsent;  // kAbsent: the configured default applies
  std::string category;                  // empty: none given
};

// The latest `stock.level` of a SKU, in event time (what LOW_STOCK reads).
struct StockLevelView {
  std::int64_t available = 0;
  TimeMs at = kAbsent;  // the report's ts
};

// A zone's `zone.config` (what OUT_OF_DELIVERY_AREA reads).
struct ZoneView {
  bool has_centre = false;
  LatLng centre;
  double radius_m = -1;  // negative: no radius given (the area check does not apply)
};

struct SkuQtyView {
  std::string sku;
  std::int64_t qty = 0;
  friend bool operator==(const SkuQtyView&, const SkuQtyView&) = default;
};

// One of a user's orders as DUPLICATE_UNPAID_ORDERS and AMOUNT_ANOMALY see it.
struct UserOrderView {
  std::string order_id;
  TimeMs created_at = kAbsent;
  TimeMs paid_at = kAbsent;       // earliest payment.succeeded
  TimeMs cancelled_at = kAbsent;
  TimeMs completed_at = kAbsent;
  std::int64_t amount = kAbsent;
  PaymentMethod payment_method = PaymentMethod::kOnline;
  std::vector<SkuQtyView> items;  // total quantity per SKU, sorted by SKU (docs/decisions.md #11)
};

struct UserCancellationView {
  TimeMs at = kAbsent;  // the order.cancelled's ts
  std::string order_id;
};

// What the behaviour rules remember of a user. Each list is kept, as the engine keeps it, for
// the rule's window: entries older than twice the window before the user's latest entry are
// gone, so a view answers for any time at or after that latest entry.
struct UserHistoryView {
  // Cancellations `by: user`, the first of each order (FREQUENT_CANCELLATION), oldest first.
  std::vector<UserCancellationView> cancellations;
  // Orders by creation (DUPLICATE_UNPAID_ORDERS), oldest first.
  std::vector<UserOrderView> recent_orders;
  // The last `anomaly_history` order amounts (AMOUNT_ANOMALY), oldest first.
  std::vector<std::int64_t> amounts;
};

}  // namespace og
