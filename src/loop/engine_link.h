// loop/engine_link: how the closed loop reaches an engine. The loop (the simulated day, the
// world answering commands, the simulated agents) only sends events, moves time, and reads
// what the engine emitted: commands, escalations, the state of a case an agent acts on.
// InProcessLink does that on an og::Engine it drives directly (`simulate --closed-loop`,
// deterministic); client/http_link does it over the HTTP API of a running `serve`
// (`orderguard demo`), where the loop learns of commands and escalations from the server's
// event stream, as a real platform would.
// Owns: the interface and the in-process link. Depends on: engine, events, people.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/interner.h"
#include "core/time.h"
#include "engine/engine.h"
#include "events/event.h"
#include "handling/command.h"
#include "rules/incident_type.h"

namespace og::loop {

// An incident that reached people, as the loop's agents learn of it.
struct EscalationView {
  std::string incident_id;
  std::uint32_t index = 0;  // the engine's incident index (InProcessLink only)
  IncidentType type = IncidentType::kCount;
  IncidentType about_type = IncidentType::kCount;
  Severity severity = Severity::kLow;
  TimeMs escalated_at = 0;
};

// What an agent finds when it opens a case.
struct CaseView {
  bool open = false;          // the incident and its case are both still open
  std::string assignee;       // empty while the case waits in the queue
  bool acknowledged = false;  // by the current assignee
  bool first_handled = false; // someone acknowledged, resolved, escalated or dismissed it
  bool sla_breached = false;
  TimeMs sla_deadline = 0;
};

class EngineLink {
 public:
  virtual ~EngineLink() = default;

  virtual DurationMs out_of_orderness() const = 0;
  // Events are parsed with this interner, into staging_event() for ingest_staged().
  virtual Interner& interner() = 0;
  virtual Event& staging_event() = 0;
  // The event just parsed into staging_event() from `line`.
  virtual IngestOutcome ingest_staged(std::string_view line) = 0;
  // An event parsed elsewhere from `line`, or built by the loop (`line` empty: agents).
  virtual IngestOutcome ingest(const Event& event, std::string_view line) = 0;
  // A line that did not parse: an engine in this process never sees it; a server is sent it,
  // and rejects it with its reason, as it would a real feed's.
  virtual void unparsed_line(std::string_view) {}
  // Time moves to `time_ms` without an event, as a wall clock does in serve.
  virtual void advance_watermark(TimeMs time_ms) = 0;
  virtual TimeMs watermark() const = 0;

  // What the engine emitted since the last call, one at a time; nullptr: nothing more now.
  // A link over a network sees them when they arrive. The pointer lives until the next call.
  virtual const Command* next_command() = 0;
  virtual const EscalationView* next_escalation() = 0;

  // The case as it stands after everything sent so far.
  virtual CaseView case_of(const EscalationView& escalation) = 0;
  // The agent's free capacity on the desk (the supervisor choice of an SLA breach).
  virtual int free_capacity(const std::string& agent_id) = 0;
};

// The loop on an engine in this process: everything is seen the moment it happens.
class InProcessLink final : public EngineLink {
 public:
  explicit InProcessLink(Engine& engine) : engine_(engine) {}

  DurationMs out_of_orderness() const override { return engine_.config().max_out_of_orderness_ms; }
  Interner& interner() override { return engine_.interner(); }
  Event& staging_event() override { return engine_.staging_event(); }
  IngestOutcome ingest_staged(std::string_view) override { return engine_.ingest_staged(); }
  IngestOutcome ingest(const Event& event, std::string_view) override { return engine_.ingest(event); }
  void advance_watermark(TimeMs time_ms) override { engine_.advance_watermark(time_ms); }
  TimeMs watermark() const override { return engine_.watermark(); }
  const Command* next_command() override;
  const EscalationView* next_escalation() override;
  CaseView case_of(const EscalationView& escalation) override;
  int free_capacity(const std::string& agent_id) override;

  // Commands the loop has taken so far.
  std::size_t commands_taken() const { return command_cursor_; }

 private:
  Engine& engine_;
  std::size_t command_cursor_ = 0;
  std::size_t escalation_cursor_ = 0;
  EscalationView escalation_;
};

}  // namespace og::loop
