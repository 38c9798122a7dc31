// engine/incident: one detected exception about one subject, and its lifecycle
// (docs/spec/INCIDENTS.md "Lifecycle"). Plain data; IncidentLog owns the collection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/interner.h"
#include "core/time.h"
#include "events/event.h"
#include "rules/incident_type.h"

namespace og {

enum class IncidentStatus : std::uint8_t { kOpen, kHandling, kEscalated, kAssigned, kResolved, kRetracted };
enum class Resolution : std::uint8_t { kNone, kAuto, kSelf, kManual };

std::string_view incident_status_name(IncidentStatus status);
std::string_view resolution_name(Resolution resolution);

struct Incident {
  std::uint32_t index = 0;  // position in the log: creation order
  std::string id;           // "inc-" + 16 hex digits, derived from the content (see IncidentLog)
  IncidentType type = IncidentType::kPaymentTimeout;
  Severity severity = Severity::kLow;
  int priority = 0;
  SubjectKind subject_kind = SubjectKind::kOrder;
  Symbol subject = kNoSymbol;
  Symbol order = kNoSymbol;   // set when the incident is about an order
  Symbol sku = kNoSymbol;     // OUT_OF_STOCK, EXPIRING_PRODUCT (part of the dedup key)
  Stage stage = Stage::kCount;  // ORDER_STUCK (part of the dedup key)
  IncidentType about_type = IncidentType::kCount;  // COMMUNITY_HOTSPOT: the type it is about
  Symbol zone = kNoSymbol;
  Symbol community = kNoSymbol;
  Symbol user = kNoSymbol;    // the customer, when known (repeat customers, similar cases)
  Symbol rider = kNoSymbol;
  std::uint64_t refund_id = 0;  // REFUND_FAILED: which refund (hashed id; 0 when none)
  std::int64_t order_amount = kAbsent;
  bool vip = false;

  TimeMs detected_at = 0;
  // For an incident opened by a missed deadline: that deadline. An awaited event with
  // ts <= watch_deadline_ms arriving late proves the incident wrong (retracted).
  TimeMs watch_deadline_ms = kAbsent;
  IncidentStatus status = IncidentStatus::kOpen;
  Resolution resolution = Resolution::kNone;
  TimeMs resolved_at = kAbsent;
  TimeMs retracted_at = kAbsent;
  // Handling (docs/handling.md)
  TimeMs first_action_at = kAbsent;  // the first command, or a person's first handling action
  TimeMs escalated_at = kAbsent;     // when it reached people
  std::string assignee;              // the agent holding it (status assigned)
  std::int64_t loss = 0;             // money paid out or given up because of it (分)
  bool false_positive = false;       // a person marked it not a real exception
  // A rate cap held back one of its commands (RateCapKind + 1; 0: none): it went to a person.
  std::uint8_t rate_capped = 0;
  std::vector<std::string> evidence;    // event ids
  std::vector<std::string> actions;     // commands emitted (handling)
  std::vector<std::string> linked;      // COMMUNITY_HOTSPOT: ids of the incidents it groups

  bool is_closed() const { return status == IncidentStatus::kResolved || status == IncidentStatus::kRetracted; }
};

}  // namespace og
