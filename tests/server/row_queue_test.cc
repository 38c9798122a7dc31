// RowQueue hands out its rows oldest first, a slice at a time, takes back a slice that was not
// written ahead of the rows added since, and stays in order through the compactions that drop
// taken slots: checked step by step against a std::deque.
#include "server/row_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace og::server {
namespace {

std::vector<std::string> waiting(const RowQueue<std::string>& queue) { return {queue.begin(), queue.end()}; }

// Long enough that a copy, a move and a moved-from string all differ.
std::string row(int i) { return "row number " + std::to_string(i) + " with bytes past the small-string buffer"; }

TEST(RowQueueTest, SlicesLeaveOldestFirstAndTheLastTakesWhatRemains) {
  RowQueue<std::string> queue;
  for (int i = 0; i < 5; ++i) queue.push_back(row(i));
  EXPECT_EQ(queue.take(2), (std::vector<std::string>{row(0), row(1)}));
  EXPECT_EQ(queue.size(), 3U);
  EXPECT_EQ(waiting(queue), (std::vector<std::string>{row(2), row(3), row(4)}));
  EXPECT_TRUE(queue.take(0).empty());
  EXPECT_EQ(queue.take(10), (std::vector<std::string>{row(2), row(3), row(4)}));
  EXPECT_TRUE(queue.empty());
  queue.push_back(row(5));
  EXPECT_EQ(waiting(queue), std::vector<std::string>{row(5)});
}

TEST(RowQueueTest, RowsPutBackWaitAheadOfThoseAddedSince) {
  RowQueue<std::string> queue;
  for (int i = 0; i < 6; ++i) queue.push_back(row(i));
  std::vector<std::string> first = queue.take(2);
  queue.push_back(row(6));
  queue.put_back(std::move(first));  // into the slots they left
  EXPECT_EQ(waiting(queue), (std::vector<std::string>{row(0), row(1), row(2), row(3), row(4), row(5), row(6)}));
  std::vector<std::string> all = queue.take(100);
  queue.push_back(row(7));
  queue.put_back(std::move(all));  // more than the slots before the front
  EXPECT_EQ(queue.size(), 8U);
  EXPECT_EQ(queue.take(100), (std::vector<std::string>{row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)}));
}

TEST(RowQueueTest, AnyMixOfAddsSlicesAndFailedWritesKeepsTheOrderOfADeque) {
  std::mt19937 random(20261122);
  RowQueue<std::string> queue;
  std::deque<std::string> model;
  int next = 0;
  for (int step = 0; step < 20'000; ++step) {
    const auto what = random() % 10;
    if (what < 6) {
      queue.push_back(row(next));
      model.push_back(row(next));
      ++next;
    } else {
      const std::size_t n = random() % 9;
      std::vector<std::string> taken = queue.take(n);
      ASSERT_EQ(taken.size(), std::min(n, model.size())) << "step " << step;
      for (std::size_t i = 0; i < taken.size(); ++i) ASSERT_EQ(taken[i], model[i]) << "step " << step;
      if (what == 9) {
        queue.put_back(std::move(taken));  // the write failed
      } else {
        model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(taken.size()));
      }
    }
    ASSERT_EQ(queue.size(), model.size()) << "step " << step;
    ASSERT_EQ(queue.empty(), model.empty());
  }
  EXPECT_EQ(waiting(queue), std::vector<std::string>(model.begin(), model.end()));
}

}  // namespace
}  // namespace og::server
