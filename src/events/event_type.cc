#include "events/event_type.h"

#include <array>

namespace og {
namespace {

struct TypeInfo {
  EventType type;
  std::string_view name;
  bool needs_order;
};

constexpr std::array<TypeInfo, kEventTypeCount> kTypes = {{
    {EventType::kCatalogItem, "catalog.item", false},
    {EventType::kStockLevel, "stock.level", false},
    {EventType::kZoneConfig, "zone.config", false},
    {EventType::kRiderStatus, "rider.status", false},
    {EventType::kUserProfile, "user.profile", false},
    {EventType::kAgentJoined, "agent.joined", false},
    {EventType::kAgentDuty, "agent.duty", false},
    {EventType::kOrderCreated, "order.created", true},
    {EventType::kOrderAddressChanged, "order.address_changed", true},
    {EventType::kPaymentFailed, "payment.failed", true},
    {EventType::kPaymentSucceeded, "payment.succeeded", true},
    {EventType::kStockReserved, "stock.reserved", true},
    {EventType::kStockShortage, "stock.shortage", true},
    {EventType::kSubstitutionResponded, "substitution.responded", true},
    {EventType::kPickingStarted, "picking.started", true},
    {EventType::kPickingCompleted, "picking.completed", true},
    {EventType::kRiderAssigned, "rider.assigned", true},
    {EventType::kRiderCancelled, "rider.cancelled", true},
    {EventType::kDeliveryPickedUp, "delivery.picked_up", true},
    {EventType::kRiderLocation, "rider.location", true},
    {EventType::kDeliveryAttemptFailed, "delivery.attempt_failed", true},
    {EventType::kDeliveryDelivered, "delivery.delivered", true},
    {EventType::kOrderCancelled, "order.cancelled", true},
    {EventType::kStockReleased, "stock.released", true},
    {EventType::kOrderCompleted, "order.completed", true},
    {EventType::kRefundRequested, "refund.requested", true},
    {EventType::kRefundSucceeded, "refund.succeeded", true},
    {EventType::kRefundFailed, "refund.failed", true},
    {EventType::kComplaintFiled, "complaint.filed", true},
    {EventType::kRatingSubmitted, "rating.submitted", true},
    {EventType::kAgentAck, "agent.ack", false},
    {EventType::kAgentResolve, "agent.resolve", false},
    {EventType::kAgentReassign, "agent.reassign", false},
    {EventType::kAgentEscalate, "agent.escalate", false},
    {EventType::kAgentComment, "agent.comment", false},
    {EventType::kAgentFalsePositive, "agent.false_positive", false},
    {EventType::kClockTick, "clock.tick", false},
}};

constexpr bool table_matches_enum() {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (static_cast<std::size_t>(kTypes[i].type) != i) return false;
  }
  return true;
}
static_assert(table_matches_enum(), "kTypes must list the types in enum order");

}  // namespace

std::string_view event_type_name(EventType type) { return kTypes[static_cast<std::size_t>(type)].name; }

std::optional<EventType> event_type_from_name(std::string_view name) {
  for (const auto& info : kTypes) {
    if (info.name == name) return info.type;
  }
  return std::nullopt;
}

bool event_type_needs_order(EventType type) { return kTypes[static_cast<std::size_t>(type)].needs_order; }

bool is_agent_event(EventType type) {
  return type == EventType::kAgentJoined || type == EventType::kAgentDuty ||
         (type >= EventType::kAgentAck && type <= EventType::kAgentFalsePositive);
}

}  // namespace og
