// "The same id seen again is a duplicate and is ignored, however late it comes": every golden
// case, with every event sent a second time, gives exactly the incidents it gives once.
#include <gtest/gtest.h>

#include "golden_case.h"

namespace og::testing {
namespace {

class DuplicationTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DuplicationTest, EveryEventSentTwiceRightAwayChangesNothing) {
  const GoldenCase golden = read_case(GetParam());
  const CaseRun once = run_case(golden, golden.events);
  std::vector<std::string> twice;
  for (const auto& event : golden.events) {
    twice.push_back(event);
    twice.push_back(event);
  }
  EXPECT_EQ(run_case(golden, twice).lines, once.lines);
}

TEST_P(DuplicationTest, EveryEventSentAgainAtTheEndChangesNothing) {
  const GoldenCase golden = read_case(GetParam());
  const CaseRun once = run_case(golden, golden.events);
  std::vector<std::string> resent = golden.events;
  resent.insert(resent.end(), golden.events.begin(), golden.events.end());  // most copies arrive late
  EXPECT_EQ(run_case(golden, resent).lines, once.lines);
}

INSTANTIATE_TEST_SUITE_P(Cases, DuplicationTest, ::testing::ValuesIn(all_case_paths()), [](const auto& param_info) { return case_test_name(param_info.param); });

}  // namespace
}  // namespace og::testing
