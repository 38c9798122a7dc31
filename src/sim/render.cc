#include "sim/render.h"

#include <array>
#include <charconv>

#include "core/json_writer.h"
#include "core/time.h"

namespace og::sim {

namespace {

constexpr std::array<const char*, 4> kPayFailCodes = {"CHANNEL_DOWN", "INSUFFICIENT_FUNDS", "RISK_REJECTED", "TIMEOUT"};
constexpr std::array<const char*, 4> kPayFailMessages = {"支付通道维护中", "余额不足", "风控拦截", "支付超时"};
constexpr std::array<const char*, 3> kRefundFailCodes = {"ACCOUNT_CLOSED", "CHANNEL_DOWN", "LIMIT_EXCEEDED"};
constexpr std::array<const char*, 4> kCancelReasons = {"不想要了", "配送太慢", "商品缺货", "地址填错了"};
constexpr std::array<const char*, 4> kRiderCancelReasons = {"电动车没电了", "太远了", "临时有事", "接单太多"};
constexpr std::array<const char*, 4> kAttemptNotes = {"其他原因", "电话无人接听", "地址不存在", "顾客拒收"};

// Compact JSON for the hot path: keys are literals and most values need no escaping, so
// they are appended in bulk; a value that does need escaping goes through append_json_string.
class Json {
 public:
  explicit Json(std::string& out) : out_(out) {}
  Json& begin_object() { separate(); out_.push_back('{'); first_ = true; return *this; }
  Json& end_object() { out_.push_back('}'); first_ = false; return *this; }
  Json& begin_array() { separate(); out_.push_back('['); first_ = true; return *this; }
  Json& end_array() { out_.push_back(']'); first_ = false; return *this; }
  Json& key(std::string_view name) {
    if (!first_) out_.push_back(',');
    out_.push_back('"');
    out_.append(name);
    out_.append("\":");
    first_ = true;  // the value that follows needs no separator
    return *this;
  }
  Json& string(std::string_view value) {
    separate();
    bool plain = true;
    for (const char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') {
        plain = false;
        break;
      }
    }
    if (plain) {
      out_.push_back('"');
      out_.append(value);
      out_.push_back('"');
    } else {
      append_json_string(out_, value);
    }
    return *this;
  }
  Json& integer(std::int64_t value) {
    separate();
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, result.ptr);
    return *this;
  }
  Json& number(double value) {
    separate();
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, result.ptr);
    return *this;
  }
  Json& boolean(bool value) {
    separate();
    out_.append(value ? "true" : "false");
    return *this;
  }
  Json& raw(std::string_view json) {
    separate();
    out_.append(json);
    return *this;
  }
  Json& time(TimeMs t, TimeStyle style) {
    separate();
    append_time(out_, t, style);
    return *this;
  }
  Json& field(std::string_view name, std::string_view value) { return key(name).string(value); }
  Json& field(std::string_view name, const char* value) { return key(name).string(value); }
  Json& field(std::string_view name, const std::string& value) { return key(name).string(value); }
  Json& field(std::string_view name, std::int64_t value) { return key(name).integer(value); }
  Json& field(std::string_view name, bool value) { return key(name).boolean(value); }

 private:
  void separate() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

const char* kind_name_of(OrderKind kind) {
  switch (kind) {
    case OrderKind::kGrocery: return "grocery";
    case OrderKind::kErrand: return "errand";
    case OrderKind::kMall: return "mall";
  }
  return "grocery";
}

const char* cancelled_by_name(std::uint8_t by) {
  switch (static_cast<CancelledBy>(by)) {
    case CancelledBy::kUser: return "user";
    case CancelledBy::kMerchant: return "merchant";
    case CancelledBy::kRider: return "rider";
    default: return "system";
  }
}

const char* attempt_name(std::uint8_t reason) {
  switch (static_cast<AttemptFailure>(reason)) {
    case AttemptFailure::kNoAnswer: return "no_answer";
    case AttemptFailure::kWrongAddress: return "wrong_address";
    case AttemptFailure::kRefused: return "refused";
    default: return "other";
  }
}

const char* complaint_name(std::uint8_t kind) {
  switch (static_cast<ComplaintKind>(kind)) {
    case ComplaintKind::kDamaged: return "damaged";
    case ComplaintKind::kQuality: return "quality";
    case ComplaintKind::kWrongItem: return "wrong_item";
    case ComplaintKind::kMissingItem: return "missing_item";
    case ComplaintKind::kExpired: return "expired";
    default: return "other";
  }
}

const char* pref_name(SubstitutionPref pref) {
  switch (pref) {
    case SubstitutionPref::kSubstitute: return "substitute";
    case SubstitutionPref::kRefund: return "refund";
    default: return "contact";
  }
}

const char* source_of(EventType type) {
  switch (type) {
    case EventType::kPaymentFailed:
    case EventType::kPaymentSucceeded:
    case EventType::kRefundRequested:
    case EventType::kRefundSucceeded:
    case EventType::kRefundFailed: return "pay";
    case EventType::kStockReserved:
    case EventType::kStockShortage:
    case EventType::kStockReleased:
    case EventType::kPickingStarted:
    case EventType::kPickingCompleted:
    case EventType::kStockLevel: return "wms";
    case EventType::kRiderAssigned:
    case EventType::kRiderCancelled:
    case EventType::kRiderLocation:
    case EventType::kDeliveryPickedUp:
    case EventType::kDeliveryAttemptFailed:
    case EventType::kDeliveryDelivered:
    case EventType::kRiderStatus: return "dispatch";
    case EventType::kComplaintFiled:
    case EventType::kRatingSubmitted: return "cs";
    default: return "oms";
  }
}

void time_field(Json& json, std::string& out, std::string_view name, TimeMs t, TimeStyle style) {
  json.key(name).time(t, style);
  (void)out;
}

void envelope_start(Json& json, std::string& out, std::string_view id, EventType type, TimeMs ts, TimeStyle style) {
  json.begin_object();
  json.field("id", id);
  json.field("type", event_type_name(type));
  time_field(json, out, "ts", ts, style);
}

void sku_items(Json& json, const WorldModel& world, const OrderPlan& plan) {
  json.key("items").begin_array();
  for (const PlanItem& item : plan.items) {
    if (!world.skus()[item.sku].stocked) continue;
    json.begin_object();
    json.field("sku", world.skus()[item.sku].sku);
    json.field("qty", item.qty);
    json.end_object();
  }
  json.end_array();
}

void address(Json& json, const AddressDef& a) {
  json.key("address").begin_object();
  json.field("text", a.text);
  if (!a.building.empty()) json.field("building", a.building);
  if (!a.unit.empty()) json.field("unit", a.unit);
  if (!a.room.empty()) json.field("room", a.room);
  if (a.has_position) {
    json.key("lat").number(a.position.lat);
    json.key("lng").number(a.position.lng);
  }
  json.end_object();
}

}  // namespace

void append_time(std::string& out, TimeMs time_ms, TimeStyle style) {
  switch (style) {
    case TimeStyle::kEpochMs: {
      char buffer[24];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, time_ms);
      out.append(buffer, result.ptr);
      return;
    }
    case TimeStyle::kUtc:
      out.push_back('"');
      append_utc_ms(out, time_ms);
      out.push_back('"');
      return;
    case TimeStyle::kBeijing:
      out.push_back('"');
      append_utc_ms(out, time_ms + 8 * kHourMs);
      out.pop_back();  // the 'Z'
      out += "+08:00\"";
      return;
  }
}

void append_step_id(std::string& out, const OrderPlan& plan, std::size_t step_index) {
  out += plan.order_id;
  out.push_back('.');
  const std::size_t n = step_index + 1;
  out.push_back(static_cast<char>('0' + (n / 100) % 10));
  out.push_back(static_cast<char>('0' + (n / 10) % 10));
  out.push_back(static_cast<char>('0' + n % 10));
}

void render_step(std::string& out, const WorldModel& world, const OrderPlan& plan, std::size_t step_index, TimeStyle style) {
  const Step& step = plan.steps[step_index];
  std::string id;
  append_step_id(id, plan, step_index);
  Json json(out);
  envelope_start(json, out, id, step.type, step.ts, style);
  if (step.type == EventType::kUserProfile) {
    json.field("user_id", plan.user.id);
    json.field("tier", plan.user.vip ? "vip" : "normal");
    json.field("substitution_pref", pref_name(plan.user.pref));
    json.key("channels").begin_array().string("app").string("sms").end_array();
    json.end_object();
    out.push_back('\n');
    return;
  }
  json.field("order_id", plan.order_id);
  json.field("source", source_of(step.type));
  const auto sku_of = [&](std::int32_t item) -> const SkuDef& { return world.skus()[plan.items[static_cast<std::size_t>(item)].sku]; };
  switch (step.type) {
    case EventType::kOrderCreated: {
      const CommunityDef& community = world.communities()[plan.community];
      json.field("user_id", plan.user.id);
      json.field("kind", kind_name_of(plan.kind));
      if (!plan.merchant_id.empty()) json.field("merchant_id", plan.merchant_id);
      json.field("zone", world.zones()[plan.zone].id);
      json.field("community", community.name);
      address(json, plan.address);
      json.key("items").begin_array();
      for (const PlanItem& item : plan.items) {
        const SkuDef& sku = world.skus()[item.sku];
        json.begin_object();
        json.field("sku", sku.sku);
        json.field("name", sku.name);
        json.field("qty", item.qty);
        json.field("unit_price", item.unit_price);
        json.field("category", sku.category);
        json.end_object();
      }
      json.end_array();
      json.field("amount", plan.amount);
      if (plan.coupon.present) {
        json.key("coupon").begin_object();
        json.field("code", plan.coupon.code);
        json.field("discount", plan.coupon.discount);
        if (plan.coupon.min_spend != kAbsent) json.field("min_spend", plan.coupon.min_spend);
        if (plan.coupon.expires_at != kAbsent) time_field(json, out, "expires_at", plan.coupon.expires_at, style);
        json.end_object();
      }
      json.field("payment_method", plan.payment_method == PaymentMethod::kCod ? "cod" : "online");
      if (plan.promise_at != kAbsent) time_field(json, out, "promise_at", plan.promise_at, style);
      if (plan.slot_start != kAbsent) {
        time_field(json, out, "slot_start", plan.slot_start, style);
        time_field(json, out, "slot_end", plan.slot_end, style);
      }
      json.field("user_tier", plan.user.vip ? "vip" : "normal");
      json.field("substitution_pref", pref_name(plan.user.pref));
      break;
    }
    case EventType::kOrderAddressChanged: address(json, plan.changed_address); break;
    case EventType::kOrderCancelled:
      json.field("by", cancelled_by_name(step.detail));
      json.field("reason", kCancelReasons[static_cast<std::size_t>(step.a) % kCancelReasons.size()]);
      json.field("reason_code", std::string("C") + std::to_string(step.a));
      break;
    case EventType::kPaymentSucceeded:
      json.field("amount", step.amount);
      json.field("txn_id", "T" + plan.order_id.substr(2) + "-" + std::to_string(step.a));
      break;
    case EventType::kPaymentFailed:
      json.field("code", kPayFailCodes[step.detail % kPayFailCodes.size()]);
      json.field("message", kPayFailMessages[step.detail % kPayFailMessages.size()]);
      json.field("txn_id", "TF" + plan.order_id.substr(2) + "-" + std::to_string(step.a));
      break;
    case EventType::kRefundRequested:
    case EventType::kRefundSucceeded:
      json.field("amount", step.amount);
      json.field("refund_id", "RF" + plan.order_id.substr(2) + "-" + std::to_string(step.a));
      break;
    case EventType::kRefundFailed:
      json.field("refund_id", "RF" + plan.order_id.substr(2) + "-" + std::to_string(step.a));
      json.field("code", kRefundFailCodes[step.detail % kRefundFailCodes.size()]);
      json.field("message", "退款失败");
      break;
    case EventType::kStockReserved:
    case EventType::kStockReleased: sku_items(json, world, plan); break;
    case EventType::kStockShortage:
      json.field("sku", sku_of(step.a).sku);
      json.field("requested", static_cast<std::int64_t>(step.b));
      json.field("available", step.amount);
      break;
    case EventType::kSubstitutionResponded:
      json.field("sku", sku_of(step.a).sku);
      json.field("substitute_sku", world.skus()[static_cast<std::size_t>(step.b)].sku);
      json.field("accepted", step.detail != 0);
      break;
    case EventType::kPickingStarted: json.field("picker_id", plan.picker_id); break;
    case EventType::kPickingCompleted:
      json.key("items").begin_array();
      for (const PickedItem& item : plan.picked) {
        json.begin_object();
        json.field("sku", world.skus()[item.sku].sku);
        json.field("qty", item.qty);
        if (item.expires_at != kAbsent) time_field(json, out, "expires_at", item.expires_at, style);
        json.end_object();
      }
      json.end_array();
      break;
    case EventType::kRiderAssigned:
    case EventType::kDeliveryPickedUp:
    case EventType::kDeliveryDelivered: json.field("rider_id", world.riders()[static_cast<std::size_t>(step.a)]); break;
    case EventType::kRiderCancelled:
      json.field("rider_id", world.riders()[static_cast<std::size_t>(step.a)]);
      json.field("reason", kRiderCancelReasons[step.detail % kRiderCancelReasons.size()]);
      break;
    case EventType::kRiderLocation:
      json.field("rider_id", world.riders()[static_cast<std::size_t>(step.a)]);
      json.key("lat").number(step.position.lat);
      json.key("lng").number(step.position.lng);
      break;
    case EventType::kDeliveryAttemptFailed:
      json.field("reason", attempt_name(step.detail));
      json.field("note", kAttemptNotes[step.detail % kAttemptNotes.size()]);
      break;
    case EventType::kComplaintFiled:
      json.field("kind", complaint_name(step.detail));
      json.key("items").begin_array().begin_object();
      json.field("sku", sku_of(step.a).sku);
      json.field("qty", plan.items[static_cast<std::size_t>(step.a)].qty);
      json.end_object().end_array();
      json.field("text", step.detail == static_cast<std::uint8_t>(ComplaintKind::kOther) ? "包装有点简陋" : "收到的商品有问题");
      break;
    case EventType::kRatingSubmitted:
      json.field("score", static_cast<std::int64_t>(step.a));
      json.field("text", step.a <= 2 ? "太差了，不会再买" : step.a == 3 ? "一般" : "很好，送得很快");
      break;
    default: break;
  }
  json.end_object();
  out.push_back('\n');
}

void render_master(std::string& out, const WorldModel& world, const MasterEvent& event, TimeStyle style) {
  static constexpr std::array<const char*, 6> kPrefix = {"cat-", "lvl-", "zone-", "rs-", "up-", "tick-"};
  std::string id;
  switch (event.type) {
    case EventType::kCatalogItem: id = kPrefix[0]; break;
    case EventType::kStockLevel: id = kPrefix[1]; break;
    case EventType::kZoneConfig: id = kPrefix[2]; break;
    case EventType::kRiderStatus: id = kPrefix[3]; break;
    default: id = kPrefix[5]; break;
  }
  std::string digits = std::to_string(event.serial);
  if (digits.size() < 9) digits.insert(0, 9 - digits.size(), '0');
  id += digits;
  Json json(out);
  envelope_start(json, out, id, event.type, event.ts, style);
  switch (event.type) {
    case EventType::kCatalogItem: {
      const SkuDef& sku = world.skus()[event.index];
      json.field("source", "catalog");
      json.field("sku", sku.sku);
      json.field("name", sku.name);
      json.field("category", sku.category);
      json.field("price", event.value);
      json.key("tags").begin_array();
      for (const std::string& tag : sku.tags) json.string(tag);
      json.end_array();
      if (sku.stocked) json.field("reorder_point", sku.reorder_point);
      break;
    }
    case EventType::kStockLevel: {
      const SkuDef& sku = world.skus()[event.index];
      json.field("source", "wms");
      json.field("sku", sku.sku);
      json.field("available", event.value);
      json.field("warehouse", world.kind(sku.kind).warehouse);
      break;
    }
    case EventType::kZoneConfig: {
      const ZoneDef& zone = world.zones()[event.index];
      json.field("source", "dispatch");
      json.field("zone", zone.id);
      json.key("lat").number(zone.centre.lat);
      json.key("lng").number(zone.centre.lng);
      json.key("radius_m").number(zone.radius_m);
      json.key("pickup_points").begin_array();
      for (const PickupPointDef& point : zone.pickup_points) {
        json.begin_object();
        json.field("id", point.id);
        json.field("name", point.name);
        json.key("lat").number(point.position.lat);
        json.key("lng").number(point.position.lng);
        json.end_object();
      }
      json.end_array();
      break;
    }
    case EventType::kRiderStatus: {
      const ZoneDef& zone = world.zones()[world.rider_zone(event.index)];
      json.field("source", "dispatch");
      json.field("rider_id", world.riders()[event.index]);
      json.field("zone", zone.id);
      json.field("online", event.online);
      json.key("lat").number(zone.depot.lat);
      json.key("lng").number(zone.depot.lng);
      json.field("active_orders", event.value);
      break;
    }
    default: break;
  }
  json.end_object();
  out.push_back('\n');
}

}  // namespace og::sim
