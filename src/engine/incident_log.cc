#include "engine/incident_log.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/hash.h"

namespace og {

std::string_view incident_status_name(IncidentStatus status) {
  switch (status) {
    case IncidentStatus::kOpen: return "open";
    case IncidentStatus::kHandling: return "handling";
    case IncidentStatus::kEscalated: return "escalated";
    case IncidentStatus::kAssigned: return "assigned";
    case IncidentStatus::kResolved: return "resolved";
    case IncidentStatus::kRetracted: return "retracted";
  }
  return "open";
}

std::string_view resolution_name(Resolution resolution) {
  switch (resolution) {
    case Resolution::kNone: return "";
    case Resolution::kAuto: return "auto";
    case Resolution::kSelf: return "self";
    case Resolution::kManual: return "manual";
  }
  return "";
}

IncidentKey key_of(const Incident& incident) {
  std::uint32_t detail = 0;
  if (incident.sku != kNoSymbol) detail = incident.sku;
  if (incident.stage != Stage::kCount) detail = static_cast<std::uint32_t>(incident.stage) + 1;
  if (incident.about_type != IncidentType::kCount) detail = static_cast<std::uint32_t>(incident.about_type) + 1;
  return IncidentKey{incident.type, incident.subject, detail};
}

std::size_t IncidentLog::KeyHash::operator()(const IncidentKey& key) const {
  return static_cast<std::size_t>(hash_combine(hash_combine(static_cast<std::uint64_t>(key.type), key.subject), key.detail));
}

void IncidentLog::mark_opened_for(Symbol subject) {
  const std::size_t word = subject >> 6;
  if (word >= opened_for_.size()) opened_for_.resize(std::max(word + 1, opened_for_.size() * 2), 0);
  opened_for_[word] |= std::uint64_t{1} << (subject & 63);
}

Incident* IncidentLog::find_open(const IncidentKey& key) {
  if (!ever_opened_for(key.subject)) return nullptr;
  const auto it = open_.find(key);
  return it == open_.end() ? nullptr : &incidents_[it->second];
}

Incident& IncidentLog::add(Incident incident) {
  incident.index = static_cast<std::uint32_t>(incidents_.size());
  incident.status = IncidentStatus::kOpen;
  // The id speaks strings, never symbol numbers, so it is independent of interning order.
  std::uint64_t h = hash64(incident_type_name(incident.type));
  h = hash_combine(h, hash64(interner_.view(incident.subject)));
  h = hash_combine(h, hash64(interner_.view(incident.sku)));
  h = hash_combine(h, static_cast<std::uint64_t>(incident.stage));
  h = hash_combine(h, static_cast<std::uint64_t>(incident.about_type));
  h = hash_combine(h, static_cast<std::uint64_t>(incident.detected_at));
  while (by_id_hash_.contains(h)) h = hash_combine(h, 0x5bd1e995);
  by_id_hash_.emplace(h, incident.index);
  incident.id = fmt::format("inc-{:016x}", h);
  open_.emplace(key_of(incident), incident.index);
  mark_opened_for(incident.subject);
  return incidents_.emplace_back(std::move(incident));
}

Incident* IncidentLog::find_by_id(std::string_view id) {
  // "inc-" + 16 hex digits: the digits are the key.
  if (id.size() != 20 || !id.starts_with("inc-")) return nullptr;
  std::uint64_t h = 0;
  for (const char c : id.substr(4)) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return nullptr;
    h = h << 4 | static_cast<std::uint64_t>(digit);
  }
  const auto it = by_id_hash_.find(h);
  return it == by_id_hash_.end() ? nullptr : &incidents_[it->second];
}

void IncidentLog::close(Incident& incident) {
  const auto it = open_.find(key_of(incident));
  if (it != open_.end() && it->second == incident.index) open_.erase(it);
}

void IncidentLog::resolve(Incident& incident, Resolution resolution, TimeMs at) {
  if (incident.is_closed()) return;
  close(incident);
  incident.status = IncidentStatus::kResolved;
  // INCIDENTS.md: `auto` is "with no person involved", `self` "before any action". Once an
  // incident has reached the people desk, whatever closes it is a person's case (decisions #59).
  incident.resolution = incident.escalated_at != kAbsent ? Resolution::kManual : resolution;
  incident.resolved_at = std::max(at, incident.detected_at);  // late evidence can carry an earlier ts
}

void IncidentLog::retract(Incident& incident, TimeMs at) {
  if (incident.is_closed()) return;
  close(incident);
  incident.status = IncidentStatus::kRetracted;
  incident.retracted_at = std::max(at, incident.detected_at);
}

}  // namespace og
