// Tests of the `orderguard` binary as users and scripts run it (tests/cli, tests/demo): one
// command line through the shell, its exit code and its output; a file's bytes.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace og::test_cli {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout, and stderr unless sent elsewhere
};

// `arguments` after the binary (OG_BINARY), through the shell; stderr goes where `stderr_to`
// says (a path to keep it apart from `output`; by default into it).
inline CommandResult run_cli(const std::string& arguments, const std::string& stderr_to = "&1") {
  const std::string command = std::string(OG_BINARY) + " " + arguments + " 2>" + stderr_to;
  CommandResult result;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), got);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace og::test_cli
