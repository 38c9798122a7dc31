// Journal bodies compressed before sealing (schema 3): stored smaller, read back byte for
// byte, records of older versions (as received, sealed or clear) read beside new ones, a body
// whose encoding was flipped does not open, and a damaged compressed body is an error that
// names the record.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "store/keyring.h"
#include "store/store.h"
#include "store_fixture.h"

namespace og::store {
namespace {

class JournalEncodingTest : public StoreDirTest {
 protected:
  JournalEncodingTest() : StoreDirTest("og-encoding-") {}
  static MasterKey key() { return *master_key_from_hex(std::string(64, 'a'), "key a"); }
};

// A POST body much like a real one: NDJSON lines that repeat their keys, with varying values.
std::string ndjson(int lines, unsigned seed) {
  std::mt19937 random(seed);
  std::string out;
  for (int i = 0; i < lines; ++i) {
    out += R"({"id":"e)" + std::to_string(random() % 1000000) + R"(","type":"order.paid","ts":"2026-11-21T10:)" +
           std::to_string(10 + random() % 50) + R"(:00+08:00","order_id":"O)" + std::to_string(random() % 5000) +
           R"(","user_id":"U)" + std::to_string(random() % 900) + R"(","amount":)" + std::to_string(random() % 20000) + "}\n";
  }
  return out;
}

std::vector<Record> batch(TimeMs at, unsigned seed) {
  return {{0, RecordKind::kEvents, at, ndjson(200, seed)}, {0, RecordKind::kClock, at + 1, ""},
          {0, RecordKind::kRules, at + 2, "[rules]\n"}};
}

TEST_F(JournalEncodingTest, BodiesAreStoredCompressedAndReadBackByteForByte) {
  std::vector<Record> records = batch(1, 1);
  {
    auto store = open();
    store->attach_keys(*KeyRing::open(*store, key(), 1));
    ASSERT_TRUE(store->append(records, {}, {}));
  }
  // The NDJSON body is compressed; the empty and the short one are stored as received.
  EXPECT_EQ(sql_integer("SELECT encoding FROM journal WHERE seq = 1"), 1);
  EXPECT_EQ(sql_integer("SELECT COUNT(*) FROM journal WHERE seq > 1 AND encoding = 0"), 2);
  EXPECT_LT(sql_integer("SELECT length(body) FROM journal WHERE seq = 1"), static_cast<std::int64_t>(records[0].body.size() / 3));
  EXPECT_EQ(sql_integer("SELECT value FROM settings WHERE key = 'schema_version'"), 3);
  auto store = open();
  store->attach_keys(*KeyRing::open(*store, key(), 1));
  std::string error;
  const auto all = read_all(*store, &error);
  ASSERT_EQ(all.size(), 3U) << error;
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].body, records[i].body);
    EXPECT_EQ(all[i].kind, records[i].kind);
  }
}

TEST_F(JournalEncodingTest, RecordsOfOlderVersionsAndCompressedOnesReadAsOneJournal) {
  const std::vector<Record> clear_old = batch(1, 1);
  const std::vector<Record> sealed_old = batch(10, 2);
  const std::vector<Record> clear_new = batch(20, 3);
  const std::vector<Record> sealed_new = batch(30, 4);
  {
    // What a schema-2 version wrote: bodies as received, first in clear, then sealed.
    auto store = open();
    ASSERT_TRUE(store->set_journal_compression(std::nullopt));
    std::vector<Record> records = clear_old;
    ASSERT_TRUE(store->append(records, {}, {}));
    store->attach_keys(*KeyRing::open(*store, key(), 1));
    records = sealed_old;
    ASSERT_TRUE(store->append(records, {}, {}));
  }
  // ... in a schema-2 table, which had no encoding column.
  sql("ALTER TABLE journal DROP COLUMN encoding; UPDATE settings SET value = '2' WHERE key = 'schema_version'");
  {
    auto store = open();  // migrates to schema 3
    std::vector<Record> records = clear_new;
    ASSERT_TRUE(store->append(records, {}, {}));
    store->attach_keys(*KeyRing::open(*store, key(), 1));
    records = sealed_new;
    ASSERT_TRUE(store->append(records, {}, {}));
  }
  EXPECT_EQ(sql_integer("SELECT value FROM settings WHERE key = 'schema_version'"), 3);
  EXPECT_EQ(sql_text("SELECT group_concat(seq) FROM journal WHERE encoding = 1"), "7,10");
  EXPECT_EQ(sql_text("SELECT group_concat(seq) FROM journal WHERE key_id = 0"), "1,2,3,7,8,9");
  std::vector<Record> expected;
  for (const auto* part : {&clear_old, &sealed_old, &clear_new, &sealed_new}) expected.insert(expected.end(), part->begin(), part->end());
  const auto same_bodies = [&](const Store& store) {
    std::string error;
    const auto all = read_all(store, &error);
    ASSERT_EQ(all.size(), expected.size()) << error;
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].seq, i + 1);
      EXPECT_EQ(all[i].kind, expected[i].kind);
      EXPECT_EQ(all[i].at, expected[i].at);
      EXPECT_EQ(all[i].body, expected[i].body) << "record " << i + 1;
    }
  };
  auto store = open();
  store->attach_keys(*KeyRing::open(*store, key(), 1));
  same_bodies(*store);
  // Sealing the clear records in place keeps each one's encoding, old and new alike.
  const auto sealed = store->seal_clear_records();
  ASSERT_TRUE(sealed) << sealed.error();
  EXPECT_EQ(*sealed, 6U);
  EXPECT_EQ(sql_text("SELECT group_concat(seq) FROM journal WHERE encoding = 1"), "7,10");
  same_bodies(*store);
}

TEST_F(JournalEncodingTest, FramesOfEveryLevelReadAsOneJournal) {
  // Level 1 is what versions before decision 55 wrote; the default is a fast level now, and a
  // store may be set to any other. The frames differ, the bodies read back do not.
  ASSERT_NE(kJournalZstdLevel, 1);
  const std::vector<int> levels = {1, kJournalZstdLevel, -7, 3};
  std::vector<Record> expected;
  {
    auto store = open();
    store->attach_keys(*KeyRing::open(*store, key(), 1));
    for (std::size_t i = 0; i < levels.size(); ++i) {
      ASSERT_TRUE(store->set_journal_compression(levels[i]));
      std::vector<Record> records = {{0, RecordKind::kEvents, static_cast<TimeMs>(i + 1), ndjson(300, 7)}};
      ASSERT_TRUE(store->append(records, {}, {}));
      expected.push_back(records[0]);
    }
  }
  EXPECT_EQ(sql_integer("SELECT COUNT(*) FROM journal WHERE encoding = 1"), 4);
  // The same body at four levels: level 1's frame is smaller than the fast levels'.
  EXPECT_LT(sql_integer("SELECT length(body) FROM journal WHERE seq = 1"), sql_integer("SELECT length(body) FROM journal WHERE seq = 2"));
  EXPECT_LT(sql_integer("SELECT length(body) FROM journal WHERE seq = 2"), sql_integer("SELECT length(body) FROM journal WHERE seq = 3"));
  auto store = open();
  store->attach_keys(*KeyRing::open(*store, key(), 1));
  std::string error;
  const auto all = read_all(*store, &error);
  ASSERT_EQ(all.size(), expected.size()) << error;
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].body, expected[i].body) << "level " << levels[i];
}

TEST_F(JournalEncodingTest, ADamagedCompressedBodyIsAnErrorNamingTheRecord) {
  for (const std::string damage : {"CAST(substr(body, 1, 40) || x'deadbeef' || substr(body, 45) AS BLOB)",
                                   "CAST(substr(body, 1, length(body) - 9) AS BLOB)", "x'28b52ffd'"}) {
    std::filesystem::remove_all(dir_);
    {
      auto store = open();
      std::vector<Record> records = batch(1, 1);
      records.push_back({0, RecordKind::kEvents, 4, ndjson(100, 9)});
      ASSERT_TRUE(store->append(records, {}, {}));
    }
    ASSERT_EQ(sql_integer("SELECT encoding FROM journal WHERE seq = 4"), 1);
    sql("UPDATE journal SET body = " + damage + " WHERE seq = 4");
    auto store = open();
    std::string error;
    const auto all = read_all(*store, &error);
    EXPECT_EQ(all.size(), 3U) << damage;
    EXPECT_NE(error.find("journal record 4: the compressed body is damaged"), std::string::npos) << damage << ": " << error;
  }
}

TEST_F(JournalEncodingTest, ASealedBodyWhoseEncodingWasFlippedDoesNotOpen) {
  {
    auto store = open();
    store->attach_keys(*KeyRing::open(*store, key(), 1));
    std::vector<Record> records = batch(1, 1);
    ASSERT_TRUE(store->append(records, {}, {}));
  }
  // Compressed read as received, and as received read as compressed: both are refused by the seal.
  sql("UPDATE journal SET encoding = 0 WHERE seq = 1; UPDATE journal SET encoding = 1 WHERE seq = 3");
  auto store = open();
  store->attach_keys(*KeyRing::open(*store, key(), 1));
  std::string error;
  EXPECT_TRUE(read_all(*store, &error).empty());
  EXPECT_NE(error.find("journal record 1: does not authenticate"), std::string::npos) << error;
  sql("UPDATE journal SET encoding = 1 WHERE seq = 1");
  const auto all = read_all(*store, &error);
  EXPECT_EQ(all.size(), 2U);
  EXPECT_NE(error.find("journal record 3: does not authenticate"), std::string::npos) << error;
}

TEST_F(JournalEncodingTest, AnEncodingOfANewerVersionIsNamed) {
  {
    auto store = open();
    std::vector<Record> records = batch(1, 1);
    ASSERT_TRUE(store->append(records, {}, {}));
  }
  sql("UPDATE journal SET encoding = 9 WHERE seq = 2");
  auto store = open();
  std::string error;
  EXPECT_EQ(read_all(*store, &error).size(), 1U);
  EXPECT_NE(error.find("journal record 2: unknown body encoding 9"), std::string::npos) << error;
}

}  // namespace
}  // namespace og::store
