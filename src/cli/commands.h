// cli/commands: the sub-commands of the `orderguard` binary (docs/spec/INTERFACES.md).
// Each returns the process exit code: 0 success, 2 bad usage or configuration, 1 other failure.
// Owns: files, stdin/stdout/stderr. Depends on: replay, engine, rules.
#pragma once

#include <string>

namespace og::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct ReplayArgs {
  std::string input;
  std::string config;
  std::string until;
  std::string incidents;
  std::string commands;
  std::string report;
  bool strict = false;
};
int run_replay(const ReplayArgs& args);

int run_rules_check(const std::string& path);

}  // namespace og::cli
