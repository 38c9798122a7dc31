// Runs every tests/cases/**/*.case through the engine and compares the incidents with the
// expectations written in the case. UPDATE_GOLDEN=1 rewrites the expectations (review the diff).
#include <gtest/gtest.h>

#include <cstdlib>

#include "golden_case.h"

namespace og::testing {
namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "  " + line + "\n";
  return out.empty() ? "  (none)\n" : out;
}

class GoldenCaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenCaseTest, IncidentsMatchExpectations) {
  const GoldenCase golden = read_case(GetParam());
  ASSERT_TRUE(golden.error.empty()) << golden.path << ": " << golden.error;
  ASSERT_FALSE(golden.events.empty()) << golden.path << ": no events";
  const CaseRun run = run_case(golden, golden.events);
  ASSERT_TRUE(run.error.empty()) << golden.path << ": " << run.error;
  if (std::getenv("UPDATE_GOLDEN") != nullptr && run.lines != golden.expected) {
    rewrite_expectations(golden, run.lines);
    return;
  }
  EXPECT_EQ(run.lines, golden.expected) << golden.path << "\nexpected:\n"
                                        << joined(golden.expected) << "engine found:\n"
                                        << joined(run.lines);
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenCaseTest, ::testing::ValuesIn(all_case_paths()), [](const auto& param_info) { return case_test_name(param_info.param); });

}  // namespace
}  // namespace og::testing
