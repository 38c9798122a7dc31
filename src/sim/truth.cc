#include "sim/truth.h"

#include "core/json_writer.h"

namespace og::sim {

namespace {

constexpr std::array<std::string_view, kKindCount> kKindNames = {
    "PAYMENT_TIMEOUT",       "PAYMENT_FAILED",      "PAID_NO_ORDER",        "PAYMENT_AMOUNT_MISMATCH",
    "DUPLICATE_PAYMENT",     "REFUND_FAILED",       "STOCK_NOT_RELEASED",   "OUT_OF_STOCK",
    "LOW_STOCK",             "PICKING_MISMATCH",    "PRICE_MISMATCH",       "COUPON_INVALID",
    "EXPIRING_PRODUCT",      "DAMAGED_GOODS",       "WRONG_OR_MISSING_ITEM", "ADDRESS_INCOMPLETE",
    "OUT_OF_DELIVERY_AREA",  "ORDER_STUCK",         "RIDER_NOT_ASSIGNED",   "RIDER_CANCELLED",
    "RIDER_STALLED",         "DELIVERY_LATE_RISK",  "DELIVERY_LATE",        "DELIVERY_FAILED",
    "FREQUENT_CANCELLATION", "DUPLICATE_UNPAID_ORDERS", "AMOUNT_ANOMALY",   "NEGATIVE_REVIEW",
    "RIDER_FREQUENT_CANCEL", "COMMUNITY_HOTSPOT",   "STATE_INCONSISTENT",
};

}  // namespace

std::string_view kind_name(Kind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kKindCount ? kKindNames[index] : std::string_view("UNKNOWN");
}

std::string_view subject_name(Subject subject) {
  switch (subject) {
    case Subject::kOrder: return "order";
    case Subject::kUser: return "user";
    case Subject::kRider: return "rider";
    case Subject::kSku: return "sku";
    case Subject::kCommunity: return "community";
  }
  return "order";
}

Subject subject_of(Kind kind) {
  switch (kind) {
    case Kind::kLowStock: return Subject::kSku;
    case Kind::kFrequentCancellation:
    case Kind::kDuplicateUnpaidOrders: return Subject::kUser;
    case Kind::kRiderFrequentCancel: return Subject::kRider;
    case Kind::kCommunityHotspot: return Subject::kCommunity;
    default: return Subject::kOrder;
  }
}

std::string_view stuck_stage_name(StuckStage stage) {
  switch (stage) {
    case StuckStage::kReserve: return "reserve";
    case StuckStage::kPickStart: return "pick_start";
    case StuckStage::kPick: return "pick";
    case StuckStage::kPickup: return "pickup";
    case StuckStage::kNone: break;
  }
  return "";
}

void append_truth_json(std::string& out, const TruthRecord& record) {
  JsonWriter json(out);
  const Subject subject = subject_of(record.type);
  json.begin_object();
  json.field("type", kind_name(record.type));
  json.key("subject").begin_object();
  json.field("kind", subject_name(subject));
  json.field("id", record.subject_id);
  json.end_object();
  if (subject == Subject::kOrder) json.field("order_id", record.subject_id);
  if (!record.sku.empty()) json.field("sku", record.sku);
  if (record.stage != StuckStage::kNone) json.field("stage", stuck_stage_name(record.stage));
  if (record.about != Kind::kCount) json.field("incident_type", kind_name(record.about));
  json.key("detected_at").time_utc(record.detected_at);
  if (!record.note.empty()) json.field("note", record.note);
  json.end_object();
  out.push_back('\n');
}

}  // namespace og::sim
