#include "store/store.h"

#include <sqlite3.h>
#include <zstd.h>

#include "store/keyring.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace og::store {
namespace {

// Schema version 3. A later version migrates forward from the number in `settings`.
// Version 2: journal.key_id (0: the body is in clear), data_keys, customers.
// Version 3: journal.encoding (BodyEncoding; 0, the default, is how every older record reads).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS journal(
  seq INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  at INTEGER NOT NULL,
  body BLOB NOT NULL,
  key_id INTEGER NOT NULL DEFAULT 0,
  encoding INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS snapshots(
  seq INTEGER PRIMARY KEY,
  bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delivery(
  sink TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  retry_at INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  PRIMARY KEY(sink, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents(
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  severity TEXT NOT NULL,
  priority INTEGER NOT NULL,
  order_id TEXT,
  detected_at INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_by_order ON incidents(order_id);
CREATE TABLE IF NOT EXISTS audit(
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  order_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_order ON audit(order_id) WHERE order_id != '';
CREATE TABLE IF NOT EXISTS audit_checkpoints(
  seq INTEGER PRIMARY KEY,
  hash BLOB NOT NULL,
  signature BLOB NOT NULL,
  public_key BLOB NOT NULL,
  at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
  hash BLOB PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  agent_id TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS data_keys(
  id INTEGER PRIMARY KEY,
  master_id TEXT NOT NULL,
  wrapped BLOB NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS customers(
  subject TEXT PRIMARY KEY,
  ts INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  sealed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
INSERT OR IGNORE INTO settings(key, value) VALUES('schema_version', '1');
)sql";

// Version 1 to 2: the journal learns which data key sealed a body.
constexpr const char* kMigrateTo2 = R"sql(
ALTER TABLE journal ADD COLUMN key_id INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 2 to 3: the journal learns how a body is encoded (compressed) before sealing.
constexpr const char* kMigrateTo3 = R"sql(
ALTER TABLE journal ADD COLUMN encoding INTEGER NOT NULL DEFAULT 0;
)sql";

// How a journal body is stored, under its seal if any. The values are stored: never renumber.
enum class BodyEncoding : std::int64_t {
  kAsReceived = 0,  // the bytes as received: every record of schema 2 and older
  kZstd = 1,        // one zstd frame with its content size and checksum
};

// A body shorter than this is stored as received: a zstd frame's header and checksum would
// eat what little it could save (a kClock record is empty).
constexpr std::size_t kMinCompressedBody = 256;
// A frame that declares more than this is damaged: no record body comes near it.
constexpr unsigned long long kMaxJournalBody = 1ULL << 30;

// What a sealed journal body is bound to: moving it to another seq or kind fails to open, and
// so does flipping its encoding (a compressed body adds the encoding; a body as received is
// bound exactly as before schema 3, so older records still open).
std::string journal_binding(std::uint64_t seq, RecordKind kind, BodyEncoding encoding) {
  std::string bound = "orderguard-journal-v1";
  for (int shift = 0; shift < 64; shift += 8) bound.push_back(static_cast<char>((seq >> shift) & 0xff));
  bound.push_back(static_cast<char>(kind));
  if (encoding != BodyEncoding::kAsReceived) bound.push_back(static_cast<char>(encoding));
  return bound;
}

struct FreeCCtx {
  void operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
};
struct FreeDCtx {
  void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
};

// A stored body back to the bytes received, or what is wrong with it.
Result<std::string> decode_body(ZSTD_DCtx* context, BodyEncoding encoding, std::string&& body) {
  switch (encoding) {
    case BodyEncoding::kAsReceived:
      return std::move(body);
    case BodyEncoding::kZstd: {
      const unsigned long long size = ZSTD_getFrameContentSize(body.data(), body.size());
      if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxJournalBody) {
        return tl::unexpected(std::string("the compressed body is damaged (no valid zstd frame header)"));
      }
      std::string plain(static_cast<std::size_t>(size), '\0');
      const std::size_t got = ZSTD_decompressDCtx(context, plain.data(), plain.size(), body.data(), body.size());
      if (ZSTD_isError(got)) return tl::unexpected("the compressed body is damaged (zstd: " + std::string(ZSTD_getErrorName(got)) + ")");
      if (got != plain.size()) return tl::unexpected(std::string("the compressed body is damaged (shorter than its frame declares)"));
      return plain;
    }
  }
  return tl::unexpected("unknown body encoding " + std::to_string(static_cast<std::int64_t>(encoding)) +
                        " (written by a newer OrderGuard?)");
}

std::string customer_binding(std::string_view subject) { return "orderguard-customer-v1:" + std::string(subject); }

// SQLite's words say what is wrong with a damaged file, not what to do about it.
std::string with_remedy(std::string message, int code) {
  code &= 0xff;
  if (code == SQLITE_CORRUPT) {
    message += " (the store file is damaged: stop serve and restore orderguard.db, with its -wal file, from a backup)";
  } else if (code == SQLITE_NOTADB) {
    message += " (orderguard.db is not an SQLite database: is this the data directory serve used? if it is, the file is "
               "damaged: restore it, with its -wal file, from a backup)";
  }
  return message;
}

std::string sqlite_error(sqlite3* db, std::string_view what) {
  return with_remedy(std::string(what) + ": " + sqlite3_errmsg(db), sqlite3_errcode(db));
}

// A prepared statement, reset on every use.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite_error(db, "store: preparing a statement"));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return *this;
  }
  // Ends the statement's read; a statement left on a row keeps its connection's snapshot
  // of the database (WAL) from moving on.
  void finish() { sqlite3_reset(stmt_); }
  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Statement& bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& bind_blob(int index, std::span<const unsigned char> bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, whatever path leaves it.
struct Finish {
  Statement& statement;
  ~Finish() { statement.finish(); }
};

}  // namespace

struct Store::Statements {
  explicit Statements(sqlite3* db)
      : append(db, "INSERT INTO journal(seq, kind, at, body, key_id, encoding) VALUES(?, ?, ?, ?, ?, ?)"),
        last_seq(db, "SELECT COALESCE(MAX(seq), 0) FROM journal"),
        outbox_add(db, "INSERT OR IGNORE INTO outbox(id, seq, json) VALUES(?, ?, ?)"),
        delivery_add(db, "INSERT OR IGNORE INTO delivery(sink, seq, id) VALUES(?, ?, ?)"),
        pending(db,
                "SELECT d.id, d.seq, o.json, d.attempts FROM delivery d JOIN outbox o ON o.id = d.id "
                "WHERE d.sink = ? AND d.retry_at <= ? ORDER BY d.seq LIMIT ?"),
        delivered(db, "DELETE FROM delivery WHERE sink = ? AND id = ?"),
        failed(db, "UPDATE delivery SET attempts = attempts + 1, retry_at = ?, error = ? WHERE sink = ? AND id = ?"),
        outbox_count(db, "SELECT COUNT(*) FROM outbox"),
        undelivered(db, "SELECT COUNT(*) FROM delivery WHERE sink = ?"),
        incident_put(db,
                     "INSERT INTO incidents(id, type, status, severity, priority, order_id, detected_at, json) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, "
                     "severity = excluded.severity, priority = excluded.priority, json = excluded.json"),
        incident_get(db,
                     "SELECT id, type, status, severity, priority, order_id, detected_at, json FROM incidents WHERE id = ?"),
        incident_count(db, "SELECT COUNT(*) FROM incidents"),
        snapshot_put(db, "INSERT OR REPLACE INTO snapshots(seq, bytes) VALUES(?, ?)"),
        snapshot_trim(db, "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)"),
        snapshot_latest(db, "SELECT seq, bytes FROM snapshots ORDER BY seq DESC LIMIT 1"),
        token_add(db, "INSERT INTO tokens(hash, id, role, name, created_at, agent_id) VALUES(?, ?, ?, ?, ?, ?)"),
        token_role(db, "SELECT id, role, name, created_at, revoked, agent_id FROM tokens WHERE hash = ? AND revoked = 0"),
        token_list(db, "SELECT id, role, name, created_at, revoked, agent_id FROM tokens ORDER BY created_at, id"),
        token_revoke(db, "UPDATE tokens SET revoked = 1 WHERE id = ? AND revoked = 0"),
        audit_add(db,
                  "INSERT INTO audit(seq, at, kind, subject, order_id, actor, key, body, prev_hash, hash) "
                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        audit_has(db, "SELECT 1 FROM audit WHERE key = ?"),
        audit_tail(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"),
        audit_count(db, "SELECT COUNT(*) FROM audit"),
        checkpoint_add(db, "INSERT OR REPLACE INTO audit_checkpoints(seq, hash, signature, public_key, at) VALUES(?, ?, ?, ?, ?)"),
        checkpoint_list(db, "SELECT seq, hash, signature, public_key, at FROM audit_checkpoints ORDER BY seq"),
        customer_put(db,
                     "INSERT INTO customers(subject, ts, key_id, sealed) VALUES(?, ?, ?, ?) ON CONFLICT(subject) DO UPDATE "
                     "SET ts = excluded.ts, key_id = excluded.key_id, sealed = excluded.sealed WHERE excluded.ts >= customers.ts"),
        customer_get(db, "SELECT ts, key_id, sealed FROM customers WHERE subject = ?"),
        setting_get(db, "SELECT value FROM settings WHERE key = ?"),
        setting_put(db, "INSERT OR REPLACE INTO settings(key, value) VALUES(?, ?)"),
        begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK") {}
  Statement append, last_seq, outbox_add, delivery_add, pending, delivered, failed, outbox_count, undelivered,
      incident_put, incident_get, incident_count, snapshot_put, snapshot_trim, snapshot_latest, token_add,
      token_role, token_list, token_revoke, audit_add, audit_has, audit_tail, audit_count, checkpoint_add, checkpoint_list,
      customer_put, customer_get, setting_get, setting_put, begin, commit, rollback;
  std::uint64_t next_seq = 1;
  std::uint64_t next_outbox_seq = 1;
  std::vector<unsigned char> sealed;  // append()'s sealing buffer, reused
  std::vector<char> compressed;       // and its compression buffer
  std::unique_ptr<ZSTD_CCtx, FreeCCtx> compressor;  // null: bodies are stored as received
  std::unique_ptr<ZSTD_DCtx, FreeDCtx> decompressor{ZSTD_createDCtx()};
};

Result<std::unique_ptr<Store>> Store::open_existing(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "orderguard.db", ec)) {
    return tl::unexpected("no OrderGuard data at " + dir + " (no orderguard.db there): pass the --data directory serve used");
  }
  return open(dir);
}

namespace {

// Why the store must not be created afresh, or "": orderguard.db is gone or empty while files
// an earlier start left beside it are there (the audit chain's keys, the first admin token).
// A new store would take its place silently, for serve or for any command that opens one
// (`tokens create` after "my token stopped working"): every incident and token lost, the audit
// chain begun again under the old key.
std::string lost_store(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path db = fs::path(dir) / "orderguard.db";
  const bool missing = !fs::exists(db, error);
  if (!missing && !(fs::is_regular_file(db, error) && fs::file_size(db, error) == 0)) return {};
  for (const char* left : {"audit.key", "audit.pub", "admin.token"}) {
    if (fs::exists(fs::path(dir) / left, error)) {
      return "data " + dir + ": the store orderguard.db is " + (missing ? "missing" : "empty") + ", but " + left +
             " from an earlier start is there: restore orderguard.db from a backup (with its -wal file), or, to begin a "
             "new store on purpose, move audit.key, audit.pub and admin.token out of the directory";
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return tl::unexpected("data directory " + dir + ": cannot create it (" + ec.message() + "); pass --data with a writable directory");
  if (std::string lost = lost_store(dir); !lost.empty()) return tl::unexpected(std::move(lost));
  const std::string path = (std::filesystem::path(dir) / "orderguard.db").string();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string message = "store " + path + ": cannot open (" + (db ? sqlite3_errmsg(db) : "out of memory") + ")";
    sqlite3_close(db);
    return tl::unexpected(message);
  }
  std::unique_ptr<Store> store(new Store(db, path));
  sqlite3_busy_timeout(db, 10000);
  // WAL: readers do not block the writer. FULL: a commit is on disk when it returns, which is
  // what an acknowledgement promises.
  // temp_store=MEMORY: sorts and temporary tables never spill customer data into temp files.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=OFF",
                             "PRAGMA temp_store=MEMORY"}) {
    if (auto ok = store->exec(pragma); !ok) return tl::unexpected("store " + path + ": " + ok.error());
  }
  if (auto ok = store->exec(kSchema); !ok) {
    // A damaged or foreign file has its remedy in the message already.
    const bool explained = ok.error().find(" (orderguard.db ") != std::string::npos || ok.error().find(" (the store file ") != std::string::npos;
    return tl::unexpected("store " + path + ": " + ok.error() + (explained ? "" : " (is it an OrderGuard data directory?)"));
  }
  {
    Statement has_key_id(db, "SELECT COUNT(*) FROM pragma_table_info('journal') WHERE name = 'key_id'");
    if (has_key_id.step() == SQLITE_ROW && has_key_id.integer(0) == 0) {
      has_key_id.finish();
      if (auto ok = store->exec(kMigrateTo2); !ok) return tl::unexpected("store " + path + ": migrating to schema 2: " + ok.error());
    }
  }
  {
    Statement has_encoding(db, "SELECT COUNT(*) FROM pragma_table_info('journal') WHERE name = 'encoding'");
    if (has_encoding.step() == SQLITE_ROW && has_encoding.integer(0) == 0) {
      has_encoding.finish();
      if (auto ok = store->exec(kMigrateTo3); !ok) return tl::unexpected("store " + path + ": migrating to schema 3: " + ok.error());
    }
  }
  if (auto ok = store->exec("UPDATE settings SET value = '3' WHERE key = 'schema_version' AND value IN ('1', '2')"); !ok) {
    return tl::unexpected("store " + path + ": " + ok.error());
  }
  try {
    store->statements_ = std::make_unique<Statements>(db);
  } catch (const std::exception& error) {
    return tl::unexpected(std::string(error.what()));
  }
  if (!store->statements_->decompressor) return tl::unexpected("store " + path + ": zstd: out of memory");
  if (auto ok = store->set_journal_compression(kJournalZstdLevel); !ok) return tl::unexpected("store " + path + ": " + ok.error());
  store->statements_->next_seq = store->last_seq() + 1;
  {
    Statement max_outbox(db, "SELECT COALESCE(MAX(seq), 0) FROM outbox");
    if (max_outbox.step() == SQLITE_ROW) store->statements_->next_outbox_seq = static_cast<std::uint64_t>(max_outbox.integer(0)) + 1;
  }
  return store;
}

Store::Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Store::~Store() {
  statements_.reset();
  sqlite3_close(db_);
}

Result<void> Store::exec(const char* sql) const {
  char* message = nullptr;
  if (const int code = sqlite3_exec(db_, sql, nullptr, nullptr, &message); code != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return tl::unexpected(with_remedy(std::move(text), code));
  }
  return {};
}

Result<void> Store::append(std::span<Record> records, std::span<const OutboxItem> outbox,
                           std::span<const IncidentRow> incidents, std::span<const AuditRow> audit,
                           std::span<const CustomerRow> customers) {
  if (!customers.empty() && !keys_) return tl::unexpected(std::string("customers: the vault is written only sealed; no key ring is attached"));
  Statements& s = *statements_;
  // Derived rows alone need no fsync of their own: recovery derives them again, and the next
  // journal commit's fsync covers them (the WAL is written in order). A sequential client
  // then waits for one fsync per request, not two. An unmasking's link is no such row: it is
  // not in the journal, and the clear data is shown only once it is on disk.
  const bool derived_only = records.empty() && std::none_of(audit.begin(), audit.end(), [](const AuditRow& row) { return row.kind == "unmask"; });
  if (derived_only) (void)exec("PRAGMA synchronous=NORMAL");
  struct Restore {
    const Store& store;
    bool active;
    ~Restore() {
      if (active) (void)store.exec("PRAGMA synchronous=FULL");
    }
  } restore{*this, derived_only};
  if (s.begin.reset().step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "journal: begin"));
  const auto fail = [&](std::string_view what) {
    std::string message = sqlite_error(db_, what);
    s.rollback.reset().step();
    return tl::unexpected(message);
  };
  std::uint64_t seq = s.next_seq;
  std::vector<unsigned char>& sealed = s.sealed;
  struct Trim {  // a buffer kept between calls, unless a large body grew it
    std::vector<unsigned char>& buffer;
    ~Trim() {
      if (buffer.capacity() > (4U << 20)) buffer = {};
    }
  } trim{sealed};
  std::vector<char>& compressed = s.compressed;
  struct TrimCompressed {
    std::vector<char>& buffer;
    ~TrimCompressed() {
      if (buffer.capacity() > (4U << 20)) buffer = {};
    }
  } trim_compressed{compressed};
  for (Record& record : records) {
    record.seq = seq++;
    s.append.reset().bind(1, static_cast<std::int64_t>(record.seq)).bind(2, static_cast<std::int64_t>(record.kind));
    s.append.bind(3, record.at);
    // Compressed before sealing: sealed bytes look random and do not compress.
    std::string_view stored = record.body;
    BodyEncoding encoding = BodyEncoding::kAsReceived;
    if (s.compressor && record.body.size() >= kMinCompressedBody) {
      if (compressed.size() < ZSTD_compressBound(record.body.size())) compressed.resize(ZSTD_compressBound(record.body.size()));
      const std::size_t size = ZSTD_compress2(s.compressor.get(), compressed.data(), compressed.size(), record.body.data(), record.body.size());
      if (ZSTD_isError(size)) {
        s.rollback.reset().step();
        return tl::unexpected("journal: compressing record " + std::to_string(record.seq) + ": " + ZSTD_getErrorName(size));
      }
      if (size < record.body.size()) {
        stored = std::string_view(compressed.data(), size);
        encoding = BodyEncoding::kZstd;
      }
    }
    if (keys_) {
      s.append.bind_blob(4, keys_->seal_into(sealed, stored, journal_binding(record.seq, record.kind, encoding))).bind(5, keys_->current_id());
    } else {
      s.append.bind_blob(4, stored).bind(5, std::int64_t{0});
    }
    s.append.bind(6, static_cast<std::int64_t>(encoding));
    if (s.append.step() != SQLITE_DONE) return fail("journal: append");
  }
  std::uint64_t outbox_seq = s.next_outbox_seq;
  for (const OutboxItem& item : outbox) {
    s.outbox_add.reset().bind(1, item.id).bind(2, static_cast<std::int64_t>(outbox_seq)).bind(3, item.json);
    if (s.outbox_add.step() != SQLITE_DONE) return fail("outbox: add");
    if (sqlite3_changes(db_) == 0) continue;  // already there: a replay after a restart
    for (const std::string& sink : sinks_) {
      s.delivery_add.reset().bind(1, sink).bind(2, static_cast<std::int64_t>(outbox_seq)).bind(3, item.id);
      if (s.delivery_add.step() != SQLITE_DONE) return fail("outbox: delivery");
    }
    ++outbox_seq;
  }
  for (const IncidentRow& row : incidents) {
    s.incident_put.reset().bind(1, row.id).bind(2, row.type).bind(3, row.status).bind(4, row.severity);
    s.incident_put.bind(5, row.priority).bind(6, row.order_id).bind(7, row.detected_at).bind(8, row.json);
    if (s.incident_put.step() != SQLITE_DONE) return fail("incidents: write");
  }
  for (const AuditRow& row : audit) {
    s.audit_add.reset().bind(1, static_cast<std::int64_t>(row.seq)).bind(2, row.at).bind(3, row.kind).bind(4, row.subject);
    s.audit_add.bind(5, row.order_id).bind(6, row.actor).bind(7, row.key).bind(8, row.body);
    s.audit_add.bind_blob(9, row.prev_hash).bind_blob(10, row.hash);
    if (s.audit_add.step() != SQLITE_DONE) return fail("audit: append");
  }
  for (const CustomerRow& row : customers) {
    const auto bytes = keys_->seal_into(sealed, row.json, customer_binding(row.subject));
    s.customer_put.reset().bind(1, row.subject).bind(2, row.ts).bind(3, keys_->current_id()).bind_blob(4, bytes);
    if (s.customer_put.step() != SQLITE_DONE) return fail("customers: write");
  }
  if (s.commit.reset().step() != SQLITE_DONE) return fail("journal: commit");
  s.next_seq = seq;
  s.next_outbox_seq = outbox_seq;
  return {};
}

std::uint64_t Store::last_seq() const {
  Statement& statement = statements_->last_seq.reset();
  Finish finish{statement};
  return statement.step() == SQLITE_ROW ? static_cast<std::uint64_t>(statement.integer(0)) : 0;
}

Result<void> Store::read_journal(std::uint64_t after, const std::function<bool(Record&&)>& visit) const {
  // A statement of its own: the visitor may use the store (the shared one would be reset).
  Statement read(db_, "SELECT seq, kind, at, body, key_id, encoding FROM journal WHERE seq > ? ORDER BY seq");
  read.bind(1, static_cast<std::int64_t>(after));
  for (;;) {
    const int rc = read.step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "journal: read"));
    Record record;
    record.seq = static_cast<std::uint64_t>(read.integer(0));
    record.kind = static_cast<RecordKind>(read.integer(1));
    record.at = read.integer(2);
    record.body = read.text(3);
    const auto encoding = static_cast<BodyEncoding>(read.integer(5));
    const auto where = [&] { return "journal record " + std::to_string(record.seq); };
    if (const auto key_id = static_cast<std::uint32_t>(read.integer(4)); key_id != 0) {
      if (!keys_) return tl::unexpected(where() + " is encrypted and no master key was given");
      auto opened = keys_->open(key_id, record.body, journal_binding(record.seq, record.kind, encoding));
      if (!opened) return tl::unexpected(where() + ": " + opened.error());
      record.body = std::move(*opened);
    }
    auto decoded = decode_body(statements_->decompressor.get(), encoding, std::move(record.body));
    if (!decoded) return tl::unexpected(where() + ": " + decoded.error());
    record.body = std::move(*decoded);
    if (!visit(std::move(record))) return {};
  }
}

Result<void> Store::save_snapshot(std::uint64_t seq, std::string_view bytes, int keep) {
  Statements& s = *statements_;
  s.snapshot_put.reset().bind(1, static_cast<std::int64_t>(seq)).bind_blob(2, bytes);
  if (s.snapshot_put.step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "snapshot: write"));
  s.snapshot_trim.reset().bind(1, keep);
  if (s.snapshot_trim.step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "snapshot: trim"));
  return {};
}

Result<std::optional<std::pair<std::uint64_t, std::string>>> Store::latest_snapshot() const {
  Statement& statement = statements_->snapshot_latest.reset();
  Finish finish{statement};
  const int rc = statement.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "snapshot: read"));
  return std::make_pair(static_cast<std::uint64_t>(statement.integer(0)), statement.text(1));
}

Result<std::vector<PendingDelivery>> Store::pending(std::string_view sink, TimeMs now, int limit) const {
  Statement& statement = statements_->pending.reset();
  Finish finish{statement};
  statement.bind(1, sink).bind(2, now).bind(3, limit);
  std::vector<PendingDelivery> out;
  for (;;) {
    const int rc = statement.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "outbox: read"));
    out.push_back(PendingDelivery{statement.text(0), static_cast<std::uint64_t>(statement.integer(1)), statement.text(2),
                                  static_cast<int>(statement.integer(3))});
  }
}

Result<void> Store::mark_delivered(std::string_view sink, std::span<const std::string> ids, TimeMs) {
  if (ids.empty()) return {};
  Statements& s = *statements_;
  if (s.begin.reset().step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "outbox: begin"));
  for (const std::string& id : ids) {
    s.delivered.reset().bind(1, sink).bind(2, id);
    if (s.delivered.step() != SQLITE_DONE) {
      std::string message = sqlite_error(db_, "outbox: mark delivered");
      s.rollback.reset().step();
      return tl::unexpected(message);
    }
  }
  if (s.commit.reset().step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "outbox: commit"));
  return {};
}

Result<void> Store::mark_failed(std::string_view sink, std::string_view id, TimeMs retry_at, std::string_view error) {
  Statement& statement = statements_->failed.reset();
  Finish finish{statement};
  statement.bind(1, retry_at).bind(2, error).bind(3, sink).bind(4, id);
  if (statement.step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "outbox: mark failed"));
  return {};
}

std::uint64_t Store::outbox_count() const {
  Statement& statement = statements_->outbox_count.reset();
  Finish finish{statement};
  return statement.step() == SQLITE_ROW ? static_cast<std::uint64_t>(statement.integer(0)) : 0;
}

std::uint64_t Store::undelivered_count(std::string_view sink) const {
  Statement& statement = statements_->undelivered.reset().bind(1, sink);
  Finish finish{statement};
  return statement.step() == SQLITE_ROW ? static_cast<std::uint64_t>(statement.integer(0)) : 0;
}

Result<std::optional<IncidentRow>> Store::incident(std::string_view id) const {
  Statement& statement = statements_->incident_get.reset().bind(1, id);
  Finish finish{statement};
  const int rc = statement.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "incidents: read"));
  IncidentRow row;
  row.id = statement.text(0);
  row.type = statement.text(1);
  row.status = statement.text(2);
  row.severity = statement.text(3);
  row.priority = static_cast<int>(statement.integer(4));
  row.order_id = statement.text(5);
  row.detected_at = statement.integer(6);
  row.json = statement.text(7);
  return row;
}

std::uint64_t Store::incident_count() const {
  Statement& statement = statements_->incident_count.reset();
  Finish finish{statement};
  return statement.step() == SQLITE_ROW ? static_cast<std::uint64_t>(statement.integer(0)) : 0;
}

bool Store::audit_has(std::string_view key) const {
  Statement& statement = statements_->audit_has.reset().bind(1, key);
  Finish finish{statement};
  return statement.step() == SQLITE_ROW;
}

std::optional<std::pair<std::uint64_t, std::string>> Store::audit_tail() const {
  Statement& statement = statements_->audit_tail.reset();
  Finish finish{statement};
  if (statement.step() != SQLITE_ROW) return std::nullopt;
  return std::make_pair(static_cast<std::uint64_t>(statement.integer(0)), statement.text(1));
}

std::uint64_t Store::audit_count() const {
  Statement& statement = statements_->audit_count.reset();
  Finish finish{statement};
  return statement.step() == SQLITE_ROW ? static_cast<std::uint64_t>(statement.integer(0)) : 0;
}

Result<void> Store::read_audit(std::uint64_t after, std::string_view order_id,
                               const std::function<bool(AuditRow&&)>& visit) const {
  Statement read(db_, order_id.empty()
                          ? "SELECT seq, at, kind, subject, order_id, actor, key, body, prev_hash, hash FROM audit "
                            "WHERE seq > ? ORDER BY seq"
                          : "SELECT seq, at, kind, subject, order_id, actor, key, body, prev_hash, hash FROM audit "
                            "WHERE seq > ? AND order_id = ? ORDER BY seq");
  read.bind(1, static_cast<std::int64_t>(after));
  if (!order_id.empty()) read.bind(2, order_id);
  for (;;) {
    const int rc = read.step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "audit: read"));
    AuditRow row;
    row.seq = static_cast<std::uint64_t>(read.integer(0));
    row.at = read.integer(1);
    row.kind = read.text(2);
    row.subject = read.text(3);
    row.order_id = read.text(4);
    row.actor = read.text(5);
    row.key = read.text(6);
    row.body = read.text(7);
    row.prev_hash = read.text(8);
    row.hash = read.text(9);
    if (!visit(std::move(row))) return {};
  }
}

Result<void> Store::add_checkpoint(const Checkpoint& checkpoint) {
  Statement& statement = statements_->checkpoint_add.reset();
  Finish finish{statement};
  statement.bind(1, static_cast<std::int64_t>(checkpoint.seq)).bind_blob(2, checkpoint.hash).bind_blob(3, checkpoint.signature);
  statement.bind_blob(4, checkpoint.public_key).bind(5, checkpoint.at);
  if (statement.step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "audit: checkpoint"));
  return {};
}

Result<std::vector<Checkpoint>> Store::checkpoints() const {
  Statement& statement = statements_->checkpoint_list.reset();
  Finish finish{statement};
  std::vector<Checkpoint> out;
  for (;;) {
    const int rc = statement.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "audit: checkpoints"));
    out.push_back(Checkpoint{static_cast<std::uint64_t>(statement.integer(0)), statement.text(1), statement.text(2),
                             statement.text(3), statement.integer(4)});
  }
}

Result<void> Store::add_token(const TokenRow& row, std::span<const unsigned char> secret_hash) {
  Statement& statement = statements_->token_add.reset();
  Finish finish{statement};
  statement.bind_blob(1, secret_hash).bind(2, row.id).bind(3, row.role).bind(4, row.name).bind(5, row.created_at);
  statement.bind(6, row.agent_id);
  if (statement.step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "tokens: add"));
  return {};
}

std::optional<TokenRow> Store::token(std::span<const unsigned char> secret_hash) const {
  Statement& statement = statements_->token_role.reset().bind_blob(1, secret_hash);
  Finish finish{statement};
  if (statement.step() != SQLITE_ROW) return std::nullopt;
  return TokenRow{statement.text(0), statement.text(1), statement.text(2), statement.integer(3), statement.integer(4) != 0,
                  statement.text(5)};
}

Result<std::vector<TokenRow>> Store::tokens() const {
  Statement& statement = statements_->token_list.reset();
  Finish finish{statement};
  std::vector<TokenRow> out;
  for (;;) {
    const int rc = statement.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "tokens: list"));
    out.push_back(TokenRow{statement.text(0), statement.text(1), statement.text(2), statement.integer(3), statement.integer(4) != 0,
                           statement.text(5)});
  }
}

Result<bool> Store::revoke_token(std::string_view id) {
  Statement& statement = statements_->token_revoke.reset().bind(1, id);
  Finish finish{statement};
  if (statement.step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "tokens: revoke"));
  return sqlite3_changes(db_) > 0;
}

Result<std::uint64_t> Store::seal_clear_records() {
  if (!keys_) return tl::unexpected(std::string("journal: sealing needs a key ring"));
  Statements& s = *statements_;
  Statement read(db_, "SELECT seq, kind, body, encoding FROM journal WHERE key_id = 0 ORDER BY seq");
  if (read.step() == SQLITE_DONE) return 0;  // the usual case: nothing in clear, no transaction
  read.finish();
  // secure_delete: the pages that held the clear bodies are overwritten, not just freed.
  if (auto ok = exec("PRAGMA secure_delete=ON"); !ok) return tl::unexpected(ok.error());
  if (s.begin.reset().step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "journal: begin"));
  Statement update(db_, "UPDATE journal SET body = ?, key_id = ? WHERE seq = ?");
  std::uint64_t count = 0;
  for (int rc = read.step();; rc = read.step()) {
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      std::string message = sqlite_error(db_, "journal: read");
      read.finish();
      s.rollback.reset().step();
      return tl::unexpected(message);
    }
    const auto seq = static_cast<std::uint64_t>(read.integer(0));
    const auto encoding = static_cast<BodyEncoding>(read.integer(3));
    const std::string sealed = keys_->seal(read.text(2), journal_binding(seq, static_cast<RecordKind>(read.integer(1)), encoding));
    update.reset().bind_blob(1, sealed).bind(2, keys_->current_id()).bind(3, static_cast<std::int64_t>(seq));
    if (update.step() != SQLITE_DONE) {
      std::string message = sqlite_error(db_, "journal: seal");
      read.finish();
      s.rollback.reset().step();
      return tl::unexpected(message);
    }
    ++count;
  }
  read.finish();
  if (s.commit.reset().step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "journal: commit"));
  (void)exec("PRAGMA secure_delete=OFF");
  // The WAL still holds the clear pages' old images: checkpoint them and empty it.
  if (auto ok = exec("PRAGMA wal_checkpoint(TRUNCATE)"); !ok) return tl::unexpected(ok.error());
  return count;
}

Result<std::vector<DataKeyRow>> Store::data_keys() const {
  Statement read(db_, "SELECT id, master_id, wrapped, created_at FROM data_keys ORDER BY id");
  std::vector<DataKeyRow> out;
  for (;;) {
    const int rc = read.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "data keys: read"));
    out.push_back(DataKeyRow{static_cast<std::uint32_t>(read.integer(0)), read.text(1), read.text(2), read.integer(3)});
  }
}

Result<void> Store::write_data_keys(std::span<const DataKeyRow> rewrapped, const DataKeyRow& added, bool wipe) {
  Statements& s = *statements_;
  if (wipe) {
    if (auto ok = exec("PRAGMA secure_delete=ON"); !ok) return tl::unexpected(ok.error());
  }
  if (s.begin.reset().step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "data keys: begin"));
  const auto fail = [&](std::string_view what) {
    std::string message = sqlite_error(db_, what);
    s.rollback.reset().step();
    return tl::unexpected(message);
  };
  Statement update(db_, "UPDATE data_keys SET master_id = ?, wrapped = ? WHERE id = ?");
  for (const DataKeyRow& row : rewrapped) {
    update.reset().bind(1, row.master_id).bind_blob(2, row.wrapped).bind(3, static_cast<std::int64_t>(row.id));
    if (update.step() != SQLITE_DONE || sqlite3_changes(db_) != 1) return fail("data keys: re-wrap");
  }
  Statement insert(db_, "INSERT INTO data_keys(id, master_id, wrapped, created_at) VALUES(?, ?, ?, ?)");
  insert.bind(1, static_cast<std::int64_t>(added.id)).bind(2, added.master_id).bind_blob(3, added.wrapped).bind(4, added.created_at);
  if (insert.step() != SQLITE_DONE) return fail("data keys: add");
  if (s.commit.reset().step() != SQLITE_DONE) return fail("data keys: commit");
  if (wipe) {
    (void)exec("PRAGMA secure_delete=OFF");
    if (auto ok = exec("PRAGMA wal_checkpoint(TRUNCATE)"); !ok) return tl::unexpected(ok.error());
  }
  return {};
}

Result<std::optional<CustomerRow>> Store::customer(std::string_view subject) const {
  Statement& statement = statements_->customer_get.reset().bind(1, subject);
  Finish finish{statement};
  const int rc = statement.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return tl::unexpected(sqlite_error(db_, "customers: read"));
  if (!keys_) return tl::unexpected(std::string("customers: the vault is encrypted and no master key was given"));
  auto opened = keys_->open(static_cast<std::uint32_t>(statement.integer(1)), statement.text(2), customer_binding(subject));
  if (!opened) return tl::unexpected("customers: " + std::string(subject) + ": " + opened.error());
  return CustomerRow{std::string(subject), statement.integer(0), std::move(*opened)};
}

std::optional<std::string> Store::setting(std::string_view key) const {
  Statement& statement = statements_->setting_get.reset().bind(1, key);
  Finish finish{statement};
  if (statement.step() != SQLITE_ROW) return std::nullopt;
  return statement.text(0);
}

Result<void> Store::set_setting(std::string_view key, std::string_view value) {
  Statement& statement = statements_->setting_put.reset().bind(1, key).bind(2, value);
  Finish finish{statement};
  if (statement.step() != SQLITE_DONE) return tl::unexpected(sqlite_error(db_, "settings: write"));
  return {};
}

Result<void> Store::set_journal_compression(std::optional<int> zstd_level) {
  Statements& s = *statements_;
  if (!zstd_level) {
    s.compressor.reset();
    return {};
  }
  if (!s.compressor) s.compressor.reset(ZSTD_createCCtx());
  if (!s.compressor) return tl::unexpected(std::string("journal: zstd: out of memory"));
  for (const auto& [parameter, value] : {std::pair{ZSTD_c_compressionLevel, *zstd_level}, std::pair{ZSTD_c_checksumFlag, 1},
                                        std::pair{ZSTD_c_contentSizeFlag, 1}}) {
    if (const std::size_t rc = ZSTD_CCtx_setParameter(s.compressor.get(), parameter, value); ZSTD_isError(rc)) {
      s.compressor.reset();
      return tl::unexpected("journal: zstd level " + std::to_string(*zstd_level) + ": " + ZSTD_getErrorName(rc));
    }
  }
  return {};
}

Result<void> Store::set_auto_checkpoint(bool on) {
  if (on) {
    if (sqlite3_wal_autocheckpoint(db_, 1000) != SQLITE_OK) return tl::unexpected(sqlite_error(db_, "wal: autocheckpoint"));
    return {};
  }
  // The hook replaces the autocheckpoint (itself a WAL hook): it only counts.
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Store*>(self)->wal_frames_ = static_cast<std::uint64_t>(frames);
        return SQLITE_OK;
      },
      this);
  return {};
}

Result<Store::WalCheckpoint> Store::checkpoint_wal() {
  int frames = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
  if (rc == SQLITE_BUSY) return WalCheckpoint{};  // another connection is checkpointing
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_error(db_, "wal: checkpoint"));
  return WalCheckpoint{static_cast<std::uint64_t>(std::max(frames, 0)), static_cast<std::uint64_t>(std::max(copied, 0))};
}

}  // namespace og::store
