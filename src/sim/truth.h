// sim/truth: the ground truth the simulator writes (docs/truth-format.md): one record per
// incident the world planted, including the consequences the spec gives a planted exception.
// The 31 type names are the contract of docs/spec/INCIDENTS.md; they are spelled out here
// rather than taken from src/rules so that the simulator never shares the engine's code.
// Owns: incident type names as the simulator knows them, truth records and their JSON.
// Depends on: core (time, JSON writing).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/time.h"

namespace og::sim {

enum class Kind : std::uint8_t {
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
inline constexpr std::size_t kKindCount = static_cast<std::size_t>(Kind::kCount);

std::string_view kind_name(Kind kind);

enum class Subject : std::uint8_t { kOrder, kUser, kRider, kSku, kCommunity };
std::string_view subject_name(Subject subject);
Subject subject_of(Kind kind);

// ORDER_STUCK stages (assign overruns are RIDER_NOT_ASSIGNED, so it has no entry here).
enum class StuckStage : std::uint8_t { kNone, kReserve, kPickStart, kPick, kPickup };
std::string_view stuck_stage_name(StuckStage stage);

struct TruthRecord {
  Kind type = Kind::kPaymentTimeout;
  std::string subject_id;        // order id, user id, rider id, sku or community
  std::string sku;               // OUT_OF_STOCK, EXPIRING_PRODUCT
  StuckStage stage = StuckStage::kNone;
  Kind about = Kind::kCount;     // COMMUNITY_HOTSPOT: the type it is about
  TimeMs detected_at = 0;
  std::string note;              // how it was planted, for people
  // Not written: the order's community as the engine knows it at detected_at (empty when the
  // order was not created yet), which decides whether the incident counts toward a hotspot.
  std::string community;
};

void append_truth_json(std::string& out, const TruthRecord& record);

}  // namespace og::sim
