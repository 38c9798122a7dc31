// The noise real feeds have, and nothing worse: events out of order only within the 10 s
// bound (never behind the watermark), duplicates under the same id, bad lines the parser
// rejects, and three time formats.
#include <gtest/gtest.h>

#include <set>

#include "events/parser.h"
#include "sim/stream.h"
#include "sim_test_util.h"

namespace og::sim::testing {
namespace {

TEST(SimStream, NoEventArrivesBehindTheWatermark) {
  SimConfig config = config_for(3000, 11, Platform::kMixed);
  config.noise_rate = 0.2;
  const SimRun run = run_sim(config);
  Interner interner;
  EventParser parser(interner);
  Event event;
  TimeMs highest = kAbsent;
  std::uint64_t parsed = 0, rejected = 0, late = 0, behind_but_in_bound = 0;
  std::set<std::string> seen;
  std::uint64_t duplicates = 0;
  for_each_line(run.events, [&](std::size_t, std::string_view line) {
    if (!parser.parse(line, event)) {
      ++rejected;
      return;
    }
    ++parsed;
    if (!seen.insert(event.id).second) ++duplicates;
    if (highest != kAbsent) {
      if (event.ts < highest - 10 * kSecondMs) ++late;
      else if (event.ts < highest) ++behind_but_in_bound;
    }
    if (highest == kAbsent || event.ts > highest) highest = event.ts;
  });
  EXPECT_EQ(late, 0u);
  EXPECT_GT(behind_but_in_bound, 100u);  // reordering really happens
  EXPECT_EQ(rejected, run.stats.bad_lines);
  EXPECT_GT(rejected, 100u);
  EXPECT_EQ(duplicates, run.stats.duplicates);
  EXPECT_GT(duplicates, 100u);
  EXPECT_EQ(parsed + rejected, run.stats.lines);
}

TEST(SimStream, TimesComeInThreeFormats) {
  SimConfig config = config_for(500, 5, Platform::kGrocery);
  config.noise_rate = 0.05;
  const SimRun run = run_sim(config);
  EXPECT_NE(run.events.find(R"("ts":")"), std::string::npos);
  EXPECT_NE(run.events.find(R"(+08:00")"), std::string::npos);
  EXPECT_NE(run.events.find(R"(Z","order_id")"), std::string::npos);
  EXPECT_NE(run.events.find(R"("ts":17)"), std::string::npos);  // epoch milliseconds
}

TEST(SimStream, WithoutNoiseTheStreamIsCleanAndOrdered) {
  SimConfig config = config_for(500, 5, Platform::kErrand);
  config.noise_rate = 0;
  const SimRun run = run_sim(config);
  EXPECT_EQ(run.stats.bad_lines + run.stats.duplicates + run.stats.delayed, 0u);
  Interner interner;
  EventParser parser(interner);
  Event event;
  TimeMs previous = kAbsent;
  bool ordered = true, all_parse = true;
  for_each_line(run.events, [&](std::size_t, std::string_view line) {
    if (!parser.parse(line, event)) {
      all_parse = false;
      return;
    }
    if (previous != kAbsent && event.ts < previous) ordered = false;
    previous = event.ts;
  });
  EXPECT_TRUE(all_parse);
  EXPECT_TRUE(ordered);
}

TEST(SimStream, NoiseStageReleasesInArrivalOrder) {
  LineSink sink;
  NoiseStage noise(1, 0.5, sink);
  for (TimeMs t = 0; t < 200 * kSecondMs; t += 700) noise.push(t, {}, std::string("{}\n"));
  noise.finish();
  EXPECT_GT(noise.counts().lines, 285u);
}

}  // namespace
}  // namespace og::sim::testing
