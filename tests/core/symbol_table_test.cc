#include "core/symbol_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace og {
namespace {

struct Counter {
  std::uint32_t id = 0;
  int hits = 0;
};

// Records live in fixed-size chunks: across several chunks and several index growths, every
// reference taken stays valid, lookups find the same record, and records() and symbols() list
// them in creation order.
TEST(SymbolTable, RecordsStayPutAndKeepCreationOrder) {
  SymbolTable<Counter> table;
  std::vector<Counter*> taken;
  std::vector<Symbol> created;
  // Scattered symbols, not 1..n: a table sees order ids, SKUs and riders interleaved.
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const Symbol symbol = 1 + (i * 7919U) % 100003U;
    Counter& counter = table[symbol];
    EXPECT_EQ(counter.hits, 0) << symbol;  // new: default-constructed
    counter.id = symbol;
    taken.push_back(&counter);
    created.push_back(symbol);
  }
  for (std::size_t i = 0; i < created.size(); ++i) {
    Counter& again = table[created[i]];
    EXPECT_EQ(&again, taken[i]) << i;
    ++again.hits;
    EXPECT_EQ(table.find(created[i]), taken[i]) << i;
  }
  EXPECT_EQ(table.find(100004U), nullptr);

  EXPECT_EQ(table.symbols(), created);
  ASSERT_EQ(table.records().size(), created.size());
  std::size_t i = 0;
  for (const Counter& counter : table.records()) {
    EXPECT_EQ(counter.id, created[i]) << i;
    EXPECT_EQ(counter.hits, 1) << i;
    EXPECT_EQ(&counter, taken[i]) << i;
    ++i;
  }
  EXPECT_EQ(i, created.size());
}

// The memory hints read the index but never create a record, for a symbol present or not.
TEST(SymbolTable, PrefetchHintsChangeNothing) {
  SymbolTable<Counter> table;
  table[5].id = 5;
  for (const Symbol symbol : {Symbol{5}, Symbol{6}, kNoSymbol}) {
    table.prefetch_slot(symbol);
    table.prefetch_record(symbol);
  }
  EXPECT_EQ(table.records().size(), 1U);
  EXPECT_EQ(table.find(6), nullptr);
  EXPECT_EQ(table.symbols(), std::vector<Symbol>{5});
}

TEST(SymbolTable, EmptyTableListsNothing) {
  const SymbolTable<Counter> table;
  EXPECT_TRUE(table.records().empty());
  EXPECT_EQ(table.records().begin(), table.records().end());
  EXPECT_TRUE(table.symbols().empty());
  EXPECT_EQ(table.find(1), nullptr);
}

// kNoSymbol marks an empty slot: without its own check, find() took the empty home slot for a
// hit and read record 0, of an empty table or of whichever symbol came first.
TEST(SymbolTable, TheAbsentSymbolHasNoRecord) {
  SymbolTable<Counter> table;
  EXPECT_EQ(table.find(kNoSymbol), nullptr);
  table[7].hits = 3;
  EXPECT_EQ(table.find(kNoSymbol), nullptr);
  ASSERT_NE(table.find(7), nullptr);
  EXPECT_EQ(table.find(7)->hits, 3);
}

}  // namespace
}  // namespace og
