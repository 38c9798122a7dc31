#include "loop/closed_loop.h"

#include <algorithm>
#include <array>
#include <queue>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/hash.h"
#include "events/parser.h"
#include "people/people.h"
#include "sim/random.h"

namespace og::loop {

namespace {

// What a person writes when closing a case, by the skill the case needs.
struct Closing {
  std::string_view code;
  std::string_view note;
};

Closing closing_for(people::Skill skill) {
  switch (skill) {
    case people::Skill::kPayment: return {"payment_checked", "已核对支付与退款记录，已联系客户说明处理结果"};
    case people::Skill::kInventory: return {"stock_fixed", "已与仓库核对库存和拣货，问题已处理"};
    case people::Skill::kDelivery: return {"contacted_rider", "已联系骑手和客户，配送已恢复"};
    case people::Skill::kAftersale: return {"contacted_customer", "已电话回访客户，已妥善处理"};
    case people::Skill::kRisk: return {"reviewed", "已人工审核订单和用户行为，已处理"};
    default: return {"contacted_customer", "已联系客户，问题已处理"};
  }
}

class Loop {
 public:
  Loop(const ClosedLoopConfig& config, EngineLink& link, sim::LineSink* events_out)
      : config_(config), link_(link), events_out_(events_out), parser_(link.interner()),
        world_(sim::derive_seed(config.sim.seed, 0x776f726c64ULL), config.world),
        agent_seed_(sim::derive_seed(config.sim.seed, 0x6167656e7473ULL)) {}

  void join_agents() {
    const TimeMs at = config_.sim.start_ms;
    next_tick_ = at;
    const Roster& r = config_.roster;
    constexpr std::array<std::pair<people::Skill, std::string_view>, 5> kDomains = {{
        {people::Skill::kPayment, "payment"},
        {people::Skill::kInventory, "inventory"},
        {people::Skill::kDelivery, "delivery"},
        {people::Skill::kAftersale, "aftersale"},
        {people::Skill::kRisk, "risk"},
    }};
    const std::array<int, 5> counts = {r.payment, r.inventory, r.delivery, r.aftersale, r.risk};
    std::uint8_t all_domains = 0;
    for (std::size_t d = 0; d < kDomains.size(); ++d) {
      const auto bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(kDomains[d].first));
      all_domains |= bit;
      for (int n = 1; n <= counts[d]; ++n) join(fmt::format("sim-agent-{}-{}", kDomains[d].second, n), bit, false, at);
    }
    const auto senior = static_cast<std::uint8_t>(1u << static_cast<unsigned>(people::Skill::kSenior));
    for (int n = 1; n <= r.seniors; ++n) join(fmt::format("sim-agent-senior-{}", n), all_domains | senior, false, at);
    for (int n = 1; n <= r.supervisors; ++n) {
      supervisors_.push_back(fmt::format("sim-agent-supervisor-{}", n));
      join(supervisors_.back(), 0, true, at);
    }
    std::sort(supervisors_.begin(), supervisors_.end());
  }

  // One line the simulator wrote.
  void on_stream_line(std::string_view line) {
    if (events_out_ != nullptr) {
      events_out_->write(line);
      events_out_->write("\n");
    }
    ++stats_.stream_lines;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
    if (!parser_.parse(line, stream_event_)) {
      ++stats_.bad_lines;
      link_.unparsed_line(line);
      return;
    }
    ++stats_.stream_events;
    clock_to(stream_event_.ts);
    now_ = std::max(now_, stream_event_.ts);
    stream_end_ = std::max(stream_end_, stream_event_.ts);
    observe(stream_event_);
    count(link_.ingest(stream_event_, line));
    pump();
  }

  // End of the stream: answers and agents go on for the tail. Returns the time reached.
  TimeMs finish() {
    // Deadlines up to the horizon fire while someone is still there to answer.
    const TimeMs horizon = stream_end_ + config_.tail;
    clock_to(horizon + link_.out_of_orderness());
    while (!queue_.empty()) {
      queue_.pop();
      ++stats_.dropped_after_tail;
    }
    return now_;
  }

  ClosedLoopStats& stats() { return stats_; }

 private:
  enum class Kind : std::uint8_t { kWorld, kAck, kClose };
  struct Item {
    TimeMs ts = 0;     // when the loop takes it up
    TimeMs when = 0;   // agents: when the person acts
    std::uint64_t seq = 0;
    Kind kind = Kind::kWorld;
    std::uint32_t incident = 0;  // agents: the position in escalated_
    std::string json;  // kWorld: the answer as an NDJSON line
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const { return a.ts != b.ts ? a.ts > b.ts : a.seq > b.seq; }
  };

  void push(Item item) {
    item.seq = seq_++;
    queue_.push(std::move(item));
    stats_.peak_queue = std::max<std::uint64_t>(stats_.peak_queue, queue_.size());
  }

  void count(IngestOutcome outcome) {
    if (outcome == IngestOutcome::kDuplicate) ++stats_.duplicates;
    if (outcome == IngestOutcome::kLate) ++stats_.late;
  }

  // Time passes up to t as a wall clock would: in ticks, the watermark following each (no
  // stream event can be behind it: the simulator never sends one older than the bound), so
  // deadlines fire and are answered at their time even where the stream is sparse (nights).
  void clock_to(TimeMs t) {
    if (next_tick_ == kAbsent) next_tick_ = t;
    while (next_tick_ <= t) {
      run_queue_until(next_tick_);
      link_.advance_watermark(next_tick_);
      now_ = std::max(now_, next_tick_);
      pump();
      next_tick_ += kTickMs;
    }
    run_queue_until(t);
  }

  // Every queued item with ts <= t, in (ts, seq) order; items they cause join the queue.
  void run_queue_until(TimeMs t) {
    while (!queue_.empty() && queue_.top().ts <= t) {
      Item item = queue_.top();
      queue_.pop();
      // The clock reaches the item: as in serve, time moves the watermark without an event.
      link_.advance_watermark(item.ts);
      now_ = std::max(now_, item.ts);
      pump();  // deadlines the clock fired
      switch (item.kind) {
        case Kind::kWorld: ingest_world(item); break;
        case Kind::kAck:
        case Kind::kClose: act(item); break;
      }
      pump();
    }
  }

  void ingest_world(const Item& item) {
    std::string_view line(item.json);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!parser_.parse(line, link_.staging_event())) {
      ++stats_.world_bad;
      return;
    }
    ++stats_.world_events;
    observe(link_.staging_event());
    count(link_.ingest_staged(line));
  }

  // New commands go to the world; new escalations get a person.
  void pump() {
    while (const Command* next = link_.next_command()) {
      const Command& c = *next;
      sim::Command command = world_command(c, now_);
      if (c.name == "picking.redo") {
        if (const auto it = order_items_.find(c.order_id); it != order_items_.end()) command.items = it->second;
      }
      std::vector<sim::WorldEvent> answers = world_.respond(command);
      if (!answers.empty()) ++stats_.commands_answered;
      for (sim::WorldEvent& answer : answers) {
        Item item;
        item.ts = answer.ts;
        item.kind = Kind::kWorld;
        item.json = std::move(answer.json);
        push(std::move(item));
      }
    }
    while (const EscalationView* next = link_.next_escalation()) {
      const auto position = static_cast<std::uint32_t>(escalated_.size());
      escalated_.push_back(*next);
      const EscalationView& incident = escalated_.back();
      sim::Rng rng = incident_rng(incident, 1);
      const AgentBehaviour& b = config_.agents;
      const bool high = incident.severity == Severity::kHigh;
      const DurationMs delay = high ? rng.range(b.ack_high_min, b.ack_high_max) : rng.range(b.ack_other_min, b.ack_other_max);
      push_agent(Kind::kAck, position, std::max(incident.escalated_at, now_) + delay);
    }
  }

  // The warehouse's knowledge of its open orders: what each needs picked, after the
  // substitutions the customer accepted. Forgotten when the order completes or is cancelled.
  void observe(const Event& e) {
    if (e.order_id == kNoSymbol) return;
    const Interner& interner = link_.interner();
    const std::string_view order = interner.view(e.order_id);
    switch (e.type) {
      case EventType::kOrderCreated: {
        auto& items = order_items_[std::string(order)];
        items.clear();
        for (const og::Item& item : e.items) items.emplace_back(std::string(interner.view(item.sku)), item.qty);
        break;
      }
      case EventType::kSubstitutionResponded: {
        if (!e.accepted || e.substitute_sku == kNoSymbol) break;
        const auto it = order_items_.find(std::string(order));
        if (it == order_items_.end()) break;
        for (auto& [sku, qty] : it->second) {
          if (sku == interner.view(e.sku)) sku = std::string(interner.view(e.substitute_sku));
        }
        break;
      }
      case EventType::kOrderCompleted:
      case EventType::kOrderCancelled: order_items_.erase(std::string(order)); break;
      default: break;
    }
  }

  sim::Rng incident_rng(const EscalationView& incident, std::uint64_t purpose) const {
    return sim::Rng(sim::derive_seed(agent_seed_, hash_combine(hash64(incident.incident_id), purpose)));
  }

  // A person acts on a case at `item.when`: the one holding it then. The item was queued a
  // reorder bound later, so the engine has applied everything up to `when` (the watermark is
  // there) and the agent's event, stamped just past the watermark, is never late.
  void act(const Item& item) {
    const EscalationView& incident = escalated_[item.incident];
    const CaseView held = link_.case_of(incident);
    if (!held.open) return;
    const TimeMs ts = std::max(item.when, link_.watermark() + 1);
    std::string agent = held.assignee;
    // The desk sends an unhandled case up to a supervisor when its SLA deadline passes, at its
    // next call: the one this event makes. Then the supervisor is the one who acts.
    if (!held.first_handled && !held.sla_breached && held.sla_deadline < ts && !is_supervisor(agent)) {
      agent = supervisor_for_breach();
    }
    if (agent.empty()) {
      ++stats_.agent_retries;
      Item again = item;
      again.when = item.when + config_.agents.retry;
      again.ts = again.when + link_.out_of_orderness();
      push(std::move(again));
      return;
    }
    const std::string incident_id = incident.incident_id;
    Event& e = agent_event(item.kind == Kind::kAck ? "ack" : "close", incident_id, ts);
    e.rare().agent.agent_id = agent;
    e.rare().agent.incident_id = incident_id;
    if (item.kind == Kind::kAck) {
      const bool acknowledged = held.acknowledged && held.assignee == agent;
      if (!acknowledged) {
        e.type = EventType::kAgentAck;
        ingest_agent(e);
      }
      sim::Rng rng = incident_rng(incident, 2);
      push_agent(Kind::kClose, item.incident, ts + rng.range(config_.agents.resolve_min, config_.agents.resolve_max));
      return;
    }
    sim::Rng rng = incident_rng(incident, 3);
    if (rng.chance(config_.agents.false_positive_rate)) {
      e.type = EventType::kAgentFalsePositive;
    } else {
      e.type = EventType::kAgentResolve;
      const Closing closing = closing_for(people::needed_skill(incident.type, incident.about_type));
      e.rare().agent.resolution_code = std::string(closing.code);
      e.rare().agent.text = std::string(closing.note);
    }
    ingest_agent(e);
  }

  void push_agent(Kind kind, std::uint32_t incident, TimeMs when) {
    Item item;
    item.when = when;
    item.ts = when + link_.out_of_orderness();
    item.kind = kind;
    item.incident = incident;
    push(std::move(item));
  }

  bool is_supervisor(const std::string& agent_id) const {
    return std::find(supervisors_.begin(), supervisors_.end(), agent_id) != supervisors_.end();
  }

  // The desk's choice (docs/people.md "SLA"): the on-duty supervisor with the most free
  // capacity, ties by lowest id. Ours are always on duty.
  std::string supervisor_for_breach() const {
    std::string best;
    int best_free = 0;
    for (const std::string& id : supervisors_) {  // in id order
      const int free = link_.free_capacity(id);
      if (best.empty() || free > best_free) {
        best = id;
        best_free = free;
      }
    }
    return best;
  }

  Event& agent_event(std::string_view what, std::string_view subject, TimeMs ts) {
    agent_event_.reset();
    agent_event_.id = fmt::format("sim-agent-{}-{}-{}", what, subject, agent_serial_++);
    agent_event_.id_hash = hash64(agent_event_.id);
    agent_event_.ts = ts;
    return agent_event_;
  }

  void ingest_agent(const Event& e) {
    ++stats_.agent_events;
    count(link_.ingest(e, {}));
  }

  void join(const std::string& id, std::uint8_t skills, bool supervisor, TimeMs at) {
    Event& e = agent_event("joined", id, at);
    e.type = EventType::kAgentJoined;
    e.rare().agent.agent_id = id;
    e.rare().agent.name = id;
    e.rare().agent.skills = skills;
    e.rare().agent.capacity = config_.roster.capacity;
    e.rare().agent.supervisor = supervisor;
    e.rare().agent.on_duty = true;
    ++stats_.agents;
    ingest_agent(e);
    now_ = std::max(now_, at);
  }

  const ClosedLoopConfig& config_;
  EngineLink& link_;
  sim::LineSink* events_out_;
  EventParser parser_;
  sim::CommandResponder world_;
  std::uint64_t agent_seed_;
  std::vector<std::string> supervisors_;
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::int64_t>>> order_items_;
  Event stream_event_;
  Event agent_event_;
  std::priority_queue<Item, std::vector<Item>, Later> queue_;
  std::uint64_t seq_ = 0;
  std::uint64_t agent_serial_ = 0;
  std::vector<EscalationView> escalated_;  // in the order the agents learnt of them
  static constexpr DurationMs kTickMs = 5 * kSecondMs;
  TimeMs now_ = kAbsent;
  TimeMs next_tick_ = kAbsent;
  TimeMs stream_end_ = kAbsent;
  ClosedLoopStats stats_;
};

}  // namespace

ClosedLoopStats run_closed_loop(const ClosedLoopConfig& config, EngineLink& link, sim::LineSink* events_out,
                                sim::LineSink* truth) {
  Loop loop(config, link, events_out);
  loop.join_agents();
  sim::LineSink stream([&loop](std::string_view line) { loop.on_stream_line(line); });
  loop.stats().sim = sim::simulate(config.sim, stream, truth);
  loop.stats().end = loop.finish();
  return loop.stats();
}

ClosedLoopStats run_closed_loop(const ClosedLoopConfig& config, Engine& engine, sim::LineSink* events_out,
                                sim::LineSink* truth) {
  InProcessLink link(engine);
  ClosedLoopStats stats = run_closed_loop(config, link, events_out, truth);
  engine.finish(stats.end);
  stats.commands_unanswered_at_end = engine.commands().size() - link.commands_taken();
  stats.commands = engine.commands().size();
  stats.escalations = engine.escalations().size();
  stats.agent_refusals = engine.agent_refusals().size();
  stats.end = engine.max_event_time();
  for (const std::uint32_t index : engine.escalations()) {
    const Incident& incident = engine.incidents().at(index);
    const people::Case* held = engine.desk().find_case(incident.id);
    const std::string cause = held == nullptr ? "(unknown)" : held->escalated.cause;
    ++stats.escalation_causes[fmt::format("{} {}", incident_type_name(incident.type), cause)];
  }
  return stats;
}

// ---- the in-process link ----------------------------------------------------------------

const Command* InProcessLink::next_command() {
  const auto& commands = engine_.commands();
  if (command_cursor_ >= commands.size()) return nullptr;
  return &commands[command_cursor_++];
}

const EscalationView* InProcessLink::next_escalation() {
  const auto& escalations = engine_.escalations();
  if (escalation_cursor_ >= escalations.size()) return nullptr;
  const Incident& incident = engine_.incidents().at(escalations[escalation_cursor_++]);
  escalation_.incident_id = incident.id;
  escalation_.index = incident.index;
  escalation_.type = incident.type;
  escalation_.about_type = incident.about_type;
  escalation_.severity = incident.severity;
  escalation_.escalated_at = incident.escalated_at;
  return &escalation_;
}

CaseView InProcessLink::case_of(const EscalationView& escalation) {
  CaseView view;
  const Incident& incident = engine_.incidents().at(escalation.index);
  const people::Case* held = engine_.desk().find_case(incident.id);
  if (incident.is_closed() || held == nullptr || held->is_closed()) return view;
  view.open = true;
  view.assignee = held->assignee;
  view.acknowledged = held->acknowledged_at.has_value();
  view.first_handled = held->first_handled_at.has_value();
  view.sla_breached = held->sla_breached;
  view.sla_deadline = held->sla_deadline_ms;
  return view;
}

int InProcessLink::free_capacity(const std::string& agent_id) { return engine_.desk().free_capacity(agent_id); }

std::string summary_line(const ClosedLoopStats& s) {
  return fmt::format(
      "{} orders, {} events ({} bad lines, {} duplicates), {} commands ({} answered, {} left at the end), {} answers, "
      "{} escalations, {} agents, {} agent events ({} retries, {} refusals), {} late\n",
      s.sim.orders, s.stream_events, s.bad_lines, s.duplicates, s.commands, s.commands_answered,
      s.commands_unanswered_at_end, s.world_events, s.escalations, s.agents, s.agent_events, s.agent_retries,
      s.agent_refusals, s.late);
}

std::string escalation_causes_table(const ClosedLoopStats& stats) {
  std::vector<std::pair<std::string, std::uint64_t>> causes(stats.escalation_causes.begin(), stats.escalation_causes.end());
  std::stable_sort(causes.begin(), causes.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out = "escalations by type and cause:\n";
  for (const auto& [cause, count] : causes) out += fmt::format("  {:>6}  {}\n", count, cause);
  return out;
}

sim::Command world_command(const Command& c, TimeMs now) {
  sim::Command command;
  command.id = c.id;
  command.name = c.name;
  command.order_id = c.order_id;
  command.at = std::max(c.at, now);
  command.amount = c.amount;
  command.qty = c.qty;
  command.sku = c.sku;
  command.substitute_sku = c.substitute_sku;
  command.rider_id = c.rider_id;
  command.channel = c.channel;
  command.template_name = c.template_name;
  command.to = c.to;
  command.reason = c.reason;
  return command;
}

}  // namespace og::loop
