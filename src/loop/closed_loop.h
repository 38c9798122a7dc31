// loop/closed_loop: `orderguard simulate --closed-loop`: a simulated day runs through the engine
// while the simulated world (sim/world) answers the engine's commands and simulated agents work
// the people desk, so the handling measures (docs/spec/INCIDENTS.md "Measures of the handling")
// can be read off a whole day.
//
// One thread of control, one clock: event time. The simulator's lines are parsed and ingested
// as they are written. World answers and agent actions wait in one queue ordered by (ts,
// sequence); before a stream event with ts t is ingested, every queued item with ts <= t goes
// first, and the engine's watermark is advanced to the item's time as a wall clock would in
// `serve`. The world and the agents act at "now" (the latest time the loop has reached), not at
// the command's event time, which lags it by the reorder bound: a receiver sees a command when
// the engine sends it. Same configuration and seed: byte-identical results (no clock, no threads,
// every random draw seeded from the run's seed and the command or incident id).
//
// The loop reaches the engine through an EngineLink (loop/engine_link.h): in this process for
// `simulate --closed-loop`, over HTTP to a running `serve` for `orderguard demo` (src/client),
// where the world and the agents react to what the server's event stream tells them.
//
// Owns: the loop, the agent roster and the agents' behaviour. Depends on: sim, engine, replay.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "engine/engine.h"
#include "loop/engine_link.h"
#include "sim/simulator.h"
#include "sim/world.h"

namespace og::loop {

// Who works the desk. Ids are "sim-agent-<skill>-<n>", "sim-agent-senior-<n>",
// "sim-agent-supervisor-<n>"; all on duty from the start of the day.
struct Roster {
  int payment = 3;
  int inventory = 3;
  int delivery = 4;
  int aftersale = 3;
  int risk = 2;
  int seniors = 2;      // senior + every domain skill: VIP cases first
  int supervisors = 1;  // no domain skill: they receive the cases that missed their SLA
  int capacity = 5;     // open cases at once, per agent
};

// How the simulated people behave. Delays are drawn per incident, seeded by its id.
struct AgentBehaviour {
  DurationMs ack_high_min = 20 * kSecondMs, ack_high_max = 50 * kSecondMs;
  DurationMs ack_other_min = 60 * kSecondMs, ack_other_max = 180 * kSecondMs;
  DurationMs resolve_min = 2 * kMinuteMs, resolve_max = 8 * kMinuteMs;  // after the acknowledgement
  DurationMs retry = kMinuteMs;         // nobody holds the case yet (queue full): look again
  double false_positive_rate = 0.03;    // marked "not a real exception" instead of resolved
};

struct ClosedLoopConfig {
  sim::SimConfig sim;
  sim::ResponderConfig world;
  Roster roster;
  AgentBehaviour agents;
  // After the stream ends the loop keeps running (answers, agents finishing their queue) up to
  // this long past the last stream event; later items are dropped and counted.
  DurationMs tail = 2 * 60 * kMinuteMs;
};

struct ClosedLoopStats {
  sim::SimStats sim;
  std::uint64_t stream_lines = 0;     // lines the simulator wrote, noise included
  std::uint64_t stream_events = 0;    // of which parsed and ingested
  std::uint64_t bad_lines = 0;        // rejected by the parser (planted noise)
  std::uint64_t duplicates = 0;       // ingested as a duplicate id
  std::uint64_t late = 0;             // ingested behind the watermark (world and agents included)
  std::uint64_t commands = 0;         // commands the engine emitted
  std::uint64_t commands_answered = 0;  // of which the world answered with at least one event
  std::uint64_t commands_unanswered_at_end = 0;  // emitted by the final finish(): nobody left to answer
  std::uint64_t world_events = 0;     // answers ingested
  std::uint64_t world_bad = 0;        // answers the parser rejected (must be 0)
  std::uint64_t escalations = 0;
  std::uint64_t agents = 0;
  std::uint64_t agent_events = 0;     // agent.* events ingested (joins included)
  std::uint64_t agent_retries = 0;    // a case nobody held yet when an agent looked
  std::uint64_t agent_refusals = 0;   // refused by the desk (engine.agent_refusals())
  std::uint64_t dropped_after_tail = 0;
  std::uint64_t peak_queue = 0;       // world answers and agent actions waiting at once
  TimeMs end = 0;                     // the time the day was finished at (measures are taken there)
  // Why incidents reached people: "TYPE cause" (the engine's escalation cause: playbook:STEP,
  // repeat_customer, remediation_failed_twice, state_inconsistent ...) -> count.
  std::map<std::string, std::uint64_t> escalation_causes;
};

// Runs the day through `engine` (a fresh engine: the caller keeps it to read the incidents,
// commands and measures). The stream's lines also go to `events_out` when given (the same bytes
// as `simulate` without the loop: world answers and agent events are not written), the truth to
// `truth` when given.
ClosedLoopStats run_closed_loop(const ClosedLoopConfig& config, Engine& engine, sim::LineSink* events_out,
                                sim::LineSink* truth);

// The same day through any link. Only the loop's own counts are filled in (stream, answers,
// agent events, retries, drops); `end` is the time the loop reached (the tail's end). The
// engine is not finished: in serve it goes on.
ClosedLoopStats run_closed_loop(const ClosedLoopConfig& config, EngineLink& link, sim::LineSink* events_out,
                                sim::LineSink* truth);

// One line: orders, events, commands, answers, escalations, agent events and refusals.
std::string summary_line(const ClosedLoopStats& stats);

// The escalation causes, most frequent first, one "  count  TYPE cause" line each.
std::string escalation_causes_table(const ClosedLoopStats& stats);

// An engine command as the simulated world receives it, at `now`: a receiver sees a command
// when the engine sends it, not at its event time (which lags by the reorder bound).
sim::Command world_command(const Command& command, TimeMs now);

}  // namespace og::loop
