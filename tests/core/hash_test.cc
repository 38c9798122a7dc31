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
  // Pinned: the values the first releases wrote, at compile time and at run time alike.
  static_assert(hash64("O1") == 0xf82e3afc3b9be568ULL);
  static_assert(hash64("订单-20261121-000123") == 0xfa870c9fa9e976e8ULL);
  EXPECT_EQ(hash64(std::string("O1")), 0xf82e3afc3b9be568ULL);
  EXPECT_EQ(hash64(std::string("订单-20261121-000123")), 0xfa870c9fa9e976e8ULL);
}

TEST(Hash, NoCollisionsAmongManyShortIds) {
  std::unordered_set<std::uint64_t> seen;
  for (int i = 0; i < 200000; ++i) {
    ASSERT_TRUE(seen.insert(hash64("G-" + std::to_string(i))).second) << i;
    ASSERT_TRUE(seen.insert(hash64("订单" + std::to_string(i) + "-事件")).second) << i;
  }
}

// At run time the tail is read with wide overlapping loads; at compile time byte by byte. Both
// must give the same hash for every length and every position of the string in memory.
TEST(Hash, WideTailLoadsMatchTheByteLoop) {
  std::string buffer(64, '\0');
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<char>(0x80 + i * 37);
  for (std::size_t start = 0; start < 8; ++start) {
    for (std::size_t length = 0; length + start <= 40; ++length) {
      const std::string_view text(buffer.data() + start, length);
      std::uint64_t expected = 0;
      {
        using namespace hash_detail;
        expected = 0 ^ (static_cast<std::uint64_t>(length) * kMultiplier);
        std::size_t offset = 0;
        for (; offset + 8 <= length; offset += 8) {
          expected = (expected ^ load_le(text.data() + offset, 8)) * kMultiplier;
          expected ^= expected >> 29;
        }
        if (offset < length) {
          expected = (expected ^ load_le(text.data() + offset, length - offset)) * kMultiplier;
          expected ^= expected >> 29;
        }
        expected = finalize(expected);
      }
      ASSERT_EQ(hash64(text), expected) << "start " << start << " length " << length;
    }
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
