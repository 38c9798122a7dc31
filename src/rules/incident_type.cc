#include "rules/incident_type.h"

#include <array>

namespace og {
namespace {

struct TypeInfo {
  IncidentType type;
  std::string_view name;
  SubjectKind subject;
  Severity severity;
};

constexpr std::array<TypeInfo, kIncidentTypeCount> kTypes = {{
    {IncidentType::kPaymentTimeout, "PAYMENT_TIMEOUT", SubjectKind::kOrder, Severity::kLow},
    {IncidentType::kPaymentFailed, "PAYMENT_FAILED", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kPaidNoOrder, "PAID_NO_ORDER", SubjectKind::kOrder, Severity::kHigh},
    {IncidentType::kPaymentAmountMismatch, "PAYMENT_AMOUNT_MISMATCH", SubjectKind::kOrder, Severity::kHigh},
    {IncidentType::kDuplicatePayment, "DUPLICATE_PAYMENT", SubjectKind::kOrder, Severity::kHigh},
    {IncidentType::kRefundFailed, "REFUND_FAILED", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kStockNotReleased, "STOCK_NOT_RELEASED", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kOutOfStock, "OUT_OF_STOCK", SubjectKind::kOrder, Severity::kHigh},
    {IncidentType::kLowStock, "LOW_STOCK", SubjectKind::kSku, Severity::kLow},
    {IncidentType::kPickingMismatch, "PICKING_MISMATCH", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kPriceMismatch, "PRICE_MISMATCH", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kCouponInvalid, "COUPON_INVALID", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kExpiringProduct, "EXPIRING_PRODUCT", SubjectKind::kOrder, Severity::kLow},
    {IncidentType::kDamagedGoods, "DAMAGED_GOODS", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kWrongOrMissingItem, "WRONG_OR_MISSING_ITEM", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kAddressIncomplete, "ADDRESS_INCOMPLETE", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kOutOfDeliveryArea, "OUT_OF_DELIVERY_AREA", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kOrderStuck, "ORDER_STUCK", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kRiderNotAssigned, "RIDER_NOT_ASSIGNED", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kRiderCancelled, "RIDER_CANCELLED", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kRiderStalled, "RIDER_STALLED", SubjectKind::kOrder, Severity::kLow},
    {IncidentType::kDeliveryLateRisk, "DELIVERY_LATE_RISK", SubjectKind::kOrder, Severity::kLow},
    {IncidentType::kDeliveryLate, "DELIVERY_LATE", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kDeliveryFailed, "DELIVERY_FAILED", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kFrequentCancellation, "FREQUENT_CANCELLATION", SubjectKind::kUser, Severity::kLow},
    {IncidentType::kDuplicateUnpaidOrders, "DUPLICATE_UNPAID_ORDERS", SubjectKind::kUser, Severity::kLow},
    {IncidentType::kAmountAnomaly, "AMOUNT_ANOMALY", SubjectKind::kOrder, Severity::kMedium},
    {IncidentType::kNegativeReview, "NEGATIVE_REVIEW", SubjectKind::kOrder, Severity::kLow},
    {IncidentType::kRiderFrequentCancel, "RIDER_FREQUENT_CANCEL", SubjectKind::kRider, Severity::kLow},
    {IncidentType::kCommunityHotspot, "COMMUNITY_HOTSPOT", SubjectKind::kCommunity, Severity::kHigh},
    {IncidentType::kStateInconsistent, "STATE_INCONSISTENT", SubjectKind::kOrder, Severity::kMedium},
}};

constexpr bool table_matches_enum() {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (static_cast<std::size_t>(kTypes[i].type) != i) return false;
  }
  return true;
}
static_assert(table_matches_enum(), "kTypes must list the incident types in enum order");

constexpr std::array<std::string_view, kSeverityCount> kSeverities = {"low", "medium", "high"};
constexpr std::array<std::string_view, 5> kSubjects = {"order", "user", "rider", "sku", "community"};
constexpr std::array<std::string_view, kStageCount> kStages = {"reserve", "pick_start", "pick", "assign", "pickup"};

const TypeInfo& info(IncidentType type) { return kTypes[static_cast<std::size_t>(type)]; }

}  // namespace

std::string_view incident_type_name(IncidentType type) { return info(type).name; }

std::optional<IncidentType> incident_type_from_name(std::string_view name) {
  for (const auto& entry : kTypes) {
    if (entry.name == name) return entry.type;
  }
  return std::nullopt;
}

SubjectKind subject_kind_of(IncidentType type) { return info(type).subject; }
Severity default_severity(IncidentType type) { return info(type).severity; }
std::string_view severity_name(Severity severity) { return kSeverities[static_cast<std::size_t>(severity)]; }

std::optional<Severity> severity_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    if (kSeverities[i] == name) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

std::string_view subject_kind_name(SubjectKind kind) { return kSubjects[static_cast<std::size_t>(kind)]; }
std::string_view stage_name(Stage stage) { return kStages[static_cast<std::size_t>(stage)]; }

std::optional<Stage> stage_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kStages.size(); ++i) {
    if (kStages[i] == name) return static_cast<Stage>(i);
  }
  return std::nullopt;
}

bool clears_itself(IncidentType type) {
  switch (type) {
    case IncidentType::kPaymentTimeout:
    case IncidentType::kPaymentFailed:
    case IncidentType::kPaidNoOrder:
    case IncidentType::kRefundFailed:
    case IncidentType::kStockNotReleased:
    case IncidentType::kLowStock:
    case IncidentType::kAddressIncomplete:
    case IncidentType::kOutOfDeliveryArea:
    case IncidentType::kOrderStuck:
    case IncidentType::kRiderNotAssigned:
    case IncidentType::kRiderCancelled:
    case IncidentType::kRiderStalled:
    case IncidentType::kDeliveryFailed:
      return true;
    default:
      return false;
  }
}

}  // namespace og
