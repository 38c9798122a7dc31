// store/store: the embedded store of `orderguard serve` (SQLite, WAL), one file per data
// directory: the journal of everything the engine was given, engine snapshots, the outbox of
// commands on their way out, the incidents as they last looked, the API tokens, and the
// customer vault (phones and addresses).
//
// Encryption at rest (store/keyring): once a KeyRing is attached, journal bodies and vault
// rows are written sealed with its current data key, their seq and kind (or subject) bound as
// associated data, and opened again transparently on reading. The vault is never written in
// clear; a journal record written without a key ring (tests, older directories) is read as it
// is, and sealed in place by seal_clear_records().
//
// Compression: journal bodies are compressed (zstd, kJournalZstdLevel) before they are
// sealed, and the journal's `encoding` column says so per record; records written before
// schema 3 (encoding 0, as received) read as they always did.
//
// Durability: the journal is written with synchronous=FULL, one transaction per group of
// requests (group commit), before anything is acknowledged. Everything else is derived from
// the journal (the engine is a pure function of it), so it rides along in the next journal
// transaction and a crash can lose none of it for good: recovery derives it again, and the
// outbox ignores a command id it already holds, so a restart never creates a command twice.
//
// Owns: the schema and every SQL statement. Depends on: core, SQLite, zstd. Not thread-safe:
// one Store per thread; WAL lets a second Store on the same directory read while one writes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "core/time.h"

struct sqlite3;

namespace og::store {

// What a journal record holds. The values are stored: never renumber.
enum class RecordKind : std::uint8_t {
  kEvents = 1,  // an NDJSON body as received (bad lines included: a replay rejects them again)
  kClock = 2,   // the wall clock moved event time on while sources were quiet (at = the time)
  kRules = 3,   // a new rules configuration (TOML) applied from here on
  // Events that may carry people's actions (agent.*): an action endpoint's line, stamped by
  // the service, or a batch an admin token posted. A kEvents batch's agent.* lines are refused.
  kEventsWithActions = 4,
};

struct Record {
  std::uint64_t seq = 0;  // assigned by the store, from 1, without gaps
  RecordKind kind = RecordKind::kEvents;
  TimeMs at = 0;          // kClock: the event time to advance to; otherwise the wall clock at receipt
  std::string body;
};

struct OutboxItem {
  std::string id;          // the command id: the idempotency key, unique
  std::uint64_t seq = 0;   // emission order
  std::string json;        // the command as replay --commands writes it
};

struct PendingDelivery {
  std::string id;
  std::uint64_t seq = 0;
  std::string json;
  int attempts = 0;
};

// The stored form of an incident: its JSON and the columns the API filters on.
struct IncidentRow {
  std::string id;
  std::string json;
  std::string type;
  std::string status;
  std::string severity;
  int priority = 0;
  std::string order_id;
  TimeMs detected_at = 0;
};

// One link of the audit chain (src/audit): what happened, and the hash that ties it to the
// link before it. seq, prev_hash and hash are set by the chain before the row is written.
struct AuditRow {
  std::uint64_t seq = 0;
  TimeMs at = 0;             // event time of the change
  std::string kind;          // incident | command | person | rules | unmask
  std::string subject;       // the incident, command or key it is about
  std::string order_id;      // for an order's trail ("" when none)
  std::string actor;         // the person or token; "" for the engine
  std::string key;           // unique: a change derived again after a restart is not linked twice
  std::string body;          // the JSON of what changed
  std::string prev_hash;     // 32 bytes
  std::string hash;          // 32 bytes
};

struct Checkpoint {
  std::uint64_t seq = 0;     // the last link it covers
  std::string hash;          // that link's hash
  std::string signature;     // Ed25519 over "orderguard-audit-v1" + seq + hash
  std::string public_key;
  TimeMs at = 0;             // wall time it was made
};

// A data key wrapped under a master key (store/keyring): only the keyring reads `wrapped`.
struct DataKeyRow {
  std::uint32_t id = 0;
  std::string master_id;  // the fingerprint of the master key that wrapped it
  std::string wrapped;    // nonce + ciphertext + tag
  TimeMs created_at = 0;
};

// A customer's data in the vault, by subject ("order:O1" for an address, "user:U7" for a
// phone): `json` is the clear form in memory; the table holds it sealed, bound to the subject.
struct CustomerRow {
  std::string subject;
  TimeMs ts = 0;     // event time of the event it came from: an older one never replaces it
  std::string json;
};

class KeyRing;

struct TokenRow {
  std::string id;         // the public half ("tok-…"): shown in lists, used to revoke
  std::string role;
  std::string name;
  TimeMs created_at = 0;
  bool revoked = false;
  std::string agent_id;   // the desk agent a person's token acts as ("" for machines and admins)
};

// The zstd level journal bodies are compressed at: a fast level, since og-journal paces the
// service's pipeline and level 1's extra ratio costs it more CPU than the bytes it saves
// (docs/decisions.md #53 and #55: measured on the bench-http day). Frames of any level read.
inline constexpr int kJournalZstdLevel = -3;

using Error = std::string;
template <class T>
using Result = tl::expected<T, Error>;

class Store {
 public:
  // Opens (creating when absent) DIR/orderguard.db. Errors name the file and what to do.
  static Result<std::unique_ptr<Store>> open(const std::string& dir);
  // Opens DIR/orderguard.db only when it is there: for commands that read what serve wrote
  // (audit verify, tokens list), where a mistyped --data must not pass as an empty store.
  static Result<std::unique_ptr<Store>> open_existing(const std::string& dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  // ---- journal -----------------------------------------------------------------------
  // One durable transaction: the records (their seq are assigned and written back) plus the
  // derived rows gathered since the last call. Returns once it is on disk.
  Result<void> append(std::span<Record> records, std::span<const OutboxItem> outbox,
                      std::span<const IncidentRow> incidents, std::span<const AuditRow> audit = {},
                      std::span<const CustomerRow> customers = {});
  std::uint64_t last_seq() const;
  // Every record with seq > after, in order. The callback may stop the walk by returning false.
  Result<void> read_journal(std::uint64_t after, const std::function<bool(Record&&)>& visit) const;

  // Compresses the bodies appended from here on at this zstd level (negative: zstd's fast
  // levels); nullopt stores them as received, as versions before schema 3 did. Opening a
  // store sets kJournalZstdLevel. Reading decompresses whatever each record says it is.
  Result<void> set_journal_compression(std::optional<int> zstd_level);

  // ---- snapshots ---------------------------------------------------------------------
  // Saves an engine snapshot taken after record `seq`; keeps the newest `keep` snapshots.
  Result<void> save_snapshot(std::uint64_t seq, std::string_view bytes, int keep = 2);
  // The newest snapshot, or nullopt.
  Result<std::optional<std::pair<std::uint64_t, std::string>>> latest_snapshot() const;

  // ---- outbox ------------------------------------------------------------------------
  // Where commands go (e.g. "file", "webhook"): a command added to the outbox is owed to
  // every sink named here. Set before the first append.
  void set_sinks(std::vector<std::string> sinks) { sinks_ = std::move(sinks); }
  // Commands not yet delivered to `sink`, oldest first, at most `limit`, due at `now`.
  Result<std::vector<PendingDelivery>> pending(std::string_view sink, TimeMs now, int limit) const;
  Result<void> mark_delivered(std::string_view sink, std::span<const std::string> ids, TimeMs now);
  Result<void> mark_failed(std::string_view sink, std::string_view id, TimeMs retry_at, std::string_view error);
  std::uint64_t outbox_count() const;
  std::uint64_t undelivered_count(std::string_view sink) const;

  // ---- incidents ---------------------------------------------------------------------
  Result<std::optional<IncidentRow>> incident(std::string_view id) const;
  std::uint64_t incident_count() const;

  // ---- audit chain -------------------------------------------------------------------
  bool audit_has(std::string_view key) const;
  // The newest link (seq, hash), or nullopt for an empty chain.
  std::optional<std::pair<std::uint64_t, std::string>> audit_tail() const;
  // Links in seq order from `after`; with `order_id` only that order's.
  Result<void> read_audit(std::uint64_t after, std::string_view order_id,
                          const std::function<bool(AuditRow&&)>& visit) const;
  std::uint64_t audit_count() const;
  Result<void> add_checkpoint(const Checkpoint& checkpoint);
  Result<std::vector<Checkpoint>> checkpoints() const;

  // ---- tokens ------------------------------------------------------------------------
  Result<void> add_token(const TokenRow& row, std::span<const unsigned char> secret_hash);
  // The token whose secret hashes to this, unless revoked.
  std::optional<TokenRow> token(std::span<const unsigned char> secret_hash) const;
  Result<std::vector<TokenRow>> tokens() const;
  Result<bool> revoke_token(std::string_view id);

  // ---- encryption at rest (store/keyring) --------------------------------------------
  // From here on journal bodies and vault rows are sealed and opened with `keys`.
  void attach_keys(std::shared_ptr<const KeyRing> keys) { keys_ = std::move(keys); }
  // Seals journal records written in clear (before encryption at rest), in one transaction,
  // wiping the clear pages; returns how many. Needs attached keys.
  Result<std::uint64_t> seal_clear_records();
  Result<std::vector<DataKeyRow>> data_keys() const;
  // In one transaction: replaces the wrapping of `rewrapped` (by id) and adds `added`; with
  // `wipe`, the old wrappings are overwritten on disk and the WAL truncated (a rotation).
  Result<void> write_data_keys(std::span<const DataKeyRow> rewrapped, const DataKeyRow& added, bool wipe);

  // ---- customer vault ----------------------------------------------------------------
  Result<std::optional<CustomerRow>> customer(std::string_view subject) const;

  // ---- small settings ----------------------------------------------------------------
  std::optional<std::string> setting(std::string_view key) const;
  Result<void> set_setting(std::string_view key, std::string_view value);

  // ---- WAL checkpoints ---------------------------------------------------------------
  // By default a commit that leaves the WAL over 1,000 pages copies it into the database
  // (SQLite's autocheckpoint), in the committing thread. A writer that leaves checkpoints
  // to another connection turns that off; wal_frames() then says how long the WAL has grown.
  Result<void> set_auto_checkpoint(bool on);
  // Frames in the WAL after this connection's last commit (0 before its first).
  std::uint64_t wal_frames() const { return wal_frames_; }
  struct WalCheckpoint {
    std::uint64_t frames = 0;  // in the WAL when it ran
    std::uint64_t copied = 0;  // of them now in the database; all of them: the next commit restarts the WAL
  };
  // A passive checkpoint: copies what it can without blocking a writer or a reader, with
  // synchronous=FULL (the WAL is synced before, the database after). Safe from a connection
  // of its own on another thread while the writer commits.
  Result<WalCheckpoint> checkpoint_wal();

 private:
  explicit Store(sqlite3* db, std::string path);
  Result<void> exec(const char* sql) const;
  sqlite3* db_;
  std::string path_;
  std::vector<std::string> sinks_;
  std::shared_ptr<const KeyRing> keys_;
  std::uint64_t wal_frames_ = 0;
  struct Statements;
  std::unique_ptr<Statements> statements_;
};

}  // namespace og::store
