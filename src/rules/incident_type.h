// rules/incident_type: the 31 incident types of docs/spec/INCIDENTS.md, their subjects,
// default severities, and the fulfilment stages of ORDER_STUCK.
// Owns: names and static facts about types. Depends on: nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace og {

enum class IncidentType : std::uint8_t {
  kPaymentTimeout,
  kPaymentFailed,
  kPaidNoOrder,
  kPaymentAmountMismatch,
  kDuplicatePayment,
  kRefundFailed,
  kStockNotReleased,
  kOutOfStock,
  kLowStock,
  kPickingMismatch,
  kPriceMismatch,
  kCouponInvalid,
  kExpiringProduct,
  kDamagedGoods,
  kWrongOrMissingItem,
  kAddressIncomplete,
  kOutOfDeliveryArea,
  kOrderStuck,
  kRiderNotAssigned,
  kRiderCancelled,
  kRiderStalled,
  kDeliveryLateRisk,
  kDeliveryLate,
  kDeliveryFailed,
  kFrequentCancellation,
  kDuplicateUnpaidOrders,
  kAmountAnomaly,
  kNegativeReview,
  kRiderFrequentCancel,
  kCommunityHotspot,
  kStateInconsistent,
  kCount,
};
inline constexpr std::size_t kIncidentTypeCount = static_cast<std::size_t>(IncidentType::kCount);

enum class Severity : std::uint8_t { kLow, kMedium, kHigh };
inline constexpr std::size_t kSeverityCount = 3;

enum class SubjectKind : std::uint8_t { kOrder, kUser, kRider, kSku, kCommunity };

// Fulfilment stages, in pipeline order.
enum class Stage : std::uint8_t { kReserve, kPickStart, kPick, kAssign, kPickup, kCount };
inline constexpr std::size_t kStageCount = static_cast<std::size_t>(Stage::kCount);

std::string_view incident_type_name(IncidentType type);
std::optional<IncidentType> incident_type_from_name(std::string_view name);
SubjectKind subject_kind_of(IncidentType type);
Severity default_severity(IncidentType type);
// Types with a "clears itself when" in INCIDENTS.md.
bool clears_itself(IncidentType type);

std::string_view severity_name(Severity severity);
std::optional<Severity> severity_from_name(std::string_view name);
std::string_view subject_kind_name(SubjectKind kind);
std::string_view stage_name(Stage stage);
std::optional<Stage> stage_from_name(std::string_view name);

}  // namespace og
