// The read-only views of engine/views.h: copies of master data and customer history, by name.
// Looking a name up never interns it (Interner::find), so asking changes nothing.
#include <algorithm>

#include "engine/engine_core.h"

namespace og {

struct EngineViews {
  static std::optional<CatalogItemView> catalog_item(const EngineCore& core, std::string_view sku) {
    const Symbol symbol = core.interner.find(sku);
    if (symbol == kNoSymbol) return std::nullopt;
    const auto it = core.catalog_.find(symbol);
    if (it == core.catalog_.end()) return std::nullopt;
    CatalogItemView view;
    view.price = it->second.price;
    view.reorder_point = it->second.reorder_point;
    view.category = std::string(core.interner.view(it->second.category));
    return view;
  }

  static std::optional<StockLevelView> stock_level(const EngineCore& core, std::string_view sku) {
    const Symbol symbol = core.interner.find(sku);
    if (symbol == kNoSymbol) return std::nullopt;
    const auto it = core.stock_levels_.find(symbol);
    if (it == core.stock_levels_.end()) return std::nullopt;
    return StockLevelView{it->second.available, it->second.at};
  }

  static std::optional<ZoneView> zone_config(const EngineCore& core, std::string_view zone) {
    const Symbol symbol = core.interner.find(zone);
    if (symbol == kNoSymbol) return std::nullopt;
    const auto it = core.zones_.find(symbol);
    if (it == core.zones_.end()) return std::nullopt;
    return ZoneView{it->second.has_centre, it->second.centre, it->second.radius_m};
  }

  static std::optional<UserHistoryView> user_history(const EngineCore& core, std::string_view user_id) {
    const Symbol symbol = core.interner.find(user_id);
    if (symbol == kNoSymbol) return std::nullopt;
    const UserState* user = core.users_.find(symbol);
    if (user == nullptr) return std::nullopt;
    UserHistoryView view;
    for (const auto& [at, order] : user->read().user_cancellations) {
      view.cancellations.push_back(UserCancellationView{at, std::string(core.interner.view(order))});
    }
    for (const auto& [created_at, index] : user->recent_orders) {
      const OrderState& s = core.orders_[index];
      UserOrderView order;
      order.order_id = std::string(core.interner.view(s.order_id));
      order.created_at = created_at;
      order.paid_at = s.paid_at();
      order.cancelled_at = s.cancelled_at();
      order.completed_at = s.completed_at();
      order.amount = s.amount;
      order.payment_method = s.payment_method;
      for (const SkuQty& line : canonical_items(core.items_of(index))) {
        order.items.push_back(SkuQtyView{std::string(core.interner.view(line.sku)), line.qty});
      }
      std::sort(order.items.begin(), order.items.end(), [](const SkuQtyView& a, const SkuQtyView& b) { return a.sku < b.sku; });
      view.recent_orders.push_back(std::move(order));
    }
    view.amounts = user->amounts;
    return view;
  }
};

std::optional<CatalogItemView> Engine::catalog_item(std::string_view sku) const { return EngineViews::catalog_item(*core_, sku); }
std::optional<StockLevelView> Engine::stock_level(std::string_view sku) const { return EngineViews::stock_level(*core_, sku); }
std::optional<ZoneView> Engine::zone_config(std::string_view zone) const { return EngineViews::zone_config(*core_, zone); }
std::optional<UserHistoryView> Engine::user_history(std::string_view user_id) const {
  return EngineViews::user_history(*core_, user_id);
}

}  // namespace og
