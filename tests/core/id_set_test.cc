#include "core/id_set.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

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

TEST(IdSet, APrefetchChangesNothing) {
  IdSet ids(1000);
  ids.prefetch(42);  // both generations still empty: a hint to nowhere, harmless
  EXPECT_EQ(ids.size(), 0u);
  EXPECT_TRUE(ids.insert(42));
  ids.prefetch(42);
  ids.prefetch(7);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_FALSE(ids.insert(42));
  EXPECT_TRUE(ids.insert(7));
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

// Past the size where tables stop doubling and grow by a quarter, and through a snapshot:
// every id seen is a duplicate, every other one is new, and the bytes round-trip.
TEST(IdSet, ManyRandomIdsThroughGrowthAndASnapshot) {
  IdSet ids(50'000'000);
  std::mt19937_64 random(7);
  std::vector<std::uint64_t> seen(1'200'000);
  for (std::uint64_t& id : seen) {
    id = random() | 1;
    ASSERT_TRUE(ids.insert(id));
  }
  EXPECT_EQ(ids.size(), seen.size());
  EXPECT_LE(ids.memory_bytes(), seen.size() * 12);  // at least 2/3 full: 70-87.5% load, plus a tail
  std::string bytes;
  serial::Writer w(bytes);
  ids.save(w);
  IdSet restored(50'000'000);
  serial::Reader r(bytes);
  restored.load(r);
  std::string again;
  serial::Writer w2(again);
  restored.save(w2);
  EXPECT_EQ(again, bytes);
  for (IdSet* set : {&ids, &restored}) {
    for (const std::uint64_t id : seen) ASSERT_FALSE(set->insert(id));
    std::mt19937_64 other(8);
    for (int i = 0; i < 100'000; ++i) {
      const std::uint64_t id = other() | 1;
      ASSERT_TRUE(set->insert(id));
      ASSERT_FALSE(set->insert(id));
    }
  }
}

}  // namespace
}  // namespace og
