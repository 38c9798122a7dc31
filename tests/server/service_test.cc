// The service without HTTP: journal before apply, per-line errors, recovery to the state of
// an uninterrupted run, quiet-time deadlines from a manual wall clock, live rule changes,
// people's actions through the journal. Time is driven by hand: no sleeps.
#include "server/service.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "audit/chain.h"
#include "events/parser.h"
#include "people/people.h"
#include "replay/output.h"
#include "replay/replay.h"
#include "../sim/sim_test_util.h"

namespace og::server {
namespace {

constexpr TimeMs kWallStart = 1'800'000'000'000;  // any wall time: event time follows its moves

const char* const kOrder =
    R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U1","kind":"grocery","community":"清河小区","address":{"text":"清河小区3号楼2单元501","building":"3","unit":"2","room":"501","lat":40.03,"lng":116.33},"items":[{"sku":"tomato-500g","name":"西红柿 500g","qty":2,"unit_price":590,"category":"vegetable"}],"amount":1180})";

// A simulated grocery day of 400 orders cut into batches, and what one uninterrupted run over
// the same lines, in the same batches, through one engine gives.
struct BatchedDay {
  std::vector<std::string> batches;
  std::string incidents;  // as incidents_ndjson writes them
  std::string commands;
};

BatchedDay batched_day(std::uint64_t seed, std::size_t lines_per_batch) {
  const auto day = sim::testing::run_sim(sim::testing::config_for(400, seed, sim::Platform::kGrocery));
  BatchedDay out;
  std::string batch;
  std::size_t lines = 0;
  for_each_line(day.events, [&](std::size_t, std::string_view line) {
    batch.append(line).push_back('\n');
    if (++lines % lines_per_batch == 0) out.batches.push_back(std::exchange(batch, {}));
  });
  if (!batch.empty()) out.batches.push_back(batch);
  Engine reference{RulesConfig{}};
  ReplayRunner runner(reference, nullptr);
  for (const std::string& body : out.batches) runner.feed_buffer(body);
  out.incidents = incidents_ndjson(reference, reference.interner());
  out.commands = commands_ndjson(reference);
  return out;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("og-service-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Service> open(std::string rules = {}, std::uint64_t snapshot_every = 0) {
    ServiceOptions options;
    options.data_dir = dir_.string();
    options.rules_toml = std::move(rules);
    options.snapshot_every_records = snapshot_every;
    auto service = Service::open(options, clock_);
    EXPECT_TRUE(service) << service.error();
    return service ? std::move(*service) : nullptr;
  }

  IngestResult ingest(Service& service, std::string body) {
    IngestResult out;
    service.ingest(std::move(body), [&](IngestResult result) { out = std::move(result); });
    service.run_once();
    return out;
  }

  std::string incidents(Service& service) {
    std::string out;
    service.read([&](const Engine& engine) { out = incidents_ndjson(engine, engine.interner()); });
    service.run_once();
    return out;
  }

  std::string commands(Service& service) {
    std::string out;
    service.read([&](const Engine& engine) { out = commands_ndjson(engine); });
    service.run_once();
    return out;
  }

  // The store, read on a connection of its own, holds each of the day's commands and
  // incidents once.
  void expect_stored(const BatchedDay& day) {
    auto store = store::Store::open(dir_.string());
    ASSERT_TRUE(store) << store.error();
    EXPECT_EQ((*store)->outbox_count(), static_cast<std::uint64_t>(std::count(day.commands.begin(), day.commands.end(), '\n')));
    EXPECT_EQ((*store)->incident_count(), static_cast<std::uint64_t>(std::count(day.incidents.begin(), day.incidents.end(), '\n')));
  }

  // A service opened again on what is stored serves the day's incidents and commands.
  void expect_restart_serves(const BatchedDay& day) {
    auto again = open();
    ASSERT_TRUE(again);
    EXPECT_EQ(incidents(*again), day.incidents);
    EXPECT_EQ(commands(*again), day.commands);
  }

  std::filesystem::path dir_;
  ManualClock clock_{kWallStart};
};

// A person's action queued behind the first batch (a fresh server, agents registered while
// the feed starts) waits for that batch: it is stamped at the engine's now once the batch is
// applied, not at the start of event time behind an escalation the batch already made.
TEST_F(ServiceTest, AnActionQueuedBehindABatchIsStampedAfterIt) {
  auto service = open();
  ASSERT_TRUE(service);
  IngestResult ingested;
  service->ingest(std::string(R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U1","amount":1180})") +
                      "\n" + R"({"id":"e2","type":"refund.succeeded","ts":"2026-11-21T10:00:30+08:00","order_id":"O1","amount":1180,"refund_id":"R1"})" +
                      "\n" + R"({"id":"t1","type":"clock.tick","ts":"2026-11-21T10:01:00+08:00"})" + "\n",
                  [&](IngestResult result) { ingested = std::move(result); });
  ActionResult joined;
  service->act(R"({"type":"agent.joined","agent_id":"A1","skills":["risk"],"capacity":3,"on_duty":true})", "",
               [&](ActionResult result) { joined = std::move(result); });
  service->run_once();
  service->run_once();
  EXPECT_EQ(ingested.accepted, 3U);
  EXPECT_TRUE(joined.applied) << joined.error;
  EXPECT_NE(incidents(*service).find("STATE_INCONSISTENT"), std::string::npos);
}

TEST_F(ServiceTest, AnswersEachLineAndStoresTheBatchBeforeApplyingIt) {
  auto service = open();
  const IngestResult result = ingest(*service, std::string(kOrder) + "\n{\"id\":\"bad\"}\n\n" + kOrder + "\n");
  EXPECT_TRUE(result.store_error.empty());
  EXPECT_EQ(result.lines, 3U);
  EXPECT_EQ(result.accepted, 1U);
  EXPECT_EQ(result.duplicates, 1U);  // the same id twice in one batch
  EXPECT_EQ(result.rejected, 1U);
  ASSERT_EQ(result.errors.size(), 1U);
  EXPECT_TRUE(result.errors[0].starts_with("line 2: ")) << result.errors[0];
  EXPECT_EQ(result.seq, 1U);
  EXPECT_EQ(service->stats().records, 1U);
}

TEST_F(ServiceTest, BatchLinesAreReadInPlaceWhateverTheirEndings) {
  // apply() reads a body where it stands, each line ended by a '\0' over its '\n' or '\r':
  // CRLF endings, blank and white lines, and a last line with no newline read as replay reads
  // the same events from a file.
  const BatchedDay day = batched_day(7, 1'000'000);
  ASSERT_EQ(day.batches.size(), 1U);
  std::string body;
  std::size_t lines = 0;
  for_each_line(day.batches.front(), [&](std::size_t, std::string_view line) {
    body.append(line);
    body.append(++lines % 2 == 0 ? "\r\n" : "\n");
    if (lines % 97 == 0) body.append("\n \t\r\n");
  });
  body.pop_back();  // the last line's newline
  if (body.back() == '\r') body.pop_back();
  ASSERT_GT(lines, 200U);
  ASSERT_FALSE(day.incidents.empty());
  auto service = open();
  const IngestResult result = ingest(*service, body);
  EXPECT_TRUE(result.store_error.empty()) << result.store_error;
  EXPECT_EQ(result.lines, lines);
  // In place: the fast reader takes a line only when a '\0' ends it (else simdjson reads it).
  EXPECT_GT(service->stats().fast_lines, lines * 9 / 10);
  EXPECT_EQ(incidents(*service), day.incidents);
  EXPECT_EQ(commands(*service), day.commands);
}

TEST_F(ServiceTest, QuietTimeDeadlinesFireFromTheWallClock) {
  auto service = open();
  ingest(*service, std::string(kOrder) + "\n");
  EXPECT_EQ(incidents(*service), "");
  // Nothing arrives for 14 minutes of wall time: no deadline is due yet.
  clock_.advance(14 * kMinuteMs);
  service->run_once();
  EXPECT_EQ(incidents(*service), "");
  // 15 minutes after creation (plus the reorder bound) the payment timeout fires.
  clock_.advance(kMinuteMs + 11 * kSecondMs);
  service->run_once();
  const std::string found = incidents(*service);
  EXPECT_NE(found.find("\"type\":\"PAYMENT_TIMEOUT\""), std::string::npos) << found;
  EXPECT_NE(found.find("\"detected_at\":\"2026-11-21T02:15:00.000Z\""), std::string::npos) << found;
  EXPECT_GE(service->stats().clock_moves, 1U);

  // The clock's moves are in the journal: a restart rebuilds the same incident.
  service.reset();
  auto again = open();
  EXPECT_EQ(incidents(*again), found);
}

TEST_F(ServiceTest, WhileSourcesAreBusyTheWallClockDoesNotMoveEventTime) {
  auto service = open();
  ingest(*service, std::string(kOrder) + "\n");
  clock_.advance(kSecondMs);  // shorter than the quiet time
  service->run_once();
  EXPECT_EQ(service->stats().clock_moves, 0U);
}

TEST_F(ServiceTest, ARestartGivesTheStateOfOneUninterruptedRun) {
  const BatchedDay day = batched_day(11, 700);
  const std::vector<std::string>& batches = day.batches;

  // The service, restarted after every third batch: from the journal alone, and from a
  // snapshot every second record plus the journal's tail.
  for (const std::uint64_t snapshot_every : {std::uint64_t{0}, std::uint64_t{2}}) {
    std::filesystem::remove_all(dir_);
    auto service = open({}, snapshot_every);
    for (std::size_t i = 0; i < batches.size(); ++i) {
      const IngestResult result = ingest(*service, batches[i]);
      ASSERT_TRUE(result.store_error.empty());
      if (i % 3 == 2) {
        service.reset();
        service = open({}, snapshot_every);
        EXPECT_EQ(service->stats().recovered_from_snapshot > 0, snapshot_every > 0);
      }
    }
    EXPECT_EQ(incidents(*service), day.incidents);
    EXPECT_EQ(commands(*service), day.commands);
    EXPECT_FALSE(day.commands.empty());
  }
}

TEST_F(ServiceTest, AJournalOfUncompressedAndCompressedRecordsRestartsToTheStateOfOneRun) {
  const BatchedDay day = batched_day(12, 700);
  const std::vector<std::string>& batches = day.batches;
  ASSERT_GE(batches.size(), 4U);
  // The first half written as versions before schema 3 wrote it (bodies as received), the
  // next quarter at zstd level 1 (versions before decision 55), the rest at today's level;
  // every restart replays the whole mixed journal (no snapshots).
  const auto open_with = [&](std::optional<int> zstd_level) {
    ServiceOptions options;
    options.data_dir = dir_.string();
    options.snapshot_every_records = 0;
    options.journal_zstd_level = zstd_level;
    auto service = Service::open(options, clock_);
    EXPECT_TRUE(service) << service.error();
    return service ? std::move(*service) : nullptr;
  };
  auto service = open_with(std::nullopt);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    if (i == batches.size() / 2 || i == batches.size() * 3 / 4) {
      service.reset();
      service = open_with(i == batches.size() / 2 ? 1 : store::kJournalZstdLevel);
      EXPECT_GE(service->stats().recovered_records, i);
    }
    ASSERT_TRUE(ingest(*service, batches[i]).store_error.empty());
  }
  service.reset();
  service = open_with(store::kJournalZstdLevel);
  EXPECT_GE(service->stats().recovered_records, batches.size());
  EXPECT_EQ(incidents(*service), day.incidents);
  EXPECT_EQ(commands(*service), day.commands);
  EXPECT_FALSE(day.commands.empty());
  // Both encodings are in the journal: the event bodies of the first half as received.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "orderguard.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT SUM(encoding = 0), SUM(encoding = 1) FROM journal WHERE kind = 1", -1, &count, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(count), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(count, 0), static_cast<std::int64_t>(batches.size() / 2));
  EXPECT_EQ(sqlite3_column_int64(count, 1), static_cast<std::int64_t>(batches.size() - batches.size() / 2));
  sqlite3_finalize(count);
  sqlite3_close(db);
}

TEST_F(ServiceTest, WithoutItsCheckpointThreadTheEngineThreadKeepsTheWalBounded) {
  // run_once() by hand: no checkpoint thread, so the engine thread checkpoints past the bound.
  ServiceOptions options;
  options.data_dir = dir_.string();
  options.wal_checkpoint_frames = 50;
  options.wal_max_frames = 200;
  auto service = Service::open(options, clock_);
  ASSERT_TRUE(service) << service.error();
  const std::string padding(4000, ' ');
  std::uint64_t most = 0;
  for (int i = 0; i < 300; ++i) {
    std::string line = kOrder;
    line.replace(line.find("\"e1\""), 4, "\"e" + std::to_string(i) + "\"");
    line.replace(line.find("\"O1\""), 4, "\"O" + std::to_string(i) + "\"");
    ASSERT_TRUE(ingest(**service, line + padding + "\n").store_error.empty());
    most = std::max(most, (*service)->stats().wal_frames);
  }
  EXPECT_GT((*service)->stats().wal_checkpoints, 0U);
  EXPECT_LT(most, 400U);  // the bound, plus one commit
  service->reset();
  auto again = open();
  EXPECT_EQ(again->stats().recovered_records, 300U);
}

TEST_F(ServiceTest, OnItsThreadARoundIsAppliedWhileTheNextIsJournaledAndARestartGivesTheSameState) {
  const BatchedDay day = batched_day(12, 500);
  const std::vector<std::string>& batches = day.batches;

  for (const std::uint64_t snapshot_every : {std::uint64_t{0}, std::uint64_t{3}}) {
    std::filesystem::remove_all(dir_);
    ServiceOptions options;
    options.data_dir = dir_.string();
    options.snapshot_every_records = snapshot_every;
    options.max_group_bytes = 1;  // one request per round: every round but the last finds more waiting
    auto service = Service::open(options, clock_);
    ASSERT_TRUE(service) << service.error();
    // All queued before the thread starts, so the pipeline runs whatever the machine's speed.
    std::mutex mutex;
    std::condition_variable answered;
    std::vector<IngestResult> results(batches.size());
    std::size_t count = 0;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      (*service)->ingest(batches[i], [&, i](IngestResult result) {
        std::lock_guard lock(mutex);
        results[i] = std::move(result);
        ++count;
        answered.notify_all();
      });
    }
    std::string seen;
    bool read = false;
    (*service)->read([&](const Engine& engine) {
      std::lock_guard lock(mutex);
      seen = incidents_ndjson(engine, engine.interner());
      read = true;
      answered.notify_all();
    });
    (*service)->start();
    {
      std::unique_lock lock(mutex);
      answered.wait(lock, [&] { return count == batches.size() && read; });
    }
    for (std::size_t i = 0; i < batches.size(); ++i) {
      EXPECT_TRUE(results[i].store_error.empty()) << results[i].store_error;
      EXPECT_EQ(results[i].seq, i + 1);  // answered in journal order, each durable
    }
    EXPECT_EQ(seen, day.incidents);
    EXPECT_EQ((*service)->stats().records, batches.size());
    service->reset();
    auto again = open({}, snapshot_every);
    EXPECT_EQ(again->stats().recovered_from_snapshot > 0, snapshot_every > 0);
    EXPECT_EQ(incidents(*again), day.incidents);
    EXPECT_EQ(commands(*again), day.commands);
  }
}

TEST_F(ServiceTest, OnItsThreadRowsDerivedAloneAreWrittenOnTheJournalThreadAndTakenBackAtOnce) {
  // One batch: its round is journaled and applied, then the commands and incidents it derived
  // are written alone on og-journal while the engine thread waits for work. The engine thread
  // idles for an hour between ticks here, so only og-journal's word that the write is done
  // can bring the outbox listener's call.
  const BatchedDay day = batched_day(5, 1'000'000);
  ASSERT_EQ(day.batches.size(), 1U);
  ServiceOptions options;
  options.data_dir = dir_.string();
  options.snapshot_every_records = 0;
  options.tick_ms = 3'600'000;
  options.derived_slice_rows = 0;  // all in one write (slices: the test below)
  auto service = Service::open(options, clock_);
  ASSERT_TRUE(service) << service.error();
  std::mutex mutex;
  std::condition_variable signal;
  bool answered = false, delivered = false;
  (*service)->set_outbox_listener([&] {
    std::lock_guard lock(mutex);
    delivered = true;
    signal.notify_all();
  });
  (*service)->ingest(day.batches.front(), [&](IngestResult result) {
    EXPECT_TRUE(result.store_error.empty()) << result.store_error;
    std::lock_guard lock(mutex);
    answered = true;
    signal.notify_all();
  });
  (*service)->start();
  {
    std::unique_lock lock(mutex);
    // A guard against a hang, not a timing: the happy path never waits for it.
    EXPECT_TRUE(signal.wait_for(lock, std::chrono::minutes(2), [&] { return answered && delivered; }));
  }
  const std::size_t command_count = static_cast<std::size_t>(std::count(day.commands.begin(), day.commands.end(), '\n'));
  ASSERT_GT(command_count, 0U);
  ASSERT_NO_FATAL_FAILURE(expect_stored(day));  // what the listener heard of
  const ServiceStats stats = (*service)->stats();
  EXPECT_EQ(stats.records, 1U);
  EXPECT_EQ(stats.groups, 2U);  // the batch's transaction, then the derived rows' alone
  EXPECT_EQ(stats.store_errors, 0U);
  service->reset();
  expect_restart_serves(day);
  auto store = store::Store::open(dir_.string());
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->outbox_count(), command_count);  // a restart creates no command twice
}

TEST_F(ServiceTest, WhileMoreBatchesWaitTheirDerivedRowsGatherForALaterTransactionUpToTheirBound) {
  // One batch per round (max_group_bytes = 1), every batch queued first: each round sees more
  // waiting. With a bound no day reaches, the rows derived so far stay out of the store until
  // the last round, where nothing else waits; with a bound of one row they go with the next
  // journal transaction as before. Either way a restart gives the state of one run.
  const BatchedDay day = batched_day(5, 500);
  ASSERT_GE(day.batches.size(), 4U);
  for (const std::size_t bound : {std::size_t{1'000'000}, std::size_t{1}}) {
    SCOPED_TRACE(bound);
    std::filesystem::remove_all(dir_);
    ServiceOptions options;
    options.data_dir = dir_.string();
    options.snapshot_every_records = 0;
    options.max_group_bytes = 1;
    options.derived_batch_rows = bound;
    auto service = Service::open(options, clock_);
    ASSERT_TRUE(service) << service.error();
    std::size_t answered = 0;
    for (const std::string& batch : day.batches) {
      (*service)->ingest(batch, [&](IngestResult result) {
        EXPECT_TRUE(result.store_error.empty()) << result.store_error;
        ++answered;
      });
    }
    const auto stored_links = [&] {
      auto store = store::Store::open(dir_.string());  // a connection of its own
      EXPECT_TRUE(store) << store.error();
      return store ? (*store)->audit_count() + (*store)->outbox_count() + (*store)->incident_count() : 0;
    };
    for (std::size_t round = 1; round < day.batches.size(); ++round) (*service)->run_once();
    EXPECT_EQ(answered, day.batches.size() - 1);
    EXPECT_EQ((*service)->stats().records, day.batches.size() - 1);
    const ServiceStats before_last = (*service)->stats();
    ASSERT_GT(before_last.commands, 0U);  // rows were derived before the last round
    if (bound == 1) {
      EXPECT_GT(stored_links(), 0U);
    } else {
      EXPECT_EQ(stored_links(), 0U);
    }
    (*service)->run_once();  // nothing waits behind the last batch: the rows go with it
    EXPECT_EQ(answered, day.batches.size());
    EXPECT_GT(stored_links(), 0U);
    service->reset();
    expect_restart_serves(day);
    expect_stored(day);
  }
}

TEST_F(ServiceTest, DerivedRowsPastTheirBoundGoASliceAtATimeUntilNoneWait) {
  // One batch per round, every batch queued first, a bound of one row and slices of three: each
  // journal transaction takes at most three derived rows, and they keep going below the bound
  // until none wait; the last round, with nothing behind it, takes the rest.
  const BatchedDay day = batched_day(5, 500);
  ASSERT_GE(day.batches.size(), 4U);
  ServiceOptions options;
  options.data_dir = dir_.string();
  options.snapshot_every_records = 0;
  options.max_group_bytes = 1;
  options.derived_batch_rows = 1;
  options.derived_slice_rows = 3;
  auto service = Service::open(options, clock_);
  ASSERT_TRUE(service) << service.error();
  for (const std::string& batch : day.batches) {
    (*service)->ingest(batch, [](IngestResult result) { EXPECT_TRUE(result.store_error.empty()) << result.store_error; });
  }
  const auto stored_rows = [&] {
    auto store = store::Store::open(dir_.string());  // a connection of its own
    EXPECT_TRUE(store) << store.error();
    return store ? (*store)->audit_count() + (*store)->outbox_count() + (*store)->incident_count() : 0;
  };
  std::size_t stored = 0;
  std::size_t rounds_that_wrote = 0;
  for (std::size_t round = 1; round < day.batches.size(); ++round) {
    (*service)->run_once();
    const std::size_t now = stored_rows();
    EXPECT_LE(now - stored, 3U) << "round " << round;
    if (now > stored) ++rounds_that_wrote;
    stored = now;
  }
  EXPECT_GE(rounds_that_wrote, 2U);  // once past the bound, every round took its slice
  (*service)->run_once();
  EXPECT_GT(stored_rows(), stored + 3);  // nothing waits behind the last batch: all the rest
  service->reset();
  expect_restart_serves(day);
  expect_stored(day);
}

TEST_F(ServiceTest, OnItsThreadRowsWrittenAloneGoASliceAtATime) {
  // The rows one batch derived, written alone while the engine thread has nothing else to do,
  // in slices of two: the outbox's rows go first, so the outbox listener hears once per slice
  // that holds commands, and every command is stored by then.
  const BatchedDay day = batched_day(5, 1'000'000);
  ASSERT_EQ(day.batches.size(), 1U);
  const std::size_t command_count = static_cast<std::size_t>(std::count(day.commands.begin(), day.commands.end(), '\n'));
  ASSERT_GE(command_count, 3U);
  const std::size_t slices_with_commands = (command_count + 1) / 2;
  ServiceOptions options;
  options.data_dir = dir_.string();
  options.snapshot_every_records = 0;
  options.tick_ms = 3'600'000;
  options.derived_slice_rows = 2;
  auto service = Service::open(options, clock_);
  ASSERT_TRUE(service) << service.error();
  std::mutex mutex;
  std::condition_variable signal;
  std::size_t heard = 0;
  (*service)->set_outbox_listener([&] {
    std::lock_guard lock(mutex);
    ++heard;
    signal.notify_all();
  });
  (*service)->ingest(day.batches.front(), [](IngestResult result) { EXPECT_TRUE(result.store_error.empty()) << result.store_error; });
  (*service)->start();
  {
    std::unique_lock lock(mutex);
    // A guard against a hang, not a timing: the happy path never waits for it.
    EXPECT_TRUE(signal.wait_for(lock, std::chrono::minutes(2), [&] { return heard >= slices_with_commands; }));
    EXPECT_EQ(heard, slices_with_commands);
  }
  auto store = store::Store::open(dir_.string());
  ASSERT_TRUE(store) << store.error();
  EXPECT_EQ((*store)->outbox_count(), command_count);
  EXPECT_GE((*service)->stats().groups, 1 + slices_with_commands);
  service->reset();
  expect_restart_serves(day);
  expect_stored(day);
}

TEST_F(ServiceTest, RulesChangeLiveWithoutLosingOpenTimers) {
  auto service = open();
  ingest(*service, std::string(kOrder) + "\n");
  RulesResult bad;
  service->replace_rules("[types.PAYMENT_TIMEOUT]\ntimeout = \"soon\"\n", [&](RulesResult result) { bad = std::move(result); });
  service->run_once();
  EXPECT_FALSE(bad.applied);
  EXPECT_NE(bad.error.find("PAYMENT_TIMEOUT"), std::string::npos) << bad.error;
  const std::uint64_t records = service->stats().records;

  RulesResult good;
  service->replace_rules("[types.DELIVERY_LATE]\nenabled = false\n", [&](RulesResult result) { good = std::move(result); });
  service->run_once();
  ASSERT_TRUE(good.applied) << good.error;
  ASSERT_EQ(good.changes.size(), 1U);
  EXPECT_EQ(good.changes[0].key, "types.DELIVERY_LATE.enabled");
  EXPECT_EQ(service->stats().records, records + 1);  // the bad one was never journaled

  // The order's payment timer, set before the change, still fires.
  clock_.advance(16 * kMinuteMs);
  service->run_once();
  EXPECT_NE(incidents(*service).find("PAYMENT_TIMEOUT"), std::string::npos);
  bool disabled = false;
  service->read([&](const Engine& engine) { disabled = !engine.config().type(IncidentType::kDeliveryLate).enabled; });
  service->run_once();
  EXPECT_TRUE(disabled);

  // The change is in the journal: a restart runs with it.
  service.reset();
  service = open();
  disabled = false;
  service->read([&](const Engine& engine) { disabled = !engine.config().type(IncidentType::kDeliveryLate).enabled; });
  service->run_once();
  EXPECT_TRUE(disabled);
}

// Two edits of the same version taken in one round: the first one wins, the second was made
// on rules that are gone by the time it is applied, and is neither applied nor journaled.
TEST_F(ServiceTest, OfTwoEditsOfOneRulesVersionOnlyTheFirstIsApplied) {
  auto service = open();
  std::string version;
  service->read([&](const Engine& engine) { version = rules_version(engine.config()); });
  service->run_once();
  const std::uint64_t records = service->stats().records;
  RulesResult first, second;
  service->replace_rules("[types.DELIVERY_LATE]\nenabled = false\n", [&](RulesResult result) { first = std::move(result); }, version);
  service->replace_rules("[types.RIDER_STALLED]\nenabled = false\n", [&](RulesResult result) { second = std::move(result); }, version);
  service->run_once();
  EXPECT_TRUE(first.applied) << first.error;
  EXPECT_FALSE(second.applied);
  EXPECT_TRUE(second.stale);
  EXPECT_NE(second.error.find("not " + version), std::string::npos) << second.error;
  EXPECT_EQ(service->stats().records, records + 1);
  bool stalled_on = false;
  service->read([&](const Engine& engine) { stalled_on = engine.config().type(IncidentType::kRiderStalled).enabled; });
  service->run_once();
  EXPECT_TRUE(stalled_on);
}

TEST_F(ServiceTest, ADifferentConfigurationAtRestartIsAChangeFromThere) {
  auto service = open();
  ingest(*service, std::string(kOrder) + "\n");
  service.reset();
  service = open("[types.DELIVERY_LATE]\nenabled = false\n");
  bool disabled = false;
  service->read([&](const Engine& engine) { disabled = !engine.config().type(IncidentType::kDeliveryLate).enabled; });
  service->run_once();
  EXPECT_TRUE(disabled);
  EXPECT_EQ(service->stats().recovered_records, 1U);
}

TEST_F(ServiceTest, PeoplesActionsGoThroughTheJournalAndTheDesk) {
  auto service = open();
  ActionResult joined;
  service->act(R"({"type":"agent.joined","agent_id":"A1","name":"王芳","skills":["risk","delivery"],"capacity":3,"on_duty":true})", {},
               [&](ActionResult result) { joined = std::move(result); });
  service->run_once();
  EXPECT_TRUE(joined.applied) << joined.error;

  // STATE_INCONSISTENT always goes to a person.
  ingest(*service,
         R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U1","kind":"errand","community":"北航学生公寓","address":{"text":"北航学生公寓6号楼312","building":"6","room":"312","lat":39.981,"lng":116.347},"items":[{"sku":"errand-express","name":"代取快递","qty":1,"unit_price":500,"category":"errand"}],"amount":500}
{"id":"e2","type":"rider.assigned","ts":"2026-11-21T10:02:00+08:00","order_id":"O1","rider_id":"R1"}
{"id":"e3","type":"delivery.picked_up","ts":"2026-11-21T10:05:00+08:00","order_id":"O1","rider_id":"R1"}
)");
  clock_.advance(30 * kSecondMs);
  service->run_once();
  std::string incident_id;
  std::string assignee;
  service->read([&](const Engine& engine) {
    for (const Incident& incident : engine.incidents().all()) {
      if (incident.type == IncidentType::kStateInconsistent) {
        incident_id = incident.id;
        assignee = incident.assignee;
      }
    }
  });
  service->run_once();
  ASSERT_FALSE(incident_id.empty());
  EXPECT_EQ(assignee, "A1");

  ActionResult foreign;
  service->act(R"({"type":"agent.ack","incident_id":")" + incident_id + R"(","agent_id":"A2"})", incident_id,
               [&](ActionResult result) { foreign = std::move(result); });
  service->run_once();
  EXPECT_FALSE(foreign.applied) << foreign.incident_json;
  EXPECT_FALSE(foreign.error.empty());

  ActionResult resolved;
  service->act(R"({"type":"agent.resolve","incident_id":")" + incident_id +
                   R"(","agent_id":"A1","resolution_code":"fixed","note":"状态已人工修正"})",
               incident_id, [&](ActionResult result) { resolved = std::move(result); });
  service->run_once();
  ASSERT_TRUE(resolved.applied) << resolved.error;
  EXPECT_NE(resolved.incident_json.find("\"resolution\":\"manual\""), std::string::npos) << resolved.incident_json;

  // After a restart the desk and the incident are as they were.
  const std::string before = incidents(*service);
  service.reset();
  service = open();
  EXPECT_EQ(incidents(*service), before);
  std::size_t agents = 0;
  service->read([&](const Engine& engine) { agents = engine.desk().agents().size(); });
  service->run_once();
  EXPECT_EQ(agents, 1U);

  // Every change is in the audit chain, the person's resolution with its actor, and it verifies.
  service.reset();
  auto store = store::Store::open(dir_.string());
  ASSERT_TRUE(store);
  bool resolution_linked = false;
  ASSERT_TRUE((*store)->read_audit(0, "O1", [&](store::AuditRow&& row) {
    resolution_linked |= row.kind == "person" && row.actor == "A1" && row.body.find("\"code\":\"fixed\"") != std::string::npos;
    return true;
  }));
  EXPECT_TRUE(resolution_linked);
  const audit::VerifyReport report = audit::verify(**store);
  EXPECT_TRUE(report.ok());
  EXPECT_GE(report.checkpoints, 1U);  // a stop signs the newest link
  EXPECT_EQ(report.last_checkpoint, (*store)->audit_tail()->first);
}

// Only the action endpoints, under an agent's or supervisor's token, act for an agent: a feed
// (an ingest token) that carries agent.* events has them refused line by line, the rest of its
// batch applied, also when the journal is replayed at the next start.
TEST_F(ServiceTest, TheEventFeedCannotActForAnAgent) {
  const auto agents = [](Service& service) {
    std::size_t count = 0;
    service.read([&](const Engine& engine) { count = engine.desk().agents().size(); });
    service.run_once();
    return count;
  };
  auto service = open();
  const IngestResult result = ingest(
      *service, std::string(R"({"id":"a1","type":"agent.joined","ts":"2026-11-21T10:00:00+08:00","agent_id":"EVIL","skills":["senior"],"capacity":5,"on_duty":true,"supervisor":true})") +
                    "\n" + kOrder + "\n");
  EXPECT_EQ(result.lines, 2U);
  EXPECT_EQ(result.accepted, 1U);
  EXPECT_EQ(result.rejected, 1U);
  ASSERT_EQ(result.errors.size(), 1U);
  EXPECT_TRUE(result.errors[0].starts_with("line 1: type: agent.joined is a person's action")) << result.errors[0];
  EXPECT_EQ(agents(*service), 0U);
  ActionResult joined;
  service->act(R"({"type":"agent.joined","agent_id":"A1","skills":["risk"],"capacity":3,"on_duty":true})", {},
               [&](ActionResult answer) { joined = std::move(answer); });
  service->run_once();
  EXPECT_TRUE(joined.applied) << joined.error;
  EXPECT_EQ(agents(*service), 1U);
  // A batch that may act for people (an admin's) applies them.
  IngestResult admin;
  service->ingest(R"({"id":"a2","type":"agent.joined","ts":"2026-11-21T10:00:00+08:00","agent_id":"A2","skills":["risk"],"capacity":3,"on_duty":true})",
                  [&](IngestResult answer) { admin = std::move(answer); }, true);
  service->run_once();
  EXPECT_EQ(admin.accepted, 1U);
  clock_.advance(30 * kSecondMs);  // quiet: event time passes the action
  service->run_once();
  EXPECT_EQ(agents(*service), 2U);
  service.reset();
  service = open();
  EXPECT_EQ(agents(*service), 2U);
}

// A journal written before actions had their own record kind holds them as event records:
// they replay as they were applied.
TEST_F(ServiceTest, AJournalFromBeforeActionRecordsReplaysItsAgentEvents) {
  {
    auto store = store::Store::open(dir_.string());
    ASSERT_TRUE(store) << store.error();
    std::vector<store::Record> records{
        {0, store::RecordKind::kEvents, kWallStart,
         R"({"id":"act-1","ts":"1970-01-01T00:00:00.000Z","type":"agent.joined","agent_id":"A1","skills":["risk"],"capacity":3,"on_duty":true})"},
        {0, store::RecordKind::kClock, 10'001, ""}};  // event time past it, as the service wrote after every action
    ASSERT_TRUE((*store)->append(records, {}, {}));
  }
  auto service = open();
  std::size_t agents = 0;
  service->read([&](const Engine& engine) { agents = engine.desk().agents().size(); });
  service->run_once();
  EXPECT_EQ(agents, 1U);
}

TEST_F(ServiceTest, ListenersHearOfNewIncidentsAndCommands) {
  auto service = open();
  std::vector<Change> heard;
  service->subscribe([&](const std::vector<Change>& changes) { heard.insert(heard.end(), changes.begin(), changes.end()); });
  ingest(*service, std::string(kOrder) + "\n");
  clock_.advance(16 * kMinuteMs);
  service->run_once();
  const auto incident = std::find_if(heard.begin(), heard.end(), [](const Change& change) { return change.kind == Change::Kind::kIncident; });
  ASSERT_NE(incident, heard.end());
  EXPECT_NE(incident->json.find("PAYMENT_TIMEOUT"), std::string::npos);
  EXPECT_TRUE(std::any_of(heard.begin(), heard.end(), [](const Change& change) { return change.kind == Change::Kind::kCommand; }));
}

// A closed incident is not watched for changes, but the engine can still change it: a coupon
// honoured at checkout gives nothing up while its order is cancelled unpaid, and a payment
// after the cancellation makes it a loss again. Listeners hear it each time it changes.
TEST_F(ServiceTest, ListenersHearAgainOfAClosedIncidentWhoseLossChanges) {
  auto service = open();
  std::vector<std::string> coupon_changes;
  service->subscribe([&](const std::vector<Change>& changes) {
    for (const Change& change : changes) {
      if (change.kind == Change::Kind::kIncident && change.json.find("COUPON_INVALID") != std::string::npos) {
        coupon_changes.push_back(change.json);
      }
    }
  });
  const std::string order =
      R"({"id":"c1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U1","amount":4500,"items":[{"sku":"A","qty":1,"unit_price":5000}],"coupon":{"code":"C5","discount":500,"min_spend":10000},"address":{"text":"x","building":"3","lat":40.0,"lng":116.3}})";
  const std::string cancel = R"({"id":"x1","type":"order.cancelled","ts":"2026-11-21T10:03:00+08:00","order_id":"O1","by":"user"})";
  const std::string pay =
      R"({"id":"p1","type":"payment.succeeded","ts":"2026-11-21T10:04:00+08:00","order_id":"O1","amount":4500,"txn_id":"T1"})";
  EXPECT_EQ(ingest(*service, order + "\n" + cancel + "\n").accepted, 2U);
  clock_.advance(kMinuteMs);
  service->run_once();
  ASSERT_FALSE(coupon_changes.empty());
  EXPECT_EQ(coupon_changes.back().find("\"loss\":500"), std::string::npos) << coupon_changes.back();
  const std::size_t heard_before = coupon_changes.size();

  EXPECT_EQ(ingest(*service, pay + "\n").accepted, 1U);
  clock_.advance(kMinuteMs);
  service->run_once();
  ASSERT_EQ(coupon_changes.size(), heard_before + 1);
  EXPECT_NE(coupon_changes.back().find("\"loss\":500"), std::string::npos) << coupon_changes.back();
  EXPECT_NE(coupon_changes.back().find("\"status\":\"resolved\""), std::string::npos) << coupon_changes.back();
  service->run_once();
  EXPECT_EQ(coupon_changes.size(), heard_before + 1);  // heard once per change
}

// Two services on one data directory would each recover the journal and then write records
// of their own between the other's: the second is refused, naming the holder, until the first
// is gone (the lock goes with it, as with a process that ends however it ends).
TEST_F(ServiceTest, ASecondServiceOnTheSameDataDirectoryIsRefusedWhileTheFirstRuns) {
  auto first = open();
  ASSERT_TRUE(first);
  EXPECT_EQ(ingest(*first, std::string(kOrder) + "\n").accepted, 1U);
  ServiceOptions options;
  options.data_dir = dir_.string();
  auto second = Service::open(options, clock_);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("data directory " + dir_.string() + " is in use by orderguard serve (process " + std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.error();
  const std::string before = incidents(*first);
  first.reset();
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(incidents(*again), before);  // the refused one wrote nothing
}

TEST_F(ServiceTest, BadConfigurationIsRefusedAtOpen) {
  ServiceOptions options;
  options.data_dir = dir_.string();
  options.rules_toml = "[types.NO_SUCH_TYPE]\nenabled = true\n";
  options.rules_source = "rules.toml";
  auto service = Service::open(options, clock_);
  ASSERT_FALSE(service);
  EXPECT_NE(service.error().find("rules.toml"), std::string::npos) << service.error();
}

}  // namespace
}  // namespace og::server
