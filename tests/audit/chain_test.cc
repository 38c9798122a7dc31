// The audit chain finds every kind of tampering with the store and says where: an edited
// link, a deleted one, an inserted one, two swapped, the tail cut off, a rewritten chain with
// fresh hashes, a forged checkpoint. The store file is tampered with through SQLite itself.
#include "audit/chain.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace og::audit {
namespace {

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("og-audit-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto store = store::Store::open(dir_.string());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
    auto signer = Signer::load_or_create(dir_.string());
    ASSERT_TRUE(signer) << signer.error();
    signer_.emplace(std::move(*signer));
    Chain chain(*store_);
    std::vector<store::AuditRow> rows;
    for (int i = 1; i <= 10; ++i) {
      rows.push_back(store::AuditRow{0, 1000 * i, "incident", "inc-" + std::to_string(i), "O" + std::to_string(i % 3), "",
                                     "incident:" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}", {}, {}});
    }
    auto linked = chain.link(rows, *store_);
    ASSERT_TRUE(store_->append({}, {}, {}, linked));
    chain.commit(linked);
    ASSERT_TRUE(store_->add_checkpoint(signer_->sign(chain.tail_seq(), chain.tail_hash(), 0)));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "orderguard.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_close(db);
  }

  std::string problems() {
    const VerifyReport report = verify(*store_);
    std::string out;
    for (const std::string& problem : report.problems) out += problem + "\n";
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::optional<Signer> signer_;
};

TEST_F(ChainTest, AnUntouchedChainVerifies) {
  const VerifyReport report = verify(*store_, signer_->public_key());
  EXPECT_TRUE(report.ok()) << problems();
  EXPECT_EQ(report.links, 10U);
  EXPECT_EQ(report.checkpoints, 1U);
  EXPECT_EQ(report.last_checkpoint, 10U);
}

TEST_F(ChainTest, LinksAlreadyThereAreNotLinkedAgain) {
  Chain chain(*store_);
  std::vector<store::AuditRow> again{{0, 1, "incident", "inc-3", "", "", "incident:3", "{}", {}, {}},
                                     {0, 2, "command", "cmd-1", "", "", "command:cmd-1", "{}", {}, {}}};
  const auto linked = chain.link(again, *store_);
  ASSERT_EQ(linked.size(), 1U);
  EXPECT_EQ(linked[0].seq, 11U);
}

TEST_F(ChainTest, WithoutStoreLookupsALinkAlreadyThereIsRefusedByTheStoreAndTheRetryWithThemSkipsIt) {
  // The service turns the lookups off outside recovery and retries a refused write with them on.
  Chain chain(*store_);
  chain.check_store(false);
  std::vector<store::AuditRow> rows{{0, 1, "incident", "inc-3", "", "", "incident:3", "{}", {}, {}},
                                    {0, 2, "command", "cmd-1", "", "", "command:cmd-1", "{}", {}, {}}};
  auto linked = chain.link(rows, *store_);
  ASSERT_EQ(linked.size(), 2U);
  EXPECT_FALSE(store_->append({}, {}, {}, linked));  // the key is unique
  chain.check_store(true);
  linked = chain.link(rows, *store_);
  ASSERT_EQ(linked.size(), 1U);
  ASSERT_TRUE(store_->append({}, {}, {}, linked));
  chain.commit(linked);
  EXPECT_TRUE(verify(*store_, signer_->public_key()).ok()) << problems();
  EXPECT_EQ(chain.tail_seq(), 11U);
}

TEST_F(ChainTest, AnEditedLinkIsFound) {
  tamper("UPDATE audit SET body = '{\"n\":99}' WHERE seq = 4");
  EXPECT_NE(problems().find("link 4 (incident inc-4): its content was changed"), std::string::npos) << problems();
}

TEST_F(ChainTest, ADeletedLinkIsFound) {
  tamper("DELETE FROM audit WHERE seq = 6");
  EXPECT_NE(problems().find("links 6..6 are missing"), std::string::npos) << problems();
}

TEST_F(ChainTest, AnInsertedLinkIsFound) {
  // Room is made by renumbering, as someone hiding an insertion would.
  tamper("UPDATE audit SET seq = seq + 100 WHERE seq > 5; UPDATE audit SET seq = seq - 99 WHERE seq > 100;"
         "INSERT INTO audit(seq, at, kind, subject, order_id, actor, key, body, prev_hash, hash) "
         "SELECT 6, at, kind, 'inc-x', order_id, actor, 'forged', body, prev_hash, hash FROM audit WHERE seq = 5");
  const std::string found = problems();
  EXPECT_NE(found.find("link 6: does not follow"), std::string::npos) << found;
  EXPECT_NE(found.find("link 6 (incident inc-x): its content was changed"), std::string::npos) << found;
  EXPECT_NE(found.find("checkpoint at link 10: the chain up to it was rewritten"), std::string::npos) << found;
}

TEST_F(ChainTest, ReorderedLinksAreFound) {
  tamper("UPDATE audit SET seq = 100 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 7; UPDATE audit SET seq = 7 WHERE seq = 100");
  const std::string found = problems();
  EXPECT_NE(found.find("link 3: does not follow"), std::string::npos) << found;
  EXPECT_NE(found.find("link 3 (incident inc-7): its content was changed"), std::string::npos) << found;
}

TEST_F(ChainTest, ACutTailIsFoundByTheCheckpoint) {
  tamper("DELETE FROM audit WHERE seq > 8");
  EXPECT_NE(problems().find("checkpoint at link 10: that link is gone"), std::string::npos) << problems();
}

TEST_F(ChainTest, ARewrittenChainWithFreshHashesIsFoundByTheCheckpoint) {
  // Rewrite link 2 and re-hash everything after it: the links agree again, the signature not.
  tamper("UPDATE audit SET body = '{\"n\":-2}' WHERE seq = 2");
  std::vector<store::AuditRow> rows;
  auto read = store_->read_audit(0, {}, [&](store::AuditRow&& row) {
    rows.push_back(std::move(row));
    return true;
  });
  ASSERT_TRUE(read);
  std::string prev = genesis_hash();
  for (store::AuditRow& row : rows) {
    row.prev_hash = prev;
    row.hash = link_hash(row);
    prev = row.hash;
  }
  tamper("DELETE FROM audit");
  ASSERT_TRUE(store_->append({}, {}, {}, rows));
  const std::string found = problems();
  EXPECT_EQ(found.find("content was changed"), std::string::npos) << found;
  EXPECT_NE(found.find("checkpoint at link 10: the chain up to it was rewritten"), std::string::npos) << found;
}

TEST_F(ChainTest, AForgedCheckpointIsFound) {
  tamper("UPDATE audit_checkpoints SET hash = zeroblob(32)");
  EXPECT_NE(problems().find("checkpoint at link 10: the signature does not verify"), std::string::npos) << problems();
}

TEST_F(ChainTest, ACheckpointSignedByAnotherKeyIsFoundWhenTheKeyIsKnown) {
  std::filesystem::path other = dir_ / "other";
  std::filesystem::create_directories(other);
  auto forger = Signer::load_or_create(other.string());
  ASSERT_TRUE(forger);
  auto tail = store_->audit_tail();
  ASSERT_TRUE(store_->add_checkpoint(forger->sign(tail->first, tail->second, 0)));
  EXPECT_TRUE(verify(*store_).ok());  // without a trusted key it is only self-consistent
  const VerifyReport report = verify(*store_, signer_->public_key());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems[0].find("signed by another key"), std::string::npos);
}

TEST_F(ChainTest, TheSigningKeyIsKeptAcrossRestarts) {
  auto again = Signer::load_or_create(dir_.string());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), signer_->public_key());
  EXPECT_EQ(std::filesystem::status(dir_ / "audit.key").permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
}

}  // namespace
}  // namespace og::audit
