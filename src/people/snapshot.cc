// PeopleDesk::save / load: the desk in an engine snapshot (docs/snapshots.md).
#include "people/people_serial.h"

namespace og::people {

void PeopleDesk::save(serial::Writer& w) const {
  w(limits_, now_);
  w.varint(agents_.size());
  for (const auto& entry : agents_) w(entry.first, entry.second.agent, entry.second.holding);
  w(cases_, waiting_, awaiting_supervisor_, deadlines_, closed_order_, open_count_, log_, next_seq_);
}

void PeopleDesk::load(serial::Reader& r) {
  PeopleDesk desk;
  r(desk.limits_, desk.now_);
  const std::size_t agents = r.count();
  for (std::size_t i = 0; i < agents; ++i) {
    std::string id;
    r(id);
    r.check(desk.agents_.empty() || std::prev(desk.agents_.end())->first < id, "agents out of order");
    AgentState& state = desk.agents_.emplace_hint(desk.agents_.end(), std::move(id), AgentState{})->second;
    r(state.agent, state.holding);
  }
  r(desk.cases_, desk.waiting_, desk.awaiting_supervisor_, desk.deadlines_, desk.closed_order_, desk.open_count_,
    desk.log_, desk.next_seq_);
  const auto known = [&](const std::string& incident_id) { return desk.cases_.contains(incident_id); };
  // (open_count_ is not checked against the cases: a withdrawn case can be reopened by an SLA
  // deadline it left behind, and the count does not follow; the snapshot keeps the desk as is.)
  for (const auto& entry : desk.cases_) {
    const Case& held = entry.second;
    r.check(held.escalated.incident_id == entry.first, "a case under another incident's id");
    r.check(held.assignee.empty() || desk.agents_.contains(held.assignee), "a case held by an unknown agent");
  }
  for (const auto& entry : desk.agents_) {
    for (const std::string& id : entry.second.holding) r.check(known(id), "an agent holding an unknown case");
  }
  for (const std::string& id : desk.waiting_) r.check(known(id), "an unknown case in the queue");
  for (const std::string& id : desk.awaiting_supervisor_) r.check(known(id), "an unknown case awaiting a supervisor");
  for (const auto& deadline : desk.deadlines_) r.check(known(deadline.second), "a deadline of an unknown case");
  for (const std::string& id : desk.closed_order_) r.check(known(id), "an unknown closed case");
  for (const Action& action : desk.log_) r.check(action.seq < desk.next_seq_, "an action from the future");
  *this = std::move(desk);
}

}  // namespace og::people
