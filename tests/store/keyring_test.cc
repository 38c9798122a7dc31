// Encryption at rest (store/keyring): journal bodies and vault rows sealed and opened again,
// nothing in clear in the database files, records bound to their place, a wrong or missing
// master key refused with both keys named, rotation re-wrapping without losing a record, and
// a journal written in clear by an older version sealed in place.
#include "store/keyring.h"
#include "store_fixture.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace og::store {
namespace {

constexpr std::string_view kSecret = "13812341234 清河小区3号楼2单元501";

class KeyRingTest : public StoreDirTest {
 protected:
  KeyRingTest() : StoreDirTest("og-keyring-") {}
  void SetUp() override {
    StoreDirTest::SetUp();
    ::unsetenv(kMasterKeyEnv);
  }
  static MasterKey key(char digit) { return *master_key_from_hex(std::string(64, digit), std::string("key ") + digit); }
  // Every byte of every file of the data directory.
  std::string raw_files() const {
    std::string all;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      all += bytes.str();
    }
    return all;
  }
};

TEST_F(KeyRingTest, JournalAndVaultAreSealedOnDiskAndReadBackInClear) {
  {
    auto store = open();
    auto ring = KeyRing::open(*store, key('a'), 1);
    ASSERT_TRUE(ring) << ring.error();
    store->attach_keys(*ring);
    std::vector<Record> records{{0, RecordKind::kEvents, 1, "{\"phone\":\"" + std::string(kSecret) + "\"}\n"}, {0, RecordKind::kClock, 2, ""}};
    std::vector<CustomerRow> customers{{"user:U1", 5, "{\"phone\":\"" + std::string(kSecret) + "\"}"}};
    ASSERT_TRUE(store->append(records, {}, {}, {}, customers));
    // An older event time never replaces a newer one.
    std::vector<CustomerRow> older{{"user:U1", 4, "{\"phone\":\"older\"}"}};
    ASSERT_TRUE(store->append({}, {}, {}, {}, older));
  }
  EXPECT_EQ(raw_files().find("13812341234"), std::string::npos);
  auto store = open();
  std::string error;
  EXPECT_TRUE(read_all(*store, &error).empty());
  EXPECT_NE(error.find("journal record 1 is encrypted and no master key was given"), std::string::npos) << error;
  store->attach_keys(*KeyRing::open(*store, key('a'), 1));
  const auto records = read_all(*store, &error);
  ASSERT_EQ(records.size(), 2U) << error;
  EXPECT_NE(records[0].body.find(kSecret), std::string::npos);
  EXPECT_EQ(records[1].body, "");
  const auto customer = store->customer("user:U1");
  ASSERT_TRUE(customer && *customer);
  EXPECT_EQ((*customer)->ts, 5);
  EXPECT_NE((*customer)->json.find(kSecret), std::string::npos);
}

TEST_F(KeyRingTest, EverySealTakesANewNonceAndTwoKeyRingsOnOneKeyNeverShareOne) {
  auto store = open();
  auto first = KeyRing::open(*store, key('a'), 1);
  auto second = KeyRing::open(*store, key('a'), 1);  // a restart: the same data key
  ASSERT_TRUE(first && second);
  ASSERT_EQ((*first)->current_id(), (*second)->current_id());
  constexpr std::size_t kNonce = 24;
  std::set<std::string> nonces;
  std::vector<unsigned char> buffer;
  for (int i = 0; i < 1000; ++i) {
    for (const auto& ring : {*first, *second}) {
      const std::string sealed = ring->seal(kSecret, "row");
      EXPECT_TRUE(nonces.insert(sealed.substr(0, kNonce)).second) << "a nonce repeated at seal " << i;
      const auto into = ring->seal_into(buffer, kSecret, "row");
      EXPECT_TRUE(nonces.insert(std::string(reinterpret_cast<const char*>(into.data()), kNonce)).second);
      // Each opens, with the other ring too: the nonce travels with the bytes.
      for (const auto& reader : {*first, *second}) {
        const auto opened = reader->open(ring->current_id(), sealed, "row");
        ASSERT_TRUE(opened) << opened.error();
        EXPECT_EQ(*opened, kSecret);
        EXPECT_FALSE(reader->open(ring->current_id(), sealed, "another row"));
      }
    }
  }
  EXPECT_EQ(nonces.size(), 4000U);
}

TEST_F(KeyRingTest, VaultIsNeverWrittenInClear) {
  auto store = open();
  std::vector<CustomerRow> customers{{"user:U1", 5, "{}"}};
  const auto written = store->append({}, {}, {}, {}, customers);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().find("no key ring"), std::string::npos);
}

TEST_F(KeyRingTest, RecordsMovedBetweenPlacesDoNotOpen) {
  {
    auto store = open();
    store->attach_keys(*KeyRing::open(*store, key('a'), 1));
    std::vector<Record> records{{0, RecordKind::kEvents, 1, "first"}, {0, RecordKind::kEvents, 2, "second"}};
    ASSERT_TRUE(store->append(records, {}, {}));
  }
  sql("UPDATE journal SET body = (SELECT body FROM journal WHERE seq = 1) WHERE seq = 2");
  auto store = open();
  store->attach_keys(*KeyRing::open(*store, key('a'), 1));
  std::string error;
  const auto records = read_all(*store, &error);
  EXPECT_EQ(records.size(), 1U);
  EXPECT_NE(error.find("journal record 2: does not authenticate"), std::string::npos) << error;
}

TEST_F(KeyRingTest, WrongMasterKeyIsRefusedNamingBothKeys) {
  {
    auto store = open();
    ASSERT_TRUE(KeyRing::open(*store, key('a'), 1));
  }
  auto store = open();
  const auto ring = KeyRing::open(*store, key('b'), 1);
  ASSERT_FALSE(ring);
  EXPECT_NE(ring.error().find(key('b').id()), std::string::npos) << ring.error();
  EXPECT_NE(ring.error().find(key('a').id()), std::string::npos) << ring.error();
  EXPECT_NE(ring.error().find("--master-key-file"), std::string::npos) << ring.error();
}

TEST_F(KeyRingTest, MasterKeyFileIsCreatedOnceAndThenRequired) {
  auto store = open();
  auto created = load_master_key(*store, dir_.string(), "");
  ASSERT_TRUE(created) << created.error();
  EXPECT_TRUE(created->created);
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "master.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
  ASSERT_TRUE(KeyRing::open(*store, *created, 1));
  auto again = load_master_key(*store, dir_.string(), "");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id(), created->id());
  // Without the file, an encrypted directory does not get a new key: it asks for the old one.
  std::filesystem::remove(dir_ / "master.key");
  const auto missing = load_master_key(*store, dir_.string(), "");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find(created->id()), std::string::npos) << missing.error();
  // The variable comes before the file.
  ::setenv(kMasterKeyEnv, std::string(64, 'c').c_str(), 1);
  auto from_env = load_master_key(*store, dir_.string(), "");
  ::unsetenv(kMasterKeyEnv);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->id(), key('c').id());
  EXPECT_FALSE(master_key_from_hex("abc", "x"));
  EXPECT_FALSE(master_key_from_hex(std::string(64, 'g'), "x"));
  EXPECT_FALSE(read_master_key_file((dir_ / "absent").string()));
}

TEST_F(KeyRingTest, RotationRewrapsEveryDataKeyAndKeepsOldRecordsReadable) {
  {
    auto store = open();
    store->attach_keys(*KeyRing::open(*store, key('a'), 1));
    std::vector<Record> records{{0, RecordKind::kEvents, 1, "before"}};
    ASSERT_TRUE(store->append(records, {}, {}));
    const auto report = rotate_master_key(*store, key('a'), key('b'), 2);
    ASSERT_TRUE(report) << report.error();
    EXPECT_EQ(report->rewrapped, 1U);
    EXPECT_EQ(report->new_data_key, 2U);
    EXPECT_FALSE(rotate_master_key(*store, key('a'), key('c'), 3)) << "the old key no longer opens anything";
    EXPECT_FALSE(rotate_master_key(*store, key('b'), key('b'), 3));
  }
  auto store = open();
  EXPECT_FALSE(KeyRing::open(*store, key('a'), 3));
  auto ring = KeyRing::open(*store, key('b'), 3);
  ASSERT_TRUE(ring) << ring.error();
  EXPECT_EQ((*ring)->current_id(), 2U);
  store->attach_keys(*ring);
  std::vector<Record> records{{0, RecordKind::kEvents, 3, "after"}};
  ASSERT_TRUE(store->append(records, {}, {}));
  const auto all = read_all(*store);
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].body, "before");
  EXPECT_EQ(all[1].body, "after");
}

TEST_F(KeyRingTest, ClearRecordsOfAnOlderVersionAreSealedInPlace) {
  {
    auto store = open();
    std::vector<Record> records{{0, RecordKind::kEvents, 1, std::string(kSecret)}, {0, RecordKind::kRules, 2, "[rules]"}};
    ASSERT_TRUE(store->append(records, {}, {}));
  }
  ASSERT_NE(raw_files().find("13812341234"), std::string::npos);
  {
    auto store = open();
    store->attach_keys(*KeyRing::open(*store, key('a'), 1));
    const auto sealed = store->seal_clear_records();
    ASSERT_TRUE(sealed) << sealed.error();
    EXPECT_EQ(*sealed, 2U);
    EXPECT_EQ(*store->seal_clear_records(), 0U);
    const auto all = read_all(*store);
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0].body, kSecret);
  }
  EXPECT_EQ(raw_files().find("13812341234"), std::string::npos);
}

}  // namespace
}  // namespace og::store
