// Reads and runs the plain-text golden cases of tests/cases (format: tests/cases/README.md).
#pragma once

#include <string>
#include <vector>

#include "core/time.h"
#include "handling/command.h"

namespace og::testing {

struct GoldenCase {
  std::string path;
  std::string config_toml;               // the @config lines
  TimeMs until = -1;                     // @until, or -1
  std::vector<std::string> only_types;   // @only
  bool handling = false;                 // @handling: playbooks and people on; commands compared
  std::vector<std::string> events;       // in arrival order
  std::vector<std::string> expected;     // incident lines, sorted; empty for "(none)"
  std::string error;                     // a malformed case file
};

GoldenCase read_case(const std::string& path);
std::vector<std::string> all_case_paths();

struct CaseRun {
  std::vector<std::string> lines;  // golden lines of the incidents, filtered by @only, sorted
  std::string incidents_ndjson;    // every incident, as replay writes them
  std::string error;
};

// Runs the events, in the order given, through a fresh engine.
CaseRun run_case(const GoldenCase& golden, const std::vector<std::string>& events);

// "cmd refund.issue at=... order=O1 amount=200 ..." : a command as a case expects it.
std::string command_golden_line(const Command& command);

// A gtest parameter name for a case path: "PAYMENT_TIMEOUT_fires_after_15_min_case".
std::string case_test_name(const std::string& path);

// Rewrites the expectations of a case file with `lines` (UPDATE_GOLDEN=1).
void rewrite_expectations(const GoldenCase& golden, const std::vector<std::string>& lines);

}  // namespace og::testing
