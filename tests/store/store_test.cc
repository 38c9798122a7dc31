// The embedded store: journal order and durability across reopen, snapshots kept, the outbox
// idempotent by command id with per-sink delivery and retry, tokens stored as hashes.
#include "store/store.h"
#include "store_fixture.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace og::store {
namespace {

class StoreTest : public StoreDirTest {
 protected:
  StoreTest() : StoreDirTest("og-store-") {}
};

TEST_F(StoreTest, JournalKeepsOrderAndSurvivesReopen) {
  {
    auto store = open();
    std::vector<Record> first{{0, RecordKind::kEvents, 100, "{\"a\":1}\n"}, {0, RecordKind::kClock, 200, ""}};
    ASSERT_TRUE(store->append(first, {}, {}));
    EXPECT_EQ(first[0].seq, 1U);
    EXPECT_EQ(first[1].seq, 2U);
    std::vector<Record> second{{0, RecordKind::kRules, 300, "[types]\n"}};
    ASSERT_TRUE(store->append(second, {}, {}));
    EXPECT_EQ(second[0].seq, 3U);
  }
  auto store = open();
  EXPECT_EQ(store->last_seq(), 3U);
  const auto records = read_all(*store);
  ASSERT_EQ(records.size(), 3U);
  EXPECT_EQ(records[0].body, "{\"a\":1}\n");
  EXPECT_EQ(records[1].kind, RecordKind::kClock);
  EXPECT_EQ(records[1].at, 200);
  EXPECT_EQ(records[2].kind, RecordKind::kRules);
  EXPECT_EQ(read_all(*store, nullptr, 2).size(), 1U);
  // Numbering goes on without a gap after a reopen.
  std::vector<Record> third{{0, RecordKind::kEvents, 400, "x"}};
  ASSERT_TRUE(store->append(third, {}, {}));
  EXPECT_EQ(third[0].seq, 4U);
}

TEST_F(StoreTest, BinaryBodiesComeBackByteForByte) {
  auto store = open();
  std::string body;
  std::mt19937 random(7);
  for (int i = 0; i < 5000; ++i) body.push_back(static_cast<char>(random()));
  std::vector<Record> records{{0, RecordKind::kEvents, 1, body}};
  ASSERT_TRUE(store->append(records, {}, {}));
  EXPECT_EQ(read_all(*store).at(0).body, body);
}

TEST_F(StoreTest, OutboxIgnoresACommandIdItHolds) {
  auto store = open();
  store->set_sinks({"file", "webhook"});
  std::vector<OutboxItem> commands{{"cmd-1", 0, "{\"id\":\"cmd-1\"}"}, {"cmd-2", 0, "{\"id\":\"cmd-2\"}"}};
  ASSERT_TRUE(store->append({}, commands, {}));
  // The same commands derived again (a replay after a restart) create nothing.
  ASSERT_TRUE(store->append({}, commands, {}));
  EXPECT_EQ(store->outbox_count(), 2U);
  EXPECT_EQ(store->undelivered_count("file"), 2U);
  EXPECT_EQ(store->undelivered_count("webhook"), 2U);

  auto due = store->pending("file", 0, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2U);
  EXPECT_EQ((*due)[0].id, "cmd-1");  // in emission order
  const std::vector<std::string> ids{"cmd-1"};
  ASSERT_TRUE(store->mark_delivered("file", ids, 5));
  EXPECT_EQ(store->undelivered_count("file"), 1U);
  EXPECT_EQ(store->undelivered_count("webhook"), 2U);  // each sink on its own

  // A failed delivery waits for its retry time and counts its attempts.
  ASSERT_TRUE(store->mark_failed("webhook", "cmd-1", 1000, "connection refused"));
  due = store->pending("webhook", 999, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1U);
  EXPECT_EQ((*due)[0].id, "cmd-2");
  due = store->pending("webhook", 1000, 10);
  ASSERT_EQ(due->size(), 2U);
  EXPECT_EQ((*due)[0].attempts, 1);
}

TEST_F(StoreTest, IncidentRowsAreUpdatedInPlace) {
  auto store = open();
  std::vector<IncidentRow> rows{{"inc-1", "{\"status\":\"open\"}", "PAYMENT_TIMEOUT", "open", "low", 20, "O1", 5}};
  ASSERT_TRUE(store->append({}, {}, rows));
  rows[0].status = "resolved";
  rows[0].json = "{\"status\":\"resolved\"}";
  ASSERT_TRUE(store->append({}, {}, rows));
  EXPECT_EQ(store->incident_count(), 1U);
  auto row = store->incident("inc-1");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->status, "resolved");
  EXPECT_EQ((*row)->order_id, "O1");
  auto missing = store->incident("inc-2");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(StoreTest, SnapshotsKeepTheNewest) {
  auto store = open();
  auto none = store->latest_snapshot();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(store->save_snapshot(10, "ten", 2));
  ASSERT_TRUE(store->save_snapshot(20, "twenty", 2));
  ASSERT_TRUE(store->save_snapshot(30, std::string("thirty\0x", 8), 2));
  auto latest = store->latest_snapshot();
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->first, 30U);
  EXPECT_EQ((*latest)->second, std::string("thirty\0x", 8));
}

TEST_F(StoreTest, TokensAreLookedUpByHashAndCanBeRevoked) {
  auto store = open();
  const std::array<unsigned char, 4> hash{1, 2, 3, 4};
  ASSERT_TRUE(store->add_token(TokenRow{"tok-1", "viewer", "ops", 100, false, ""}, hash));
  ASSERT_TRUE(store->token(hash));
  EXPECT_EQ(store->token(hash)->role, "viewer");
  const std::array<unsigned char, 4> other{1, 2, 3, 5};
  EXPECT_FALSE(store->token(other));
  auto revoked = store->revoke_token("tok-1");
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  EXPECT_FALSE(store->token(hash));
  revoked = store->revoke_token("tok-1");
  EXPECT_FALSE(*revoked);  // already revoked
  auto tokens = store->tokens();
  ASSERT_TRUE(tokens);
  ASSERT_EQ(tokens->size(), 1U);
  EXPECT_TRUE((*tokens)[0].revoked);
}

TEST_F(StoreTest, ASecondConnectionSeesNewCommits) {
  // The outbox thread reads with its own connection while the engine thread writes.
  auto writer = open();
  auto reader = open();
  writer->set_sinks({"file"});
  EXPECT_EQ(reader->undelivered_count("file"), 0U);
  std::vector<OutboxItem> commands{{"cmd-1", 0, "{}"}};
  ASSERT_TRUE(writer->append({}, commands, {}));
  EXPECT_EQ(reader->undelivered_count("file"), 1U);
  std::vector<OutboxItem> more{{"cmd-2", 0, "{}"}};
  ASSERT_TRUE(writer->append({}, more, {}));
  auto due = reader->pending("file", 0, 10);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->size(), 2U);
}

TEST_F(StoreTest, AWriterLeavesWalCheckpointsToASecondConnection) {
  auto writer = open();
  auto checkpointer = open();
  ASSERT_TRUE(writer->set_auto_checkpoint(false));
  std::string body;  // random bytes: compression (schema 3) leaves them as they are
  std::mt19937 random(3);
  for (int i = 0; i < (64 << 10); ++i) body.push_back(static_cast<char>(random()));
  for (int i = 0; i < 40; ++i) {
    std::vector<Record> records{{0, RecordKind::kEvents, i, body}};
    ASSERT_TRUE(writer->append(records, {}, {}));
  }
  const std::uint64_t grown = writer->wal_frames();
  EXPECT_GT(grown, 600U);  // 2.5 MiB of bodies, never copied by the writer
  auto done = checkpointer->checkpoint_wal();
  ASSERT_TRUE(done) << done.error();
  EXPECT_EQ(done->frames, grown);
  EXPECT_EQ(done->copied, grown);
  // Everything copied: the next commit starts the WAL again from its beginning.
  std::vector<Record> one{{0, RecordKind::kEvents, 99, "{}"}};
  ASSERT_TRUE(writer->append(one, {}, {}));
  EXPECT_LT(writer->wal_frames(), 10U);
  writer.reset();
  checkpointer.reset();
  const auto records = read_all(*open());
  ASSERT_EQ(records.size(), 41U);
  EXPECT_EQ(records[39].body, body);
  EXPECT_EQ(records[40].seq, 41U);
}

TEST_F(StoreTest, AFileThatIsNotADatabaseIsRefusedWithAClearError) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "orderguard.db") << "this is not sqlite, just some text that is long enough to be read as a header....";
  auto store = Store::open(dir_.string());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("orderguard.db"), std::string::npos) << store.error();
}

TEST_F(StoreTest, AnUncreatableDirectoryIsRefusedWithAClearError) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  auto store = Store::open((dir_ / "file" / "sub").string());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("--data"), std::string::npos) << store.error();
}

}  // namespace
}  // namespace og::store

namespace og::store {
namespace {

TEST_F(StoreTest, ReadingADamagedFileSaysWhatToDo) {
  {
    auto store = open();
    std::vector<Record> records{{0, RecordKind::kEvents, 100, std::string(20000, 'x')}};
    ASSERT_TRUE(store->append(records, {}, {}));
  }
  // Every page after the schema's overwritten, as a disk fault might (WAL folded in first).
  sql("PRAGMA wal_checkpoint(TRUNCATE)");
  {
    std::fstream file(database(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(file.tellg());
    ASSERT_GT(size, 8192U);
    file.seekp(4096);
    file << std::string(size - 4096, '\xff');
  }
  auto store = Store::open(dir_.string());
  std::string error = store ? "" : store.error();
  if (store) {
    const auto read = (*store)->read_journal(0, [](Record&&) { return true; });
    ASSERT_FALSE(read);
    error = read.error();
  }
  EXPECT_NE(error.find("restore orderguard.db, with its -wal file, from a backup"), std::string::npos) << error;
}

}  // namespace
}  // namespace og::store
