#include "events/event_type.h"

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/same_bytes.h"

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

// Names are looked up for every event: a perfect hash (one table load, one comparison) instead
// of a search. The constants were searched for so that no two names share a slot; a new type
// that collides fails to compile here.
constexpr std::size_t kTypeSlots = 128;
constexpr std::size_t type_slot(std::string_view name) {
  const auto byte = [](char c) { return static_cast<std::size_t>(static_cast<unsigned char>(c)); };
  const std::size_t n = name.size();
  return (n + byte(name[0]) + byte(name[n - 3]) * 6 + byte(name[n - 4]) * 31) % kTypeSlots;
}
constexpr std::size_t kMinTypeName = 4;  // type_slot reads four bytes

constexpr std::array<std::uint8_t, kTypeSlots> make_type_table() {
  std::array<std::uint8_t, kTypeSlots> table{};
  for (std::size_t i = 0; i < kTypes.size(); ++i) table[type_slot(kTypes[i].name)] = static_cast<std::uint8_t>(i + 1);
  return table;
}
constexpr std::array<std::uint8_t, kTypeSlots> kTypeTable = make_type_table();

constexpr bool type_slots_are_distinct() {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].name.size() < kMinTypeName || kTypeTable[type_slot(kTypes[i].name)] != i + 1) return false;
  }
  return true;
}
static_assert(type_slots_are_distinct(), "two type names share a slot: search new constants for type_slot()");

}  // namespace

std::string_view event_type_name(EventType type) { return kTypes[static_cast<std::size_t>(type)].name; }

std::optional<EventType> event_type_from_name(std::string_view name) {
  if (name.size() < kMinTypeName) return std::nullopt;
  const std::uint8_t entry = kTypeTable[type_slot(name)];
  // Once a line: compared in words, not with a call to memcmp.
  if (entry == 0 || kTypes[entry - 1].name.size() != name.size() || !same_bytes(kTypes[entry - 1].name.data(), name.data(), name.size())) {
    return std::nullopt;
  }
  return kTypes[entry - 1].type;
}

bool event_type_needs_order(EventType type) { return kTypes[static_cast<std::size_t>(type)].needs_order; }

bool is_agent_event(EventType type) {
  return type == EventType::kAgentJoined || type == EventType::kAgentDuty ||
         (type >= EventType::kAgentAck && type <= EventType::kAgentFalsePositive);
}

}  // namespace og
