// `orderguard evaluate`: the files and exit codes around src/evaluate.
// Exit 1 means exactly "an F1 is below --min-f1", so that a CI gate can tell a detection
// regression from a broken pipeline (every file or usage problem is 2).
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fmt/ranges.h>

#include <fstream>

#include "cli/commands.h"
#include "evaluate/evaluate.h"

namespace og::cli {
namespace {

void report_bad_line(std::string_view file, std::uint64_t line, const std::string& reason) {
  fmt::print(stderr, "{}:{}: {}\n", file, line, reason);
}

bool write_text_file(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  file.close();
  return static_cast<bool>(file);
}

// A file that cannot be read or written fails the run (1), as in replay and validate; a file
// that holds something else than it should is bad usage (2).
int file_exit_code(const std::string& error) {
  return error.starts_with("cannot open ") || error.starts_with("cannot read ") ? kExitFailure : kExitUsage;
}

}  // namespace

int run_evaluate(const EvaluateArgs& args) {
  auto incidents = read_incidents_file(args.incidents, report_bad_line);
  if (!incidents) {
    spdlog::error("orderguard evaluate: --incidents: {}; pass the file `orderguard replay --incidents` wrote",
               incidents.error());
    return file_exit_code(incidents.error());
  }
  auto truth = read_truth_file(args.truth, report_bad_line);
  if (!truth) {
    spdlog::error("orderguard evaluate: --truth: {}; pass the file `orderguard simulate --truth` wrote",
               truth.error());
    return file_exit_code(truth.error());
  }

  const Evaluation evaluation = evaluate(*incidents, *truth);
  const std::string table = evaluation_table(evaluation);
  std::fwrite(table.data(), 1, table.size(), stdout);
  std::fflush(stdout);

  if (evaluation.bad_incident_lines + evaluation.bad_truth_lines > 0) {
    spdlog::info("orderguard evaluate: skipped {} bad line(s) in {} and {} in {}; the metrics leave them out",
               evaluation.bad_incident_lines, args.incidents, evaluation.bad_truth_lines, args.truth);
  }
  if (evaluation.overall.truth == 0 && evaluation.overall.found == 0) {
    spdlog::info("orderguard evaluate: nothing to compare: neither file holds a detection or a truth record");
  }

  if (!args.json.empty() && !write_text_file(args.json, evaluation_json(evaluation))) {
    spdlog::error("orderguard evaluate: cannot write --json {}; check that its directory exists and is writable",
               args.json);
    return kExitFailure;
  }

  if (args.min_f1 >= 0) {
    const std::vector<std::string> below = f1_below(evaluation, args.min_f1);
    if (!below.empty()) {
      spdlog::error("orderguard evaluate: F1 below --min-f1 {}: {}", args.min_f1, fmt::join(below, ", "));
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace og::cli
