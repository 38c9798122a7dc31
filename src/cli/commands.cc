#include "cli/commands.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "replay/output.h"
#include "replay/replay.h"
#include "rules/config.h"

namespace og::cli {
namespace {

bool write_file(const std::string& path, const std::string& content) {
  if (path == "-") {
    return std::fwrite(content.data(), 1, content.size(), stdout) == content.size();
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  return static_cast<bool>(file);
}

tl::expected<RulesConfig, std::string> load_config_or_defaults(const std::string& path) {
  if (path.empty()) return RulesConfig{};
  return load_rules_file(path);
}

// Why the outputs cannot be written as asked, or "": an output that names the input, the
// rules file or another output would overwrite it (`--incidents events.ndjson` destroyed the
// events). Only files are compared: /dev/null or a terminal may well take two outputs.
std::string outputs_clash(const ReplayArgs& args) {
  const std::pair<const char*, const std::string*> outputs[] = {
      {"--incidents", &args.incidents}, {"--commands", &args.commands}, {"--report", &args.report}};
  const auto same = [](const std::string& a, const std::string& b) {
    if (a.empty() || b.empty() || a == "-" || b == "-") return false;
    std::error_code error;
    const auto file_or_new = [&](const std::string& path) {
      const auto status = std::filesystem::status(path, error);
      return status.type() == std::filesystem::file_type::regular || status.type() == std::filesystem::file_type::not_found;
    };
    if (!file_or_new(a) || !file_or_new(b)) return false;
    if (a == b || std::filesystem::equivalent(a, b, error)) return true;  // links too, when both exist
    std::error_code error_b;
    const auto canonical_a = std::filesystem::weakly_canonical(a, error);
    const auto canonical_b = std::filesystem::weakly_canonical(b, error_b);
    return !error && !error_b && canonical_a == canonical_b;
  };
  for (std::size_t i = 0; i < std::size(outputs); ++i) {
    if (same(*outputs[i].second, args.input)) {
      return fmt::format("{} {} is the --input file: it would be overwritten; write the results elsewhere", outputs[i].first,
                         *outputs[i].second);
    }
    if (same(*outputs[i].second, args.config)) {
      return fmt::format("{} {} is the --config file: it would be overwritten; write the results elsewhere", outputs[i].first,
                         *outputs[i].second);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (same(*outputs[i].second, *outputs[j].second)) {
        return fmt::format("{} and {} name the same file {}: give each its own", outputs[j].first, outputs[i].first,
                           *outputs[i].second);
      }
    }
  }
  return {};
}

}  // namespace

int run_replay(const ReplayArgs& args) {
  if (const std::string clash = outputs_clash(args); !clash.empty()) {
    spdlog::error("orderguard replay: {}", clash);
    return kExitUsage;
  }
  auto config = load_config_or_defaults(args.config);
  if (!config) {
    spdlog::error("orderguard replay: bad configuration: {}", config.error());
    return kExitUsage;
  }
  TimeMs until = kAbsent;
  if (!args.until.empty()) {
    auto parsed = parse_time_ms(args.until);
    if (!parsed) {
      spdlog::error("orderguard replay: --until: {}", parsed.error());
      return kExitUsage;
    }
    until = *parsed;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, std::fclose);
  std::FILE* input = stdin;
  if (args.input != "-") {
    std::error_code error;
    if (std::filesystem::is_directory(args.input, error)) {
      spdlog::error("orderguard replay: --input {} is a directory; name the NDJSON events file", args.input);
      return kExitFailure;
    }
    owned.reset(std::fopen(args.input.c_str(), "rb"));
    if (!owned) {
      spdlog::error("orderguard replay: cannot open --input {}: {}", args.input, std::strerror(errno));
      return kExitFailure;
    }
    input = owned.get();
  }

  Engine engine(std::move(*config));
  ReplayRunner runner(
      engine, [](std::uint64_t line, const std::string& reason) { fmt::print(stderr, "line {}: {}\n", line, reason); },
      args.strict);
  const bool completed = runner.feed_stream(input);
  if (std::ferror(input) != 0) {
    // errno is not the read's by now: the lines before the failure were still fed.
    spdlog::error("orderguard replay: cannot read --input {}: the read failed part way (a device or file system error)", args.input);
    return kExitFailure;
  }
  if (!completed) {
    spdlog::error("orderguard replay: stopped at the first bad line (--strict)");
    return kExitFailure;
  }
  engine.finish(until);

  if (!write_file(args.incidents, incidents_ndjson(engine, engine.interner()))) {
    spdlog::error("orderguard replay: cannot write --incidents {}", args.incidents);
    return kExitFailure;
  }
  for (const AgentRefusal& refusal : engine.agent_refusals()) fmt::print(stderr, "event {}: {}\n", refusal.event_id, refusal.message);
  if (!args.commands.empty() && !write_file(args.commands, commands_ndjson(engine))) {
    spdlog::error("orderguard replay: cannot write --commands {}", args.commands);
    return kExitFailure;
  }
  if (!args.report.empty() && !write_file(args.report, report_json(engine, runner.stats()))) {
    spdlog::error("orderguard replay: cannot write --report {}", args.report);
    return kExitFailure;
  }
  const auto& stats = runner.stats();
  spdlog::info("orderguard replay: {} events ({} bad lines, {} duplicates, {} repeated facts, {} late), {} incidents",
               stats.events, stats.bad_lines, engine.counters().events_duplicate, engine.counters().events_repeated,
               stats.late, engine.incidents().all().size());
  return kExitOk;
}

int run_rules_check(const std::string& path) {
  auto config = load_rules_file(path);
  if (!config) {
    spdlog::error("{}", config.error());
    return kExitUsage;
  }
  const auto changes = diff_rules(RulesConfig{}, *config);
  fmt::print("{}: valid\n", path);
  if (changes.empty()) {
    fmt::print("no change from the defaults\n");
  } else {
    fmt::print("{} change(s) from the defaults:\n", changes.size());
    for (const auto& change : changes) fmt::print("  {}: {} -> {}\n", change.key, change.from, change.to);
  }
  return kExitOk;
}

}  // namespace og::cli
