// The engine is a pure function of (events, configuration, time): the same input gives
// byte-identical output, and any arrival order within the out-of-orderness bound gives the
// same incidents as arrival in event-time order.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "events/parser.h"
#include "golden_case.h"

namespace og::testing {
namespace {

struct TimedLine {
  TimeMs ts;
  std::string line;
};

// The case's events with their ts (lines that do not parse keep their place at ts 0).
std::vector<TimedLine> timed_events(const GoldenCase& golden) {
  Interner interner;
  EventParser parser(interner);
  Event event;
  std::vector<TimedLine> timed;
  for (const auto& line : golden.events) {
    timed.push_back(TimedLine{parser.parse(line, event) ? event.ts : 0, line});
  }
  return timed;
}

std::vector<std::string> lines_of(const std::vector<TimedLine>& timed) {
  std::vector<std::string> lines;
  for (const auto& entry : timed) lines.push_back(entry.line);
  return lines;
}

class DeterminismTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DeterminismTest, SameInputGivesIdenticalBytes) {
  const GoldenCase golden = read_case(GetParam());
  const CaseRun first = run_case(golden, golden.events);
  const CaseRun second = run_case(golden, golden.events);
  EXPECT_EQ(first.incidents_ndjson, second.incidents_ndjson);
}

TEST_P(DeterminismTest, ArrivalShuffledWithinTheBoundGivesTheSameIncidents) {
  const GoldenCase golden = read_case(GetParam());
  auto in_order = timed_events(golden);
  std::stable_sort(in_order.begin(), in_order.end(), [](const auto& a, const auto& b) { return a.ts < b.ts; });
  const CaseRun baseline = run_case(golden, lines_of(in_order));
  if (golden.config_toml.find("max_out_of_orderness") != std::string::npos) GTEST_SKIP() << "case changes the bound";
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    // Each event arrives at ts + jitter with jitter < 10 s: never behind the watermark.
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<TimeMs> jitter(0, 9999);
    std::vector<std::pair<TimeMs, TimedLine>> arrivals;
    for (const auto& entry : in_order) arrivals.emplace_back(entry.ts + jitter(random), entry);
    std::stable_sort(arrivals.begin(), arrivals.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> shuffled;
    for (const auto& [arrival, entry] : arrivals) shuffled.push_back(entry.line);
    const CaseRun run = run_case(golden, shuffled);
    EXPECT_EQ(run.incidents_ndjson, baseline.incidents_ndjson) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, DeterminismTest, ::testing::ValuesIn(all_case_paths()), [](const auto& param_info) { return case_test_name(param_info.param); });

}  // namespace
}  // namespace og::testing
