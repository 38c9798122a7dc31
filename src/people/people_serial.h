// people/people_serial: how the desk's plain data is written to an engine snapshot
// (core/serial, docs/snapshots.md). Shared by the desk's own save/load and the engine, which
// keeps the desk's action log. Depends on: people, core/serial.
#pragma once

#include "core/serial.h"
#include "people/people.h"

namespace og::serial {

template <>
struct EnumMax<IncidentType> {
  static constexpr IncidentType value = IncidentType::kCount;  // kCount: "none" (about_type)
};
template <>
struct EnumMax<Severity> {
  static constexpr Severity value = Severity::kHigh;
};
template <>
struct EnumMax<people::CaseStatus> {
  static constexpr people::CaseStatus value = people::CaseStatus::kFalsePositive;
};
template <>
struct EnumMax<people::ActionKind> {
  static constexpr people::ActionKind value = people::ActionKind::kSlaBreached;
};

inline void put(Writer& w, people::Skills skills) { w.varint(skills.bits()); }
inline void get(Reader& r, people::Skills& skills) {
  const std::uint64_t bits = r.varint();
  r.check(bits < (1u << people::kSkillCount), "an unknown skill");
  skills = {};
  for (std::size_t i = 0; i < people::kSkillCount; ++i) {
    if ((bits >> i) & 1u) skills = people::Skills::either(skills, {static_cast<people::Skill>(i)});
  }
}

template <typename Ar, typename T>
  requires std::same_as<std::remove_const_t<T>, people::Agent>
void describe(Ar& ar, T& a) {
  ar(a.id, a.name, a.skills, a.capacity, a.on_duty, a.supervisor);
}

template <typename Ar, typename T>
  requires std::same_as<std::remove_const_t<T>, people::EscalatedCase>
void describe(Ar& ar, T& c) {
  ar(c.incident_id, c.type, c.about, c.severity, c.priority, c.order_value, c.vip, c.zone, c.community, c.user,
     c.sla_deadline_ms, c.cause);
  if constexpr (!kWriting<Ar>) ar.check(c.type != IncidentType::kCount, "an escalated case of no type");
}

template <typename Ar, typename T>
  requires std::same_as<std::remove_const_t<T>, people::Comment>
void describe(Ar& ar, T& c) {
  ar(c.agent_id, c.at, c.text);
}

template <typename Ar, typename T>
  requires std::same_as<std::remove_const_t<T>, people::Case>
void describe(Ar& ar, T& c) {
  ar(c.escalated, c.escalated_at, c.sla_deadline_ms, c.status, c.assignee, c.acknowledged_at, c.first_handled_at,
     c.sla_breached, c.awaiting_supervisor, c.comments, c.closed_by, c.resolution_code, c.resolution_note,
     c.closed_at);
}

template <typename Ar, typename T>
  requires std::same_as<std::remove_const_t<T>, people::Action>
void describe(Ar& ar, T& a) {
  ar(a.seq, a.at, a.kind, a.incident_id, a.actor, a.target, a.code, a.text, a.type, a.severity, a.sla_deadline_ms);
}

template <typename Ar, typename T>
  requires std::same_as<std::remove_const_t<T>, people::Limits>
void describe(Ar& ar, T& l) {
  ar(l.max_agents, l.max_open_cases, l.max_closed_kept, l.max_comments_per_case, l.max_text_bytes, l.max_code_bytes,
     l.max_id_bytes, l.max_log_actions, l.max_similar, l.max_capacity);
}

}  // namespace og::serial
