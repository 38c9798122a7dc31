#include "core/id_set.h"

#include <gtest/gtest.h>

namespace og {
namespace {

TEST(IdSet, RemembersWhatItSaw) {
  IdSet ids(1000);
  EXPECT_TRUE(ids.insert(42));
  EXPECT_FALSE(ids.insert(42));
  EXPECT_TRUE(ids.insert(44));
  // The lowest bit marks a used slot, so ids are 63-bit: 0 and 1 (like 42 and 43) are one id.
  EXPECT_TRUE(ids.insert(0));
  EXPECT_FALSE(ids.insert(1));
  EXPECT_FALSE(ids.insert(43));
}

TEST(IdSet, AlwaysRemembersTheNewestHalfOfTheBoundAndNeverMoreThanIt) {
  constexpr std::size_t kMax = 20000;
  IdSet ids(kMax);
  for (std::uint64_t id = 2; id < 2 + 100000; id += 2) ASSERT_TRUE(ids.insert(id * 0x9e3779b97f4a7c15ULL));
  EXPECT_LE(ids.size(), kMax);
  // The newest kMax / 2 are duplicates still; the very first ones have been forgotten.
  for (std::uint64_t id = 100000 - kMax; id < 2 + 100000; id += 2) EXPECT_FALSE(ids.insert(id * 0x9e3779b97f4a7c15ULL)) << id;
  EXPECT_TRUE(ids.insert(2 * 0x9e3779b97f4a7c15ULL));
}

}  // namespace
}  // namespace og
