// engine/engine: the deterministic detection core. A pure function of (events in arrival
// order, configuration, time advances): it never reads a clock, a file or a socket.
//
// Time (docs/spec/EVENTS.md "Time"): events wait in a reorder buffer and are applied in
// (ts, lifecycle rank, id) order once the watermark (highest ts seen - max_out_of_orderness)
// has passed them; a deadline fires once the watermark passes it. An event older than the
// watermark is late: it is applied at once, and an incident it proves wrong is retracted.
// At equal times events are applied before deadlines fire ("at or before a deadline is in
// time").
//
// Owns: per-order, per-user, per-rider and master-data state, the timer wheel, the incident
// log. Depends on: events, rules. Not thread-safe: one engine per thread of control.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "core/interner.h"
#include "engine/incident_log.h"
#include "engine/views.h"
#include "handling/command.h"
#include "events/event.h"
#include "rules/config.h"

namespace og {

// kRefused: not taken at all (see Engine::refusal()): an event time too far past the newest.
enum class IngestOutcome : std::uint8_t { kAccepted, kLate, kDuplicate, kRefused };

struct EngineCounters {
  std::uint64_t events_accepted = 0;
  std::uint64_t events_late = 0;
  std::uint64_t events_duplicate = 0;  // an event id seen before
  std::uint64_t events_repeated = 0;   // a new id for a fact already recorded (a second cancellation ...)
  std::uint64_t timers_fired = 0;
  // How far past each deadline the newest event time was when the deadline fired (while
  // input was still arriving): the watermark bound plus at most the gap between arrivals.
  std::uint64_t timers_fired_live = 0;
  std::int64_t fire_lag_ms_max = 0;
  std::int64_t fire_lag_ms_total = 0;
};

// Bytes held, by part: for benchmarks and for operators (served as metrics).
struct EngineMemory {
  std::size_t orders = 0;        // per-order state (the vector's capacity)
  std::size_t order_items = 0;   // ordered lines
  std::size_t order_extras = 0;  // rare per-order data (more payments, refunds, incidents ...)
  std::size_t interned = 0;      // ids and names
  std::size_t evidence_ids = 0;  // event ids kept for evidence
  std::size_t timers = 0;
  std::size_t people = 0;        // users and riders
  std::size_t incidents = 0;
  std::size_t dedupe = 0;        // event ids remembered
  std::size_t reorder_buffer = 0;  // events waiting for the watermark
  std::size_t total() const {
    return orders + order_items + order_extras + interned + evidence_ids + timers + people + incidents + dedupe + reorder_buffer;
  }
};

// What the engine knows of one order, for people (GET /v1/orders/{id}): its parties and the
// event time of each milestone seen, in lifecycle order.
struct OrderView {
  std::string user, zone, community, rider;
  std::int64_t amount = kAbsent;
  bool vip = false;
  std::vector<std::pair<std::string_view, TimeMs>> milestones;  // ("created", t) ... seen ones only
  TimeMs promise_at = kAbsent;
};

class EngineCore;
namespace people {
class PeopleDesk;
struct Action;
}  // namespace people

// An agent event the people desk refused (or an escalation it could not take), with why.
struct AgentRefusal {
  std::string event_id;
  std::string message;
};

class Engine {
 public:
  explicit Engine(RulesConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The interner events must be parsed with (EventParser(engine.interner())).
  Interner& interner();
  const Interner& interner() const;

  // Read-only views of the master data and customer history the rules read (engine/views.h),
  // by name; a name the engine never saw gives nothing. Copies: no engine state is exposed.
  std::optional<CatalogItemView> catalog_item(std::string_view sku) const;
  std::optional<StockLevelView> stock_level(std::string_view sku) const;
  std::optional<ZoneView> zone_config(std::string_view zone) const;
  std::optional<UserHistoryView> user_history(std::string_view user_id) const;

  // Takes one event in arrival order. Applies whatever the new watermark releases.
  IngestOutcome ingest(const Event& event);

  // The same without a copy: parse into staging_event(), then ingest_staged() takes it. The
  // reference stays valid until ingest_staged(); a staged event that is never ingested (it
  // did not parse) is simply overwritten by the next one.
  Event& staging_event();
  IngestOutcome ingest_staged();
  // Why the last ingest was kRefused, for a person: "ts: ... is 8 years after ...".
  const std::string& refusal() const;

  // A memory hint for an event a few lines ahead of the one being ingested (replay/lookahead.h
  // computes it from the raw line): it fetches what the dedupe check will read and changes
  // nothing observable, so a wrong hint only costs time. `id_hash` is hash64 of the event id.
  void prefetch_event_id(std::uint64_t id_hash) const;

  // Moves time forward without an event (a wall clock in serve mode, or clock.tick):
  // the watermark becomes at least `time_ms - max_out_of_orderness`.
  void advance_watermark(TimeMs time_ms);

  // End of input: applies everything buffered, then fires every deadline at or before
  // max(until_ms, highest ts seen). Further events are still accepted afterwards (as late).
  void finish(TimeMs until_ms = kAbsent);

  // A new configuration for what happens from now on: new incidents open under it, while an
  // incident already open keeps running the playbook version that opened it.
  void replace_config(RulesConfig config);

  TimeMs watermark() const;
  TimeMs max_event_time() const;
  const IncidentLog& incidents() const;
  const EngineCounters& counters() const;
  // Every command the playbooks emitted, in emission order (handling/command.h).
  const std::vector<Command>& commands() const;
  // Indexes of closed incidents changed since the last call (late evidence, a loss corrected
  // by a refund's failure or an order's payment), for a feed that watches open ones only.
  std::vector<std::uint32_t> take_closed_changes();
  // Incident indexes in the order they reached people.
  const std::vector<std::uint32_t>& escalations() const;
  // Agent events the people desk refused, with its reason.
  const std::vector<AgentRefusal>& agent_refusals() const;
  const people::PeopleDesk& desk() const;
  const std::vector<people::Action>& desk_actions() const;
  // Amounts of orders paid (or cash on delivery): the base of the loss rate.
  std::int64_t gmv() const;
  std::uint64_t notifications_suppressed() const;
  // Commands the rate caps held back, by RateCapKind (their incidents went to people).
  const std::array<std::uint64_t, kRateCapCount>& rate_capped() const;
  const RulesConfig& config() const;
  std::size_t order_count() const;
  // nullopt when no event of the order has been seen.
  std::optional<OrderView> order_view(std::string_view order_id) const;
  // An estimate from capacities and per-entry costs (allocator overheads excluded).
  EngineMemory memory_usage() const;

  // Snapshots (docs/snapshots.md). The whole state a continued run depends on, as bytes: the
  // configuration and every playbook version an open incident still runs, the interned ids
  // (same numbering), per-order/user/rider/master-data state, the reorder buffer, dedupe
  // memory, the timer wheel (same firing order, ties included), incidents, playbook runs,
  // commands, escalations, the people desk, the notification limits, counters. A restored
  // engine fed the rest of the input gives the same output, byte for byte, as this one; its
  // snapshot() is these same bytes. Format: a 32-byte header (magic "OGSNAPSH", version,
  // payload length, a 64-bit hash of the payload), then the payload.
  std::string snapshot() const;
  // An engine from snapshot() bytes. The error says what is wrong: not a snapshot, another
  // format version, truncated, or corrupt (checksum, or a value that cannot be).
  static tl::expected<std::unique_ptr<Engine>, std::string> restore(std::string_view bytes);

 private:
  explicit Engine(std::unique_ptr<EngineCore> core);
  std::unique_ptr<EngineCore> core_;
};

}  // namespace og
