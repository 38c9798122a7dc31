// Static facts of the people layer: skill names, the skill each incident type needs, SLA
// windows, urgency, similarity distance, and the one-line rendering of an action.
#include <algorithm>
#include <array>
#include <cstdlib>

#include <fmt/format.h>

#include "people/people.h"

namespace og::people {
namespace {

constexpr std::array<std::string_view, kSkillCount> kSkillNames = {"payment",   "inventory", "delivery",
                                                                   "aftersale", "risk",      "senior"};

// The skill each type needs, in IncidentType order (docs/people.md explains each choice).
constexpr std::array<Skill, kIncidentTypeCount> kNeededSkill = {{
    Skill::kPayment,    // PAYMENT_TIMEOUT
    Skill::kPayment,    // PAYMENT_FAILED
    Skill::kPayment,    // PAID_NO_ORDER
    Skill::kPayment,    // PAYMENT_AMOUNT_MISMATCH
    Skill::kPayment,    // DUPLICATE_PAYMENT
    Skill::kPayment,    // REFUND_FAILED
    Skill::kInventory,  // STOCK_NOT_RELEASED
    Skill::kInventory,  // OUT_OF_STOCK
    Skill::kInventory,  // LOW_STOCK
    Skill::kInventory,  // PICKING_MISMATCH
    Skill::kPayment,    // PRICE_MISMATCH
    Skill::kPayment,    // COUPON_INVALID
    Skill::kInventory,  // EXPIRING_PRODUCT
    Skill::kAftersale,  // DAMAGED_GOODS
    Skill::kAftersale,  // WRONG_OR_MISSING_ITEM
    Skill::kDelivery,   // ADDRESS_INCOMPLETE
    Skill::kDelivery,   // OUT_OF_DELIVERY_AREA
    Skill::kDelivery,   // ORDER_STUCK
    Skill::kDelivery,   // RIDER_NOT_ASSIGNED
    Skill::kDelivery,   // RIDER_CANCELLED
    Skill::kDelivery,   // RIDER_STALLED
    Skill::kDelivery,   // DELIVERY_LATE_RISK
    Skill::kDelivery,   // DELIVERY_LATE
    Skill::kDelivery,   // DELIVERY_FAILED
    Skill::kRisk,       // FREQUENT_CANCELLATION
    Skill::kRisk,       // DUPLICATE_UNPAID_ORDERS
    Skill::kRisk,       // AMOUNT_ANOMALY
    Skill::kAftersale,  // NEGATIVE_REVIEW
    Skill::kDelivery,   // RIDER_FREQUENT_CANCEL
    Skill::kDelivery,   // COMMUNITY_HOTSPOT (when the type it groups is unknown)
    Skill::kRisk,       // STATE_INCONSISTENT
}};

constexpr std::array<std::string_view, 4> kStatusNames = {"waiting", "assigned", "resolved", "false_positive"};

constexpr std::array<std::string_view, 13> kActionNames = {
    "agent_joined", "duty_on",   "duty_off",          "escalated", "assigned",       "returned",    "acknowledged",
    "resolved",     "reassigned", "escalated_further", "commented", "false_positive", "sla_breached",
};
static_assert(kActionNames.size() == static_cast<std::size_t>(ActionKind::kSlaBreached) + 1);

// Distance weights (points); they sum to 100.
constexpr int kValueWeight = 40;
constexpr int kPlaceWeight = 20;
constexpr int kCustomerWeight = 20;
constexpr int kCauseWeight = 20;

int value_distance(std::int64_t a, std::int64_t b) {
  const bool a_known = a != kUnknownOrderValue;
  const bool b_known = b != kUnknownOrderValue;
  if (!a_known && !b_known) return kValueWeight / 2;  // nothing to compare: neither near nor far
  if (!a_known || !b_known) return kValueWeight;
  const std::int64_t larger = std::max(a, b);
  if (larger == 0) return 0;
  // Relative difference, so ¥10 vs ¥20 is as far apart as ¥1000 vs ¥2000.
  return static_cast<int>(kValueWeight * std::llabs(a - b) / larger);
}

int place_distance(const EscalatedCase& a, const EscalatedCase& b) {
  if (!a.community.empty() && a.community == b.community) return 0;
  if (!a.zone.empty() && a.zone == b.zone) return kPlaceWeight / 2;
  return kPlaceWeight;
}

// Keeps describe() to one line whatever a note or comment holds.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string_view skill_name(Skill skill) { return kSkillNames[static_cast<std::size_t>(skill)]; }

std::optional<Skill> skill_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kSkillNames.size(); ++i) {
    if (kSkillNames[i] == name) return static_cast<Skill>(i);
  }
  return std::nullopt;
}

std::string skills_text(Skills skills) {
  std::string text;
  for (std::size_t i = 0; i < kSkillCount; ++i) {
    if (!skills.has(static_cast<Skill>(i))) continue;
    if (!text.empty()) text += ',';
    text += kSkillNames[i];
  }
  return text;
}

Skill needed_skill(IncidentType type, IncidentType about) {
  if (type == IncidentType::kCommunityHotspot && about != IncidentType::kCount &&
      about != IncidentType::kCommunityHotspot) {
    return kNeededSkill[static_cast<std::size_t>(about)];
  }
  return kNeededSkill[static_cast<std::size_t>(type)];
}

DurationMs sla_ms(Severity severity) {
  switch (severity) {
    case Severity::kHigh: return 1 * kMinuteMs;
    case Severity::kMedium: return 5 * kMinuteMs;
    case Severity::kLow: break;
  }
  return 30 * kMinuteMs;
}

int urgency(Severity severity, TimeMs sla_deadline_ms, TimeMs now_ms) {
  const DurationMs window_ms = sla_ms(severity);
  const DurationMs elapsed_ms = std::clamp<DurationMs>(now_ms - (sla_deadline_ms - window_ms), 0, window_ms);
  return static_cast<int>(kMaxUrgency * elapsed_ms / window_ms);
}

std::string_view case_status_name(CaseStatus status) { return kStatusNames[static_cast<std::size_t>(status)]; }
std::string_view action_kind_name(ActionKind kind) { return kActionNames[static_cast<std::size_t>(kind)]; }

int case_distance(const EscalatedCase& a, const EscalatedCase& b) {
  const int customer = (!a.user.empty() && a.user == b.user) ? 0 : kCustomerWeight;
  const int cause = (!a.cause.empty() && a.cause == b.cause) ? 0 : kCauseWeight;
  return value_distance(a.order_value, b.order_value) + place_distance(a, b) + customer + cause;
}

std::string describe(const Action& action) {
  std::string line = fmt::format("{} #{} {}", format_utc_ms(action.at), action.seq, action_kind_name(action.kind));
  if (!action.incident_id.empty()) {
    line += fmt::format(" {} ({} {})", action.incident_id, incident_type_name(action.type),
                        severity_name(action.severity));
  }
  if (!action.actor.empty()) line += fmt::format(" by {}", action.actor);
  if (!action.target.empty()) line += fmt::format(" to {}", action.target);
  if (action.kind == ActionKind::kEscalated) line += fmt::format(" due {}", format_utc_ms(action.sla_deadline_ms));
  if (!action.code.empty()) line += fmt::format(" code={}", action.code);
  if (!action.text.empty()) line += fmt::format(": {}", one_line(action.text));
  return line;
}

}  // namespace og::people
