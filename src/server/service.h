// server/service: the engine behind `orderguard serve`, on one thread of its own, with the
// store around it. Everything that changes the engine is first written to the store's journal
// (one durable transaction for every request waiting at that moment: group commit), then
// applied, then answered; a restart loads the newest snapshot and replays the journal's tail,
// which gives the state of one uninterrupted run because the engine is a pure function of the
// journal. Reads run on the same thread, between groups, so they see a consistent engine.
// Every transaction is written on og-journal: under load while the engine thread applies the
// group before it (already durable); derived rows alone while it goes back to its queue. WAL
// checkpoints run on og-checkpoint.
//
// The wall clock enters here and only here: when sources are quiet, event time is moved on
// by the wall time that has passed since the newest event arrived, and that move is itself a
// journal record, so a replay makes the same move at the same place.
//
// Customer data (docs/privacy.md) stays out of the engine: phones and addresses of accepted
// events go to the store's vault, sealed, as rows derived from the journal like incidents.
//
// Owns: the engine, journal and checkpoint threads, the journal order, recovery, snapshots,
// the change feed (incidents that changed, commands emitted), the customer vault's rows,
// unmasking. Depends on: engine, replay (JSON forms, the look-ahead), store (and its key ring), audit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/time.h"
#include "engine/engine.h"
#include "audit/chain.h"
#include "server/customer_data.h"
#include "server/row_queue.h"
#include "store/directory_lock.h"
#include "store/keyring.h"
#include "store/store.h"

namespace og {
class EventParser;
}

namespace og::server {

// The only wall clock of the service; tests pass a manual one and move it by hand.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual TimeMs now_ms() const = 0;
};

class SystemClock final : public WallClock {
 public:
  TimeMs now_ms() const override;
};

class ManualClock final : public WallClock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs now_ms() const override { return now_; }
  void advance(DurationMs by) { now_ += by; }

 private:
  TimeMs now_;
};

struct ServiceOptions {
  std::string data_dir = "orderguard-data";
  std::string rules_toml;            // the configuration to run with ("" = the defaults)
  std::string rules_source = "defaults";  // where it came from, for messages
  // Event time moves with the wall clock once no event has raised it for this long.
  DurationMs quiet_after_ms = 2 * kSecondMs;
  DurationMs tick_ms = kSecondMs;    // how often the engine thread looks at the clock when idle
  std::uint64_t snapshot_every_records = 2000;  // journal records between snapshots (0: never)
  std::size_t max_group_bytes = 64 << 20;  // bodies committed in one transaction at most
  std::vector<std::string> sinks;    // outbox sinks: "file", "webhook"
  // WAL checkpoints (the journal's new pages copied into the database file) run on a thread
  // of their own once the WAL holds this many pages; past wal_max_frames (the checkpoint
  // thread not keeping up, or none: run_once() driven by hand) the engine thread runs one.
  // Index pages that every transaction rewrites are copied once per checkpoint: at 4,000 pages
  // (16 MB) rather than 1,000, og-checkpoint spends about half the CPU per day under load.
  std::uint64_t wal_checkpoint_frames = 4000;
  std::uint64_t wal_max_frames = 16000;
  bool audit = true;                 // keep the audit chain (src/audit)
  std::uint64_t checkpoint_every_links = 1000;  // a signed checkpoint at least this often
  // Under load (the engine thread never idle between rounds), rows derived by event batches
  // wait for a later journal transaction until this many have gathered: each transaction rewrites the
  // index pages its rows land on (incident, command and audit keys are random), so fewer,
  // larger batches write the WAL several times less. 0: every journal transaction takes them.
  std::size_t derived_batch_rows = 4096;
  // Once taken, derived rows go at most this many to one transaction (the rest with the next
  // ones, until none wait), and so do the rows written alone at an idle moment: a transaction
  // of 4,096 rows holds og-journal for tens of milliseconds, and every batch that arrives
  // meanwhile waits for it before its own journal write. 0: no limit.
  std::size_t derived_slice_rows = 512;
  // The master key (store/keyring): this file; "" = ORDERGUARD_MASTER_KEY, else DIR/master.key
  // (created at the first start).
  std::string master_key_file;
  // Journal bodies are compressed at this zstd level before sealing; nullopt writes them as
  // received, as versions before schema 3 did (tests of older journals).
  std::optional<int> journal_zstd_level = store::kJournalZstdLevel;
};

// Encryption at rest as this start found it, for the operator's log.
struct KeyInfo {
  std::string master_key_id;
  std::string master_key_source;
  bool master_key_created = false;  // DIR/master.key was created now: production keeps it elsewhere
  std::uint32_t data_key = 0;
  std::uint64_t sealed_clear_records = 0;  // journal records of an older build sealed at this start
};

// A customer's data behind an order: the order's address and its user's phone.
struct CustomerData {
  std::optional<CustomerFields> address;
  std::optional<CustomerFields> phone;
  bool empty() const { return !address && !phone; }
};

struct UnmaskResult {
  // kNoChain: this server keeps no audit chain, so nothing can be shown in clear.
  enum class Outcome : std::uint8_t { kShown, kNotFound, kUnavailable, kNoChain };
  Outcome outcome = Outcome::kUnavailable;
  std::string error;
  CustomerData data;
};

// What POST /v1/events answers.
struct IngestResult {
  std::uint64_t lines = 0;
  std::uint64_t accepted = 0;    // new events (late ones included)
  std::uint64_t duplicates = 0;  // ids seen before: already applied, nothing to do
  std::uint64_t late = 0;
  std::uint64_t rejected = 0;
  std::vector<std::string> errors;  // "line N: field: what is wrong", in line order
  std::string store_error;          // not durable: nothing of the request was applied
  std::uint64_t seq = 0;            // the journal record that holds it
};

// A person's action sent as an agent.* event (docs/spec/EVENTS.md), stamped by the service.
struct ActionResult {
  bool applied = false;
  std::string error;     // the desk's refusal, or why it could not be sent
  bool store_failed = false;
  std::string incident_json;  // the incident after the action
};

struct RulesResult {
  bool applied = false;
  bool stale = false;   // not applied: the rules are no longer at the version the caller read
  std::string error;    // the configuration error (file, line, key), or the store's
  std::vector<ConfigChange> changes;  // what it changes from the running configuration
  std::string version;  // applied: the rules' version now (rules_version), for the next edit
};

// A change the API's stream and the outbox care about. kSync closes the changes of a group
// that wrote journal records: id is the last record's seq, so a client that was answered
// with that seq knows it has seen everything its request caused (read-your-writes).
struct Change {
  enum class Kind : std::uint8_t { kIncident, kCommand, kSync };
  Kind kind = Kind::kIncident;
  std::string id;
  std::string json;
};

struct ServiceStats {
  std::uint64_t groups = 0;        // journal transactions
  std::uint64_t records = 0;       // journal records written
  std::uint64_t events = 0;        // lines applied
  std::uint64_t fast_lines = 0;    // of them, read by the parser's fast reader (the rest: simdjson)
  std::uint64_t rejected = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t clock_moves = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t recovered_records = 0;   // journal records replayed at start
  std::uint64_t recovered_from_snapshot = 0;  // the snapshot's seq (0: none)
  std::uint64_t store_errors = 0;
  std::uint64_t commands = 0;
  double last_commit_ms = 0;
  std::uint64_t wal_frames = 0;       // pages in the WAL after the last commit
  std::uint64_t wal_checkpoints = 0;  // checkpoints that copied pages, on either thread
};

class Service {
 public:
  // Opens the store and recovers the engine. Errors say what to change.
  static store::Result<std::unique_ptr<Service>> open(ServiceOptions options, const WallClock& clock);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Runs the engine thread until stop(). Without start(), run_once() drives it by hand.
  void start();
  void stop();
  // One round: commit and apply whatever is queued, move event time by the clock if quiet,
  // publish changes, snapshot when due. The engine thread calls it in a loop.
  void run_once();

  // ---- work, queued for the engine thread; callbacks run there -----------------------
  // `may_act_for_people`: the batch's agent.* events are applied (an admin's), else refused.
  void ingest(std::string body, std::function<void(IngestResult)> done, bool may_act_for_people = false);
  // An agent.* event without id and ts (the service stamps both: ts = the engine's now).
  void act(std::string event_json, std::string incident_id, std::function<void(ActionResult)> done);
  // `expected_version` (rules_version, as GET /v1/rules gives it): replaced only if the running
  // rules are still at it, so two people editing the same file do not undo each other.
  void replace_rules(std::string toml, std::function<void(RulesResult)> done, std::optional<std::string> expected_version = {});
  // A read of the engine, between groups.
  void read(std::function<void(const Engine&)> fn);
  // The clear customer data of an order, answered only once an audit link (kind `unmask`,
  // the actor, the fields shown and the reason; never the values) is durable.
  void unmask(std::string order_id, std::string actor, std::string reason, std::function<void(UnmaskResult)> done);
  // The customer data of an order as the vault holds it. Engine thread only: inside read().
  store::Result<CustomerData> customer(std::string_view order_id) const;

  // Listeners of changes, called on the engine thread after each group (keep them short).
  std::uint64_t subscribe(std::function<void(const std::vector<Change>&)> listener);
  void unsubscribe(std::uint64_t id);

  // Called on the engine thread after commands reached the store's outbox (set before start()).
  void set_outbox_listener(std::function<void()> listener) { on_outbox_ = std::move(listener); }

  // Safe from any thread.
  ServiceStats stats() const;
  bool ready() const { return ready_; }
  std::size_t queued() const;
  std::size_t queued_bytes() const;  // request bodies waiting for the engine thread
  // Request body bytes the engine thread drains per second of its work lately (0: none yet).
  double drain_bytes_per_s() const { return drain_bytes_per_s_; }
  const std::string& data_dir() const { return options_.data_dir; }
  const KeyInfo& key_info() const { return key_info_; }

 private:
  struct Job;
  struct Round;
  class JournalWriter;
  struct Derived {  // rows derived from the engine, written with a journal transaction
    std::vector<store::OutboxItem> outbox;
    std::vector<store::IncidentRow> incidents;
    std::vector<store::AuditRow> audit;
    std::vector<store::CustomerRow> customers;
  };
  struct DerivedWrite {  // derived rows alone, being written on og-journal
    Derived derived;
    store::Result<void> written;
  };
  Service(ServiceOptions options, const WallClock& clock);
  store::Result<void> open_keys();
  store::Result<void> recover();
  store::Result<std::optional<CustomerFields>> vault_read(const std::string& subject) const;
  // Looks the data up and queues its audit link; the caller answers once the link is durable.
  UnmaskResult prepare_unmask(const std::string& order_id, const std::string& actor, const std::string& reason, TimeMs now);
  void apply(const store::Record& record, IngestResult* result);
  void collect_changes(std::vector<Change>& changes, RowQueue<store::OutboxItem>& outbox, RowQueue<store::IncidentRow>& incidents);
  bool maybe_move_clock(std::vector<store::Record>& records);  // true: a quiet-time move was added
  void maybe_snapshot();
  bool has_derived() const;
  std::size_t derived_rows() const;
  std::size_t derived_slice() const;  // derived_slice_rows, 0 read as no limit
  // The rows waiting, oldest first, for one transaction: at most `limit` of them.
  Derived take_derived(std::size_t limit = SIZE_MAX);
  // Waits for a write of derived rows alone started by the last round, and takes it back.
  void finish_derived_write();
  // One durable transaction: `records` and every derived row waiting (outbox, incidents,
  // audit links). On failure the derived rows wait for the next one.
  store::Result<void> commit(std::span<store::Record> records);
  // The transaction alone: the store and the audit chain, nothing else of the service, so
  // og-journal can run it while the engine thread applies the round before. The audit rows are
  // moved into the chain's links, not copied; a failed write leaves them in `derived` again.
  store::Result<void> write(std::span<store::Record> records, Derived& derived);
  // After write(), on the engine thread: failed, the rows wait for the next one.
  void written_back(const store::Result<void>& written, Derived derived);
  void apply_round();  // applies and answers journaled_, publishes what changed
  void checkpoint();
  void wal_written();  // after a commit: a WAL checkpoint once the WAL has grown
  void enqueue(Job job);

  ServiceOptions options_;
  const WallClock& clock_;
  std::optional<store::DirectoryLock> lock_;  // first taken, last let go
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<EventParser> parser_;
  std::string body_;  // apply(): the events record being read, padded (parse_each_copied)

  // Change detection: incidents not closed at the last look, with what was seen of them, in
  // creation order (a vector walked front to back: every round looks at each of them).
  struct Watched {
    std::uint32_t index;
    std::uint64_t fingerprint;
  };
  std::vector<Watched> watched_;
  std::size_t incidents_seen_ = 0;
  std::size_t commands_seen_ = 0;
  RowQueue<store::OutboxItem> pending_outbox_;   // derived rows riding on the next commit
  RowQueue<store::IncidentRow> pending_incidents_;
  RowQueue<store::AuditRow> pending_audit_;
  RowQueue<store::CustomerRow> pending_customers_;
  CustomerExtractor extractor_;
  KeyInfo key_info_;
  std::unique_ptr<audit::Chain> chain_;
  std::optional<audit::Signer> signer_;
  std::uint64_t last_checkpoint_ = 0;
  std::size_t desk_actions_seen_ = 0;

  TimeMs newest_event_ts_ = kAbsent;   // the engine's max event time at the last look
  TimeMs newest_event_wall_ = 0;       // the wall time it was first seen
  std::uint64_t records_since_snapshot_ = 0;
  std::uint64_t applied_seq_ = 0;      // the last journal record applied
  // Event records up to this seq were written before actions had their own record kind, and
  // may hold agent.* events (setting kAgentEventsInFeedUntil).
  std::uint64_t agent_events_in_feed_until_ = 0;
  // The round journaled last, not applied yet: with more work waiting, it is applied while
  // the next round's journal write runs on og-journal (acknowledged only once durable).
  std::unique_ptr<Round> journaled_;
  std::unique_ptr<JournalWriter> writer_;  // started by start(): every journal write runs there
  std::unique_ptr<DerivedWrite> derived_write_;  // started, not taken back yet
  // The derived rows reached their bound: they go a slice per transaction until none wait.
  bool draining_derived_ = false;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::size_t queued_bytes_ = 0;
  bool stopping_ = false;
  std::thread thread_;
  std::unique_ptr<store::Store> checkpoint_store_;  // the checkpoint thread's own connection
  std::thread checkpointer_;
  std::condition_variable checkpoint_wake_;
  bool checkpoint_due_ = false;  // under mutex_
  bool write_done_ = false;      // under mutex_: og-journal finished a write
  std::atomic<std::uint64_t> wal_checkpoints_ = 0;
  std::atomic<bool> ready_ = false;
  std::atomic<double> drain_bytes_per_s_ = 0;
  ServiceStats live_;   // the engine thread's
  ServiceStats stats_;  // a copy for other threads, under mutex_
  std::unordered_map<std::uint64_t, std::function<void(const std::vector<Change>&)>> listeners_;
  std::uint64_t next_listener_ = 1;
  std::function<void()> on_outbox_;
  std::uint64_t next_action_ = 1;
};

}  // namespace og::server
