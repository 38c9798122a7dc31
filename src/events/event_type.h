// events/event_type: the closed set of event types of docs/spec/EVENTS.md and their names.
// Owns: type names, which types need an order_id, and the lifecycle rank that orders events
// with equal timestamps. Depends on: nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace og {

// Declared in lifecycle order: with equal `ts`, an earlier enumerator is applied first
// (an order is created before it is paid, reserved before it is picked ...). Master data
// comes first so that a catalog price and an order stamped with the same millisecond agree.
enum class EventType : std::uint8_t {
  kCatalogItem,
  kStockLevel,
  kZoneConfig,
  kRiderStatus,
  kUserProfile,
  // People (docs/spec/EVENTS.md "Agent events"): joining and duty are applied with master
  // data, an agent's handling after every order event of the same ts.
  kAgentJoined,
  kAgentDuty,
  kOrderCreated,
  kOrderAddressChanged,
  kPaymentFailed,
  kPaymentSucceeded,
  kStockReserved,
  kStockShortage,
  kSubstitutionResponded,
  kPickingStarted,
  kPickingCompleted,
  kRiderAssigned,
  kRiderCancelled,
  kDeliveryPickedUp,
  kRiderLocation,
  kDeliveryAttemptFailed,
  kDeliveryDelivered,
  kOrderCancelled,
  kStockReleased,
  kOrderCompleted,
  kRefundRequested,
  kRefundSucceeded,
  kRefundFailed,
  kComplaintFiled,
  kRatingSubmitted,
  kAgentAck,
  kAgentResolve,
  kAgentReassign,
  kAgentEscalate,
  kAgentComment,
  kAgentFalsePositive,
  kClockTick,
  kCount,
};

inline constexpr std::size_t kEventTypeCount = static_cast<std::size_t>(EventType::kCount);

std::string_view event_type_name(EventType type);
std::optional<EventType> event_type_from_name(std::string_view name);
bool event_type_needs_order(EventType type);
bool is_agent_event(EventType type);

}  // namespace og
