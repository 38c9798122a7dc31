#include "core/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace og {
namespace {

// Incident ids are derived from this hash: it must never change silently between builds.
TEST(Hash, ValuesAreStable) {
  static_assert(hash64("") == hash64(""));
  EXPECT_EQ(hash64("O1"), hash64(std::string("O1")));
  EXPECT_NE(hash64("O1"), hash64("O2"));
  EXPECT_NE(hash64("abcdefgh"), hash64("abcdefgh\0", 9));  // length is part of the hash
  EXPECT_NE(hash64("x", 0), hash64("x", 1));               // so is the seed
}

TEST(Hash, NoCollisionsAmongManyShortIds) {
  std::unordered_set<std::uint64_t> seen;
  for (int i = 0; i < 200000; ++i) {
    ASSERT_TRUE(seen.insert(hash64("G-" + std::to_string(i))).second) << i;
    ASSERT_TRUE(seen.insert(hash64("订单" + std::to_string(i) + "-事件")).second) << i;
  }
}

TEST(Hash, LowBitsSpreadForOpenAddressing) {
  // Sequential ids must fill a power-of-two table evenly: no bucket far above the mean.
  constexpr int kBuckets = 1024;
  int counts[kBuckets] = {};
  for (int i = 0; i < 100000; ++i) ++counts[hash64("U" + std::to_string(i)) & (kBuckets - 1)];
  for (const int count : counts) EXPECT_LT(count, 160);  // mean ~98
}

}  // namespace
}  // namespace og
