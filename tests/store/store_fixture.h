// tests/store: what the store's tests share: a data directory of the test's own (emptied before
// and removed after), the store opened on it, SQL straight on its database for the tests that
// tamper with what is on disk, and the journal read back whole.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace og::store {

class StoreDirTest : public ::testing::Test {
 protected:
  // `prefix` names the directory under the system's temporary one, with the pid and the test.
  explicit StoreDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (prefix_ + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Store> open() {
    auto store = Store::open(dir_.string());
    EXPECT_TRUE(store) << store.error();
    return std::move(*store);
  }
  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  // The first column of the query's first row (-1, or "", when there is none).
  std::int64_t sql_integer(const std::string& query) {
    std::int64_t value = -1;
    first_row(query, [&](sqlite3_stmt* row) { value = sqlite3_column_int64(row, 0); });
    return value;
  }
  std::string sql_text(const std::string& query) {
    std::string value;
    first_row(query, [&](sqlite3_stmt* row) {
      if (sqlite3_column_text(row, 0) != nullptr) value = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
    });
    return value;
  }
  std::filesystem::path database() const { return dir_ / "orderguard.db"; }

  std::filesystem::path dir_;

 private:
  template <typename Read>
  void first_row(const std::string& query, Read read) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(database().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, query.c_str(), -1, &statement, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    if (sqlite3_step(statement) == SQLITE_ROW) read(statement);
    sqlite3_finalize(statement);
    sqlite3_close(db);
  }
  std::string prefix_;
};

// The journal's records after `after`, in order. What stopped the read goes to `error` ("" when
// nothing did); without `error`, a read that stopped fails the test.
inline std::vector<Record> read_all(const Store& store, std::string* error = nullptr, std::uint64_t after = 0) {
  std::vector<Record> out;
  auto ok = store.read_journal(after, [&](Record&& record) {
    out.push_back(std::move(record));
    return true;
  });
  if (error) {
    *error = ok ? "" : ok.error();
  } else {
    EXPECT_TRUE(ok) << ok.error();
  }
  return out;
}

}  // namespace og::store
