// Streaming: the queue holds the next step of each order in flight and a day's master data,
// so its size follows the orders per day, not the orders in the run.
#include <gtest/gtest.h>

#include <cstdio>

#include "sim_test_util.h"

namespace og::sim::testing {
namespace {

SimStats run_days(std::uint64_t orders) {
  SimConfig config = config_for(orders, 9, Platform::kMixed);
  config.orders_per_day = 4000;
  config.incident_rate = 0.1;
  std::FILE* sink = std::fopen("/dev/null", "wb");
  LineSink events(sink);
  const SimStats stats = simulate(config, events, nullptr);
  events.flush();
  std::fclose(sink);
  return stats;
}

TEST(SimMemory, PendingQueueStaysBoundedOverALongRun) {
  const SimStats short_run = run_days(8000);   // 2 days
  const SimStats long_run = run_days(40000);   // 10 days
  EXPECT_EQ(long_run.days, 10u);
  EXPECT_EQ(long_run.orders, 40000u);
  // Five times the orders, about the same peak: nothing grows with the run's length.
  EXPECT_LT(long_run.peak_active_orders, short_run.peak_active_orders * 3 / 2 + 50);
  EXPECT_LT(long_run.peak_queue, short_run.peak_queue * 3 / 2 + 500);
  EXPECT_LT(long_run.peak_pending_truth, short_run.peak_pending_truth * 3 / 2 + 100);
  EXPECT_LT(long_run.peak_tracker_entries, short_run.peak_tracker_entries * 3 / 2 + 100);
  // A few hours of peak traffic at 4000 orders a day, not 40000.
  EXPECT_LT(long_run.peak_active_orders, 2000u);
  EXPECT_LT(long_run.peak_queue, 6000u);
}

}  // namespace
}  // namespace og::sim::testing
