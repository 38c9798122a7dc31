// PeopleDesk: routing, SLA timers and agent actions over ordered containers only, so that
// the same calls at the same times always give the same log.
#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "people/people.h"

namespace og::people {
namespace {

constexpr int kMaxPriority = 100;
// ¥10 trillion in 分: far above any order, and low enough that distance arithmetic cannot overflow.
constexpr std::int64_t kMaxOrderValue = 1'000'000'000'000'000;
// 9999-12-31T23:59:59.999Z: times stay far from overflow in deadline and urgency arithmetic.
constexpr TimeMs kMaxTimeMs = 253'402'300'799'999;

tl::unexpected<std::string> fail(std::string message) { return tl::unexpected<std::string>(std::move(message)); }

std::string when(TimeMs at) { return format_utc_ms(at); }

bool skill_fits(const Agent& agent, Skill needed) {
  return agent.skills.has(needed) || agent.skills.has(Skill::kSenior);
}

}  // namespace

PeopleDesk::PeopleDesk(Limits limits) : limits_(limits) {}

// ---- validation ---------------------------------------------------------------------------

Result<void> PeopleDesk::check_id(std::string_view what, std::string_view id) const {
  if (id.empty()) return fail(fmt::format("{} is empty: give the id", what));
  if (id.size() > limits_.max_id_bytes) {
    return fail(fmt::format("{} '{}...' is {} bytes, over the limit of {} (max_id_bytes)", what, id.substr(0, 16),
                            id.size(), limits_.max_id_bytes));
  }
  return {};
}

Result<void> PeopleDesk::check_text(std::string_view what, std::string_view text, std::size_t max_bytes) const {
  if (text.empty()) return fail(fmt::format("{} is empty: say what was done or why", what));
  if (text.size() > max_bytes) {
    return fail(fmt::format("{} is {} bytes, over the limit of {}: shorten it", what, text.size(), max_bytes));
  }
  return {};
}

Result<void> PeopleDesk::begin(TimeMs at) {
  if (log_.size() >= limits_.max_log_actions) {
    return fail(fmt::format("the action log holds {} actions, its limit (max_log_actions): hand it to the audit "
                            "chain with take_log() first",
                            log_.size()));
  }
  if (at < 0 || at > kMaxTimeMs) {
    return fail(fmt::format("time {} ms is outside 1970-9999: send event time in epoch milliseconds", at));
  }
  if (now_ && at < *now_) {
    return fail(fmt::format("time goes back: {} is before the desk's time {}; send actions in time order",
                            when(at), when(*now_)));
  }
  fire_deadlines_before(at);
  now_ = at;
  return {};
}

Result<Case*> PeopleDesk::open_case(std::string_view incident_id) {
  const auto found = cases_.find(incident_id);
  if (found == cases_.end()) {
    return fail(fmt::format("no escalated incident '{}' at the desk: check the id", incident_id));
  }
  Case& record = found->second;
  if (record.status == CaseStatus::kResolved) {
    // A case withdrawn by the engine (cleared by itself, retracted) has no person behind it.
    if (record.closed_by.empty()) {
      return fail(fmt::format("incident {} left the desk at {} ({} by the engine): there is nothing left to act on",
                              incident_id, when(record.closed_at.value_or(0)), record.resolution_code));
    }
    return fail(fmt::format("incident {} is already resolved (by {} at {}, code {})", incident_id, record.closed_by,
                            when(record.closed_at.value_or(0)), record.resolution_code));
  }
  if (record.status == CaseStatus::kFalsePositive) {
    return fail(fmt::format("incident {} is already closed as a false positive (by {} at {})", incident_id,
                            record.closed_by, when(record.closed_at.value_or(0))));
  }
  return &record;
}

Result<PeopleDesk::AgentState*> PeopleDesk::on_duty_agent(std::string_view agent_id) {
  const auto found = agents_.find(agent_id);
  if (found == agents_.end()) {
    return fail(fmt::format("unknown agent '{}': add the agent (agent.joined) first", agent_id));
  }
  if (!found->second.agent.on_duty) {
    return fail(fmt::format("agent {} is not on duty: put the agent on duty (agent.duty) first", agent_id));
  }
  return &found->second;
}

Result<Case*> PeopleDesk::held_case(std::string_view incident_id, std::string_view agent_id) {
  auto record = open_case(incident_id);
  if (!record) return record;
  const Case& held = **record;
  if (held.assignee == agent_id) return record;
  if (held.assignee.empty()) {
    return fail(fmt::format("incident {} is waiting in the queue, not assigned to you ({})", incident_id, agent_id));
  }
  return fail(fmt::format("incident {} is assigned to {}, not to you ({})", incident_id, held.assignee, agent_id));
}

// ---- agents -------------------------------------------------------------------------------

Result<void> PeopleDesk::add_agent(const Agent& agent, TimeMs at) {
  if (auto ok = check_id("agent id", agent.id); !ok) return ok;
  if (agent.name.size() > limits_.max_id_bytes) {
    return fail(fmt::format("agent {}'s name is {} bytes, over the limit of {}", agent.id, agent.name.size(),
                            limits_.max_id_bytes));
  }
  if (agent.capacity < 0 || agent.capacity > limits_.max_capacity) {
    return fail(fmt::format("agent {}'s capacity {} is outside 0-{}", agent.id, agent.capacity, limits_.max_capacity));
  }
  if (auto ok = begin(at); !ok) return ok;
  if (agents_.contains(agent.id)) {
    return fail(fmt::format("agent {} has already joined: change its duty with agent.duty", agent.id));
  }
  if (agents_.size() >= limits_.max_agents) {
    return fail(fmt::format("the desk already has {} agents, its limit (max_agents): agent {} was not added",
                            agents_.size(), agent.id));
  }
  AgentState& state = agents_[agent.id];
  state.agent = agent;
  Action& joined = record(ActionKind::kAgentJoined, at, nullptr);
  joined.actor = agent.id;
  const std::string skills = agent.skills.empty() ? std::string("none") : skills_text(agent.skills);
  joined.text = fmt::format("skills={} capacity={}{}{}", skills, agent.capacity, agent.supervisor ? " supervisor" : "",
                            agent.on_duty ? " on_duty" : "");
  if (agent.on_duty) {
    if (agent.supervisor) route_overdue_to_supervisors(at);
    route(at);
  }
  return {};
}

Result<void> PeopleDesk::set_duty(std::string_view agent_id, bool on_duty, TimeMs at) {
  if (auto ok = begin(at); !ok) return ok;
  const auto found = agents_.find(agent_id);
  if (found == agents_.end()) {
    return fail(fmt::format("unknown agent '{}': add the agent (agent.joined) first", agent_id));
  }
  AgentState& state = found->second;
  if (state.agent.on_duty == on_duty) {
    return fail(fmt::format("agent {} is already {} duty", agent_id, on_duty ? "on" : "off"));
  }
  state.agent.on_duty = on_duty;
  record(on_duty ? ActionKind::kDutyOn : ActionKind::kDutyOff, at, nullptr).actor = state.agent.id;
  if (!on_duty) {
    // Nobody works a case for an absent agent: everything held goes back to the queue, in
    // queue order, and on to whoever can take it.
    for (const QueueEntry& entry : ordered(state.holding, at)) {
      return_to_queue(cases_.find(entry.incident_id)->second, at);
    }
    route_overdue_to_supervisors(at);
  } else if (state.agent.supervisor) {
    route_overdue_to_supervisors(at);
  }
  route(at);
  return {};
}

// ---- cases --------------------------------------------------------------------------------

Result<void> PeopleDesk::escalate(const EscalatedCase& escalated, TimeMs at) {
  if (auto ok = check_id("incident id", escalated.incident_id); !ok) return ok;
  if (static_cast<std::size_t>(escalated.type) >= kIncidentTypeCount ||
      static_cast<std::size_t>(escalated.about) > kIncidentTypeCount ||
      static_cast<std::size_t>(escalated.severity) >= kSeverityCount) {
    return fail(fmt::format("incident {} has an unknown type or severity", escalated.incident_id));
  }
  if (escalated.priority < 0 || escalated.priority > kMaxPriority) {
    return fail(fmt::format("incident {}'s priority {} is outside 0-{}", escalated.incident_id, escalated.priority,
                            kMaxPriority));
  }
  if (escalated.order_value != kUnknownOrderValue &&
      (escalated.order_value < 0 || escalated.order_value > kMaxOrderValue)) {
    return fail(fmt::format("incident {}'s order value {} is neither unknown (-1) nor within 0-{}",
                            escalated.incident_id, escalated.order_value, kMaxOrderValue));
  }
  for (const auto& [what, text] : std::array<std::pair<std::string_view, std::string_view>, 4>{
           {{"zone", escalated.zone}, {"community", escalated.community}, {"user", escalated.user},
            {"cause", escalated.cause}}}) {
    if (text.size() > limits_.max_id_bytes) {
      return fail(fmt::format("incident {}'s {} is {} bytes, over the limit of {}", escalated.incident_id, what,
                              text.size(), limits_.max_id_bytes));
    }
  }
  if (escalated.sla_deadline_ms && (*escalated.sla_deadline_ms < 0 || *escalated.sla_deadline_ms > kMaxTimeMs)) {
    return fail(fmt::format("incident {}'s SLA deadline {} ms is outside 1970-9999", escalated.incident_id,
                            *escalated.sla_deadline_ms));
  }
  if (auto ok = begin(at); !ok) return ok;
  if (const auto found = cases_.find(escalated.incident_id); found != cases_.end()) {
    return fail(fmt::format("incident {} is already at the desk ({})", escalated.incident_id,
                            case_status_name(found->second.status)));
  }
  if (open_count_ >= limits_.max_open_cases) {
    return fail(fmt::format("the desk holds {} open incidents, its limit (max_open_cases): incident {} was not "
                            "escalated; add agents or resolve cases",
                            open_count_, escalated.incident_id));
  }
  Case& created = cases_[escalated.incident_id];
  created.escalated = escalated;
  created.escalated_at = at;
  created.sla_deadline_ms = escalated.sla_deadline_ms.value_or(at + sla_ms(escalated.severity));
  ++open_count_;
  waiting_.insert(escalated.incident_id);
  record(ActionKind::kEscalated, at, &created);
  if (created.sla_deadline_ms < at) {
    breach(created, at);  // escalated after its deadline already passed
  } else {
    deadlines_.emplace(created.sla_deadline_ms, escalated.incident_id);
  }
  route(at);
  return {};
}

Result<void> PeopleDesk::acknowledge(std::string_view incident_id, std::string_view agent_id, TimeMs at) {
  if (auto ok = begin(at); !ok) return ok;
  if (auto agent = on_duty_agent(agent_id); !agent) return tl::unexpected(agent.error());
  auto held = held_case(incident_id, agent_id);
  if (!held) return tl::unexpected(held.error());
  Case& record_ref = **held;
  if (record_ref.acknowledged_at) {
    return fail(fmt::format("incident {} is already acknowledged by you ({}) at {}", incident_id, agent_id,
                            when(*record_ref.acknowledged_at)));
  }
  record_ref.acknowledged_at = at;
  mark_handled(record_ref, at);
  record(ActionKind::kAcknowledged, at, &record_ref).actor = std::string(agent_id);
  return {};
}

Result<void> PeopleDesk::resolve(std::string_view incident_id, std::string_view agent_id,
                                 std::string_view resolution_code, std::string_view note, TimeMs at) {
  if (auto ok = check_text("resolution code", resolution_code, limits_.max_code_bytes); !ok) return ok;
  if (auto ok = check_text("resolution note", note, limits_.max_text_bytes); !ok) return ok;
  if (auto ok = begin(at); !ok) return ok;
  if (auto agent = on_duty_agent(agent_id); !agent) return tl::unexpected(agent.error());
  auto held = held_case(incident_id, agent_id);
  if (!held) return tl::unexpected(held.error());
  close(**held, CaseStatus::kResolved, agent_id, resolution_code, note, at);
  return {};
}

Result<void> PeopleDesk::mark_false_positive(std::string_view incident_id, std::string_view agent_id, TimeMs at) {
  if (auto ok = begin(at); !ok) return ok;
  if (auto agent = on_duty_agent(agent_id); !agent) return tl::unexpected(agent.error());
  auto held = held_case(incident_id, agent_id);
  if (!held) return tl::unexpected(held.error());
  close(**held, CaseStatus::kFalsePositive, agent_id, "", "", at);
  return {};
}

Result<void> PeopleDesk::withdraw(std::string_view incident_id, std::string_view code, TimeMs at) {
  if (auto ok = begin(at); !ok) return ok;
  auto open = open_case(incident_id);
  if (!open) return tl::unexpected(open.error());
  close(**open, CaseStatus::kResolved, "", code, "", at, false);
  return {};
}

Result<void> PeopleDesk::reassign(std::string_view incident_id, std::string_view by_agent, std::string_view to_agent,
                                  TimeMs at) {
  if (auto ok = begin(at); !ok) return ok;
  auto by = on_duty_agent(by_agent);
  if (!by) return tl::unexpected(by.error());
  auto open = open_case(incident_id);
  if (!open) return tl::unexpected(open.error());
  Case& moving = **open;
  if (moving.assignee != by_agent && !(*by)->agent.supervisor) {
    return fail(fmt::format("incident {} is {}; only its assignee or a supervisor can reassign it", incident_id,
                            moving.assignee.empty() ? std::string("waiting in the queue")
                                                    : fmt::format("assigned to {}, not to you ({})", moving.assignee,
                                                                  by_agent)));
  }
  auto to = on_duty_agent(to_agent);
  if (!to) return tl::unexpected(to.error());
  AgentState& receiver = **to;
  if (moving.assignee == to_agent) {
    return fail(fmt::format("incident {} is already assigned to {}", incident_id, to_agent));
  }
  const Skill needed = needed_skill(moving.escalated.type, moving.escalated.about);
  if (!skill_fits(receiver.agent, needed)) {
    return fail(fmt::format("agent {} has neither the {} skill that {} needs nor senior: choose another agent",
                            to_agent, skill_name(needed), incident_type_name(moving.escalated.type)));
  }
  if (free_capacity(to_agent) <= 0) {
    return fail(fmt::format("agent {} is at capacity ({} of {} open incidents): choose another agent", to_agent,
                            receiver.holding.size(), receiver.agent.capacity));
  }
  unassign(moving);
  assign(moving, receiver, at);
  Action& moved = record(ActionKind::kReassigned, at, &moving);
  moved.actor = std::string(by_agent);
  moved.target = receiver.agent.id;
  route(at);  // the previous assignee may have room for a waiting case now
  return {};
}

Result<void> PeopleDesk::escalate_further(std::string_view incident_id, std::string_view agent_id,
                                          std::string_view reason, TimeMs at) {
  if (auto ok = check_text("escalation reason", reason, limits_.max_text_bytes); !ok) return ok;
  if (auto ok = begin(at); !ok) return ok;
  if (auto agent = on_duty_agent(agent_id); !agent) return tl::unexpected(agent.error());
  auto held = held_case(incident_id, agent_id);
  if (!held) return tl::unexpected(held.error());
  const AgentState* supervisor = pick_supervisor(agent_id);
  if (supervisor == nullptr) {
    return fail(fmt::format("no other supervisor is on duty to take incident {}: comment on it or reassign it",
                            incident_id));
  }
  Case& moving = **held;
  mark_handled(moving, at);
  unassign(moving);
  assign(moving, agents_.find(supervisor->agent.id)->second, at);
  Action& up = record(ActionKind::kEscalatedFurther, at, &moving);
  up.actor = std::string(agent_id);
  up.target = supervisor->agent.id;
  up.text = std::string(reason);
  route(at);
  return {};
}

Result<void> PeopleDesk::comment(std::string_view incident_id, std::string_view agent_id, std::string_view text,
                                 TimeMs at) {
  if (auto ok = check_text("comment", text, limits_.max_text_bytes); !ok) return ok;
  if (auto ok = begin(at); !ok) return ok;
  if (auto agent = on_duty_agent(agent_id); !agent) return tl::unexpected(agent.error());
  auto open = open_case(incident_id);
  if (!open) return tl::unexpected(open.error());
  Case& commented = **open;
  if (commented.comments.size() >= limits_.max_comments_per_case) {
    return fail(fmt::format("incident {} already has {} comments, its limit (max_comments_per_case)", incident_id,
                            commented.comments.size()));
  }
  commented.comments.push_back(Comment{std::string(agent_id), at, std::string(text)});
  Action& noted = record(ActionKind::kCommented, at, &commented);
  noted.actor = std::string(agent_id);
  noted.text = std::string(text);
  return {};
}

Result<std::size_t> PeopleDesk::advance(TimeMs at) {
  const std::size_t before = log_.size();
  if (auto ok = begin(at); !ok) return tl::unexpected(ok.error());
  std::size_t fired = 0;
  for (std::size_t i = before; i < log_.size(); ++i) fired += log_[i].kind == ActionKind::kSlaBreached ? 1 : 0;
  return fired;
}

// ---- SLA ----------------------------------------------------------------------------------

void PeopleDesk::fire_deadlines_before(TimeMs at) {
  while (!deadlines_.empty() && deadlines_.begin()->first < at) {
    const auto [deadline, incident_id] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    breach(cases_.find(incident_id)->second, deadline);
  }
}

void PeopleDesk::breach(Case& case_record, TimeMs at) {
  case_record.sla_breached = true;
  const auto holder = agents_.find(case_record.assignee);
  if (holder != agents_.end() && holder->second.agent.supervisor) {
    // Already with a supervisor: there is no one further up; record the miss only.
    record(ActionKind::kSlaBreached, at, &case_record).target = case_record.assignee;
    return;
  }
  const AgentState* supervisor = pick_supervisor("");
  if (supervisor == nullptr) {
    // It stays where it is (an agent may still pick it up) until a supervisor comes on duty.
    case_record.awaiting_supervisor = true;
    awaiting_supervisor_.insert(case_record.escalated.incident_id);
    record(ActionKind::kSlaBreached, at, &case_record);
    return;
  }
  const bool freed_capacity = !case_record.assignee.empty();
  unassign(case_record);
  assign(case_record, agents_.find(supervisor->agent.id)->second, at);
  record(ActionKind::kSlaBreached, at, &case_record).target = supervisor->agent.id;
  if (freed_capacity) route(at);
}

void PeopleDesk::route_overdue_to_supervisors(TimeMs at) {
  for (const QueueEntry& entry : ordered(awaiting_supervisor_, at)) {
    const AgentState* supervisor = pick_supervisor("");
    if (supervisor == nullptr) return;
    Case& overdue = cases_.find(entry.incident_id)->second;
    overdue.awaiting_supervisor = false;
    awaiting_supervisor_.erase(entry.incident_id);
    unassign(overdue);
    assign(overdue, agents_.find(supervisor->agent.id)->second, at);
    Action& given = record(ActionKind::kAssigned, at, &overdue);
    given.target = supervisor->agent.id;
    given.text = fmt::format("SLA missed at {}", when(overdue.sla_deadline_ms));
  }
}

void PeopleDesk::return_to_queue(Case& case_record, TimeMs at) {
  const std::string previous = case_record.assignee;
  unassign(case_record);
  record(ActionKind::kReturned, at, &case_record).target = previous;
  if (case_record.sla_breached && !case_record.first_handled_at && !case_record.awaiting_supervisor) {
    case_record.awaiting_supervisor = true;  // it went up once; it must go up again
    awaiting_supervisor_.insert(case_record.escalated.incident_id);
  }
}

void PeopleDesk::mark_handled(Case& case_record, TimeMs at) {
  if (case_record.first_handled_at) return;
  case_record.first_handled_at = at;
  deadlines_.erase({case_record.sla_deadline_ms, case_record.escalated.incident_id});
  case_record.awaiting_supervisor = false;
  awaiting_supervisor_.erase(case_record.escalated.incident_id);
}

// ---- routing ------------------------------------------------------------------------------

const PeopleDesk::AgentState* PeopleDesk::pick_agent(const Case& case_record) const {
  const Skill needed = needed_skill(case_record.escalated.type, case_record.escalated.about);
  const auto best_where = [this](auto&& eligible) -> const AgentState* {
    const AgentState* best = nullptr;
    int best_free = 0;
    for (const auto& [agent_id, state] : agents_) {  // id order: the first of equals wins
      if (!state.agent.on_duty || !eligible(state.agent)) continue;
      const int free = state.agent.capacity - static_cast<int>(state.holding.size());
      if (free > best_free) {
        best = &state;
        best_free = free;
      }
    }
    return best;
  };
  if (case_record.escalated.vip) {
    // VIP customers go to senior agents first: with the needed skill, then any senior.
    if (const AgentState* senior = best_where([needed](const Agent& agent) {
          return agent.skills.has(Skill::kSenior) && agent.skills.has(needed);
        })) {
      return senior;
    }
    if (const AgentState* senior = best_where([](const Agent& agent) { return agent.skills.has(Skill::kSenior); })) {
      return senior;
    }
  }
  return best_where([needed](const Agent& agent) { return agent.skills.has(needed); });
}

const PeopleDesk::AgentState* PeopleDesk::pick_supervisor(std::string_view except) const {
  // Capacity does not stop an overdue case: it must land on someone who can act now.
  const AgentState* best = nullptr;
  int best_free = 0;
  for (const auto& [agent_id, state] : agents_) {
    if (!state.agent.on_duty || !state.agent.supervisor || agent_id == except) continue;
    const int free = state.agent.capacity - static_cast<int>(state.holding.size());
    if (best == nullptr || free > best_free) {
      best = &state;
      best_free = free;
    }
  }
  return best;
}

void PeopleDesk::route(TimeMs at) {
  if (waiting_.empty()) return;
  // The skills someone on duty could still take: with none, the queue cannot move, and a
  // case needing a skill nobody has free is skipped without looking at every agent.
  Skills free_skills;
  for (const auto& [agent_id, state] : agents_) {
    if (state.agent.on_duty && state.agent.capacity > static_cast<int>(state.holding.size())) {
      free_skills = Skills::either(free_skills, state.agent.skills);
    }
  }
  if (free_skills.empty()) return;
  for (const QueueEntry& entry : ordered(waiting_, at)) {
    Case& waiting_case = cases_.find(entry.incident_id)->second;
    const Skill needed = needed_skill(waiting_case.escalated.type, waiting_case.escalated.about);
    if (!free_skills.has(needed) && !(waiting_case.escalated.vip && free_skills.has(Skill::kSenior))) continue;
    const AgentState* agent = pick_agent(waiting_case);
    if (agent == nullptr) continue;  // later cases may need another skill: no head-of-line blocking
    assign(waiting_case, agents_.find(agent->agent.id)->second, at);
    record(ActionKind::kAssigned, at, &waiting_case).target = agent->agent.id;
  }
}

void PeopleDesk::assign(Case& case_record, AgentState& agent, TimeMs /*at*/) {
  case_record.assignee = agent.agent.id;
  case_record.status = CaseStatus::kAssigned;
  case_record.acknowledged_at.reset();  // a new holder acknowledges for themself
  agent.holding.insert(case_record.escalated.incident_id);
  waiting_.erase(case_record.escalated.incident_id);
}

void PeopleDesk::unassign(Case& case_record) {
  if (case_record.assignee.empty()) return;
  if (const auto holder = agents_.find(case_record.assignee); holder != agents_.end()) {
    holder->second.holding.erase(case_record.escalated.incident_id);
  }
  case_record.assignee.clear();
  case_record.acknowledged_at.reset();
  case_record.status = CaseStatus::kWaiting;
  waiting_.insert(case_record.escalated.incident_id);
}

void PeopleDesk::close(Case& case_record, CaseStatus status, std::string_view agent_id, std::string_view code,
                       std::string_view note, TimeMs at, bool handled) {
  if (handled) mark_handled(case_record, at);
  // A closed case has no deadline left to miss and waits for no supervisor, handled or not.
  deadlines_.erase({case_record.sla_deadline_ms, case_record.escalated.incident_id});
  case_record.awaiting_supervisor = false;
  awaiting_supervisor_.erase(case_record.escalated.incident_id);
  unassign(case_record);
  waiting_.erase(case_record.escalated.incident_id);
  case_record.status = status;
  case_record.closed_by = std::string(agent_id);
  case_record.resolution_code = std::string(code);
  case_record.resolution_note = std::string(note);
  case_record.closed_at = at;
  --open_count_;
  Action& closed = record(status == CaseStatus::kResolved ? ActionKind::kResolved : ActionKind::kFalsePositive, at,
                          &case_record);
  closed.actor = std::string(agent_id);
  closed.code = std::string(code);
  closed.text = std::string(note);
  // History for similar cases is bounded: the oldest closed case goes first.
  closed_order_.push_back(case_record.escalated.incident_id);
  while (closed_order_.size() > limits_.max_closed_kept) {
    cases_.erase(closed_order_.front());
    closed_order_.pop_front();
  }
  route(at);
}

Action& PeopleDesk::record(ActionKind kind, TimeMs at, const Case* case_record) {
  Action& action = log_.emplace_back();
  action.seq = next_seq_++;
  action.at = at;
  action.kind = kind;
  if (case_record != nullptr) {
    action.incident_id = case_record->escalated.incident_id;
    action.type = case_record->escalated.type;
    action.severity = case_record->escalated.severity;
    action.sla_deadline_ms = case_record->sla_deadline_ms;
  }
  return action;
}

// ---- views --------------------------------------------------------------------------------

std::vector<QueueEntry> PeopleDesk::ordered(const std::set<std::string>& incident_ids, TimeMs at) const {
  struct Keyed {
    QueueEntry entry;
    TimeMs escalated_at;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(incident_ids.size());
  for (const std::string& incident_id : incident_ids) {
    const Case& held = cases_.find(incident_id)->second;
    const int urgent = held.first_handled_at ? 0 : urgency(held.escalated.severity, held.sla_deadline_ms, at);
    keyed.push_back({QueueEntry{incident_id, held.escalated.priority + urgent}, held.escalated_at});
  }
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.entry.effective_priority != b.entry.effective_priority) {
      return a.entry.effective_priority > b.entry.effective_priority;
    }
    if (a.escalated_at != b.escalated_at) return a.escalated_at < b.escalated_at;
    return a.entry.incident_id < b.entry.incident_id;
  });
  std::vector<QueueEntry> entries;
  entries.reserve(keyed.size());
  for (Keyed& item : keyed) entries.push_back(std::move(item.entry));
  return entries;
}

Result<std::vector<QueueEntry>> PeopleDesk::queue_of(std::string_view agent_id) const {
  const auto found = agents_.find(agent_id);
  if (found == agents_.end()) return fail(fmt::format("unknown agent '{}'", agent_id));
  return ordered(found->second.holding, now_.value_or(0));
}

std::vector<QueueEntry> PeopleDesk::waiting() const { return ordered(waiting_, now_.value_or(0)); }

Result<std::vector<SimilarCase>> PeopleDesk::similar_cases(std::string_view incident_id, std::size_t n) const {
  if (n == 0 || n > limits_.max_similar) {
    return fail(fmt::format("ask for 1-{} similar cases, not {}", limits_.max_similar, n));
  }
  const auto found = cases_.find(incident_id);
  if (found == cases_.end()) {
    return fail(fmt::format("no escalated incident '{}' at the desk: check the id", incident_id));
  }
  const Case& subject = found->second;
  std::vector<SimilarCase> similar;
  for (const auto& [other_id, other] : cases_) {
    if (other_id == incident_id || !other.is_closed() || other.escalated.type != subject.escalated.type) continue;
    SimilarCase& entry = similar.emplace_back();
    entry.incident_id = other_id;
    entry.distance = case_distance(subject.escalated, other.escalated);
    entry.ended = other.status;
    entry.resolution_code = other.resolution_code;
    entry.resolution_note = other.resolution_note;
    entry.closed_by = other.closed_by;
    entry.closed_at = other.closed_at.value_or(0);
    entry.handling_ms = entry.closed_at - other.escalated_at;
  }
  const auto nearer = [](const SimilarCase& a, const SimilarCase& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    if (a.closed_at != b.closed_at) return a.closed_at > b.closed_at;  // the latest practice first
    return a.incident_id < b.incident_id;
  };
  const std::size_t keep = std::min(n, similar.size());
  std::partial_sort(similar.begin(), similar.begin() + static_cast<std::ptrdiff_t>(keep), similar.end(), nearer);
  similar.resize(keep);
  return similar;
}

// ---- accessors ----------------------------------------------------------------------------

const Case* PeopleDesk::find_case(std::string_view incident_id) const {
  const auto found = cases_.find(incident_id);
  return found == cases_.end() ? nullptr : &found->second;
}

std::vector<Agent> PeopleDesk::agents() const {
  std::vector<Agent> out;
  out.reserve(agents_.size());
  for (const auto& [id, state] : agents_) out.push_back(state.agent);
  return out;
}

const Agent* PeopleDesk::find_agent(std::string_view agent_id) const {
  const auto found = agents_.find(agent_id);
  return found == agents_.end() ? nullptr : &found->second.agent;
}

int PeopleDesk::free_capacity(std::string_view agent_id) const {
  const auto found = agents_.find(agent_id);
  if (found == agents_.end()) return 0;
  return found->second.agent.capacity - static_cast<int>(found->second.holding.size());
}

std::vector<Action> PeopleDesk::take_log() {
  std::vector<Action> taken;
  taken.swap(log_);
  return taken;
}

}  // namespace og::people
