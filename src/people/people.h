// people/people: the desk where escalated incidents meet the agents who work them
// (docs/spec/INCIDENTS.md "People", docs/people.md): one priority queue, skill- and
// capacity-based routing, SLA timers that send unacknowledged incidents up to a supervisor,
// the agents' actions, and the most similar resolved cases.
// Owns: agents, escalated cases, routing, the action log. May depend only on src/core and
// src/rules. A pure function of its calls and their explicit times: no clock, no I/O, no
// randomness, ordered containers only, so the same calls give the same log byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "core/time.h"
#include "rules/incident_type.h"

namespace og::serial {
class Writer;
class Reader;
}  // namespace og::serial

namespace og::people {

// ---- skills -----------------------------------------------------------------------------

enum class Skill : std::uint8_t { kPayment, kInventory, kDelivery, kAftersale, kRisk, kSenior, kCount };
inline constexpr std::size_t kSkillCount = static_cast<std::size_t>(Skill::kCount);

// A set of skills as bits (bit i = Skill i): small, ordered, comparable.
class Skills {
 public:
  constexpr Skills() = default;
  constexpr Skills(std::initializer_list<Skill> skills) {
    for (const Skill skill : skills) bits_ = static_cast<std::uint8_t>(bits_ | bit(skill));
  }
  constexpr bool has(Skill skill) const { return (bits_ & bit(skill)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr std::uint8_t bits() const { return bits_; }
  static constexpr Skills either(Skills a, Skills b) { return Skills(static_cast<std::uint8_t>(a.bits_ | b.bits_)); }
  friend constexpr bool operator==(Skills, Skills) = default;

 private:
  constexpr explicit Skills(std::uint8_t bits) : bits_(bits) {}
  static constexpr std::uint8_t bit(Skill skill) {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(skill));
  }
  std::uint8_t bits_ = 0;
};

std::string_view skill_name(Skill skill);
std::optional<Skill> skill_from_name(std::string_view name);
std::string skills_text(Skills skills);  // "payment,senior" (skill order), "" when empty

// The skill an incident of this type needs (the table in docs/people.md). A
// COMMUNITY_HOTSPOT needs the skill of the type it groups (`about`); unknown: delivery.
Skill needed_skill(IncidentType type, IncidentType about = IncidentType::kCount);

// ---- time and priority ------------------------------------------------------------------

// The SLA for the first handling action by severity: high 1 min, medium 5 min, low 30 min.
DurationMs sla_ms(Severity severity);

// Urgency grows linearly from 0, a full SLA window before the deadline, to kMaxUrgency at
// the deadline and stays there after it. 15 keeps a low incident (priority <= 50) below a
// fresh high one (>= 70) even at its deadline: severity still dominates (docs/priority.md).
inline constexpr int kMaxUrgency = 15;
int urgency(Severity severity, TimeMs sla_deadline_ms, TimeMs now_ms);

// ---- agents and cases -------------------------------------------------------------------

struct Agent {
  std::string id;    // 1-128 bytes, unique
  std::string name;  // for people; at most 128 bytes
  Skills skills;
  int capacity = 0;  // open incidents at once, 0-100 (0: receives only SLA escalations)
  bool on_duty = false;
  bool supervisor = false;  // receives incidents that missed their SLA
};

inline constexpr std::int64_t kUnknownOrderValue = -1;

// What the engine knows about an incident when it escalates it to people.
struct EscalatedCase {
  std::string incident_id;  // 1-128 bytes
  IncidentType type = IncidentType::kPaymentTimeout;
  IncidentType about = IncidentType::kCount;  // COMMUNITY_HOTSPOT: the type it groups
  Severity severity = Severity::kLow;
  int priority = 0;  // 0-100, docs/priority.md, frozen at detection
  std::int64_t order_value = kUnknownOrderValue;  // minor units (分)
  bool vip = false;
  std::string zone, community, user;
  // When the first handling action is due. Absent: escalation time + sla_ms(severity).
  std::optional<TimeMs> sla_deadline_ms;
  std::string cause;  // short machine-readable cause (e.g. "payment.failed:card_declined")
};

enum class CaseStatus : std::uint8_t { kWaiting, kAssigned, kResolved, kFalsePositive };
std::string_view case_status_name(CaseStatus status);

struct Comment {
  std::string agent_id;
  TimeMs at = 0;
  std::string text;
};

// One escalated incident as the desk holds it.
struct Case {
  EscalatedCase escalated;
  TimeMs escalated_at = 0;
  TimeMs sla_deadline_ms = 0;
  CaseStatus status = CaseStatus::kWaiting;
  std::string assignee;  // empty while waiting
  std::optional<TimeMs> acknowledged_at;   // by the current assignee; cleared when it moves
  std::optional<TimeMs> first_handled_at;  // first ack, resolve, escalate or false positive
  bool sla_breached = false;
  bool awaiting_supervisor = false;  // breached with no supervisor on duty to take it
  std::vector<Comment> comments;
  std::string closed_by, resolution_code, resolution_note;
  std::optional<TimeMs> closed_at;

  bool is_closed() const { return status == CaseStatus::kResolved || status == CaseStatus::kFalsePositive; }
};

// ---- the action log ---------------------------------------------------------------------

enum class ActionKind : std::uint8_t {
  kAgentJoined,      // actor: the agent; text: its skills
  kDutyOn,           // actor: the agent
  kDutyOff,          // actor: the agent
  kEscalated,        // the case entered the desk (type, severity, sla_deadline_ms set)
  kAssigned,         // routing gave the case to `target`
  kReturned,         // `target` went off duty; the case went back to the queue
  kAcknowledged,     // actor
  kResolved,         // actor; code: resolution code; text: note
  kReassigned,       // actor gave it to `target`
  kEscalatedFurther, // actor sent it up to supervisor `target`; text: reason
  kCommented,        // actor; text
  kFalsePositive,    // actor marked it a false positive (closed)
  kSlaBreached,      // not handled by its deadline; `target`: the supervisor, empty if none
};
std::string_view action_kind_name(ActionKind kind);

// One state change, in order. Each entry carries the case's type, severity and deadline so
// that the log alone is enough for measures and for an audit chain.
struct Action {
  std::uint64_t seq = 0;  // 1, 2, 3 ... never reused, also across take_log()
  TimeMs at = 0;
  ActionKind kind = ActionKind::kEscalated;
  std::string incident_id;  // empty for agent-only actions
  std::string actor;        // the agent who acted; empty when the desk acted (routing, SLA)
  std::string target;       // the agent who received the case
  std::string code;         // resolution code
  std::string text;         // note, reason, comment text, skills
  IncidentType type = IncidentType::kPaymentTimeout;
  Severity severity = Severity::kLow;
  TimeMs sla_deadline_ms = 0;

  friend bool operator==(const Action&, const Action&) = default;
};

// "2026-11-21T02:00:00.000Z #7 resolved inc-1 by A1 code=refunded: note" (one line).
std::string describe(const Action& action);

// ---- similar cases ----------------------------------------------------------------------

// Distance in points, 0 (alike) to 100, between two cases of the same type (docs/people.md):
// order value up to 40, zone/community up to 20, customer up to 20, cause up to 20.
int case_distance(const EscalatedCase& a, const EscalatedCase& b);

struct SimilarCase {
  std::string incident_id;
  int distance = 0;
  CaseStatus ended = CaseStatus::kResolved;  // kResolved or kFalsePositive
  std::string resolution_code, resolution_note, closed_by;
  TimeMs closed_at = 0;
  DurationMs handling_ms = 0;  // escalation to close
};

// ---- the desk ---------------------------------------------------------------------------

struct QueueEntry {
  std::string incident_id;
  int effective_priority = 0;  // priority + urgency at the desk's current time
};

// Every bound the desk holds to. Exceeding one is an error naming it, never a crash.
struct Limits {
  std::size_t max_agents = 1000;
  std::size_t max_open_cases = 100'000;    // waiting + assigned
  std::size_t max_closed_kept = 100'000;   // history for similar cases; oldest dropped first
  std::size_t max_comments_per_case = 200;
  std::size_t max_text_bytes = 2000;       // note, reason, comment
  std::size_t max_code_bytes = 64;         // resolution code
  std::size_t max_id_bytes = 128;          // agent and incident ids, names
  std::size_t max_log_actions = 1'000'000; // not yet taken with take_log()
  std::size_t max_similar = 50;
  int max_capacity = 100;
};

template <typename T>
using Result = tl::expected<T, std::string>;

class PeopleDesk {
 public:
  explicit PeopleDesk(Limits limits = {});

  // Every call takes the time it happens at, and time never goes back. A call checks its
  // arguments, then moves time to `at`, firing every SLA deadline strictly before it (a
  // handling action exactly at the deadline is in time), then checks the desk's state and
  // applies the action. A refused action is not applied; time has still moved.
  Result<void> add_agent(const Agent& agent, TimeMs at);
  Result<void> set_duty(std::string_view agent_id, bool on_duty, TimeMs at);
  Result<void> escalate(const EscalatedCase& escalated, TimeMs at);
  Result<void> acknowledge(std::string_view incident_id, std::string_view agent_id, TimeMs at);
  Result<void> resolve(std::string_view incident_id, std::string_view agent_id, std::string_view resolution_code,
                       std::string_view note, TimeMs at);
  // `by_agent` is the assignee, or any on-duty supervisor; `to_agent` must be on duty, have
  // the needed skill (or `senior`) and free capacity.
  Result<void> reassign(std::string_view incident_id, std::string_view by_agent, std::string_view to_agent,
                        TimeMs at);
  // Sends the case up to the on-duty supervisor (other than the caller) with the most free
  // capacity, ties by lowest id.
  Result<void> escalate_further(std::string_view incident_id, std::string_view agent_id, std::string_view reason,
                                TimeMs at);
  // Any on-duty agent may comment on an open case.
  Result<void> comment(std::string_view incident_id, std::string_view agent_id, std::string_view text, TimeMs at);
  Result<void> mark_false_positive(std::string_view incident_id, std::string_view agent_id, TimeMs at);
  // The incident closed without a person (it cleared itself, or late evidence retracted it):
  // the case leaves the desk, resolved with `code` and no actor; it does not count as handled.
  Result<void> withdraw(std::string_view incident_id, std::string_view code, TimeMs at);
  // Moves time to `at`: fires SLA deadlines strictly before it. Returns how many fired.
  Result<std::size_t> advance(TimeMs at);

  // Ordered by effective priority at the desk's current time (highest first), then
  // escalation time, then incident id. Urgency counts only until the first handling action.
  Result<std::vector<QueueEntry>> queue_of(std::string_view agent_id) const;
  std::vector<QueueEntry> waiting() const;
  // The n nearest closed cases of the same type, nearest first; ties: most recently closed,
  // then incident id.
  Result<std::vector<SimilarCase>> similar_cases(std::string_view incident_id, std::size_t n) const;

  const Case* find_case(std::string_view incident_id) const;
  const Agent* find_agent(std::string_view agent_id) const;
  std::vector<Agent> agents() const;  // by id
  int free_capacity(std::string_view agent_id) const;  // capacity - open cases held; 0 if unknown
  std::optional<TimeMs> now() const { return now_; }
  // The earliest SLA deadline still pending, if any.
  std::optional<TimeMs> next_deadline() const {
    return deadlines_.empty() ? std::nullopt : std::optional<TimeMs>(deadlines_.begin()->first);
  }

  const std::vector<Action>& log() const { return log_; }
  // Hands the log so far to its consumer (the audit chain) and empties it; seq continues.
  std::vector<Action> take_log();

  // Snapshots (docs/snapshots.md): everything the desk holds, limits included. load()
  // replaces it and checks that every id the desk cross-references is there (serial::Error).
  void save(serial::Writer& w) const;
  void load(serial::Reader& r);

 private:
  struct AgentState {
    Agent agent;
    std::set<std::string> holding;  // open cases assigned to this agent
  };

  Result<void> begin(TimeMs at);
  void fire_deadlines_before(TimeMs at);
  void breach(Case& case_record, TimeMs at);
  void route(TimeMs at);
  void route_overdue_to_supervisors(TimeMs at);
  void return_to_queue(Case& case_record, TimeMs at);
  const AgentState* pick_agent(const Case& case_record) const;
  const AgentState* pick_supervisor(std::string_view except) const;
  void assign(Case& case_record, AgentState& agent, TimeMs at);
  void unassign(Case& case_record);
  void close(Case& case_record, CaseStatus status, std::string_view agent_id, std::string_view code,
             std::string_view note, TimeMs at, bool handled = true);
  void mark_handled(Case& case_record, TimeMs at);
  Action& record(ActionKind kind, TimeMs at, const Case* case_record);
  std::vector<QueueEntry> ordered(const std::set<std::string>& incident_ids, TimeMs at) const;

  Result<Case*> open_case(std::string_view incident_id);
  Result<void> check_id(std::string_view what, std::string_view id) const;
  Result<AgentState*> on_duty_agent(std::string_view agent_id);
  Result<Case*> held_case(std::string_view incident_id, std::string_view agent_id);
  Result<void> check_text(std::string_view what, std::string_view text, std::size_t max_bytes) const;

  Limits limits_;
  std::optional<TimeMs> now_;
  std::map<std::string, AgentState, std::less<>> agents_;
  std::map<std::string, Case, std::less<>> cases_;       // open and the kept closed ones
  std::set<std::string> waiting_;                        // unassigned open cases
  std::set<std::string> awaiting_supervisor_;            // breached, unhandled, no supervisor yet
  std::set<std::pair<TimeMs, std::string>> deadlines_;   // unhandled open cases by deadline
  std::deque<std::string> closed_order_;                 // kept closed ids, oldest first
  std::size_t open_count_ = 0;
  std::vector<Action> log_;
  std::uint64_t next_seq_ = 1;
};

}  // namespace og::people
