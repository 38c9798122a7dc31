// `orderguard validate`: replays the events file into an engine (as `replay` does, bad lines
// reported on stderr and skipped), reads the draft, and prints the findings JSON on stdout
// (validate/validate.h). Exit 0 when the draft was checked, whatever it found (`ok` says);
// 2 for bad usage, a bad configuration or a draft that does not parse; 1 when a file cannot be read.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cli/commands.h"
#include "replay/replay.h"
#include "rules/config.h"
#include "validate/validate.h"

namespace og::cli {
namespace {

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

File open_input(const std::string& path) {
  if (path == "-") return File(stdin, [](std::FILE*) { return 0; });
  return File(std::fopen(path.c_str(), "rb"), std::fclose);
}

// The whole input, at most `limit` bytes plus one (so that "too long" can be told).
bool read_all(std::FILE* input, std::size_t limit, std::string& out) {
  char buffer[65536];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, input)) > 0) {
    out.append(buffer, got);
    if (out.size() > limit) break;
  }
  return std::ferror(input) == 0;
}

}  // namespace

int run_validate(const ValidateArgs& args) {
  if (args.events == "-" && args.draft == "-") {
    spdlog::error("orderguard validate: --events and --draft cannot both be - (stdin)");
    return kExitUsage;
  }
  auto config = args.config.empty() ? tl::expected<RulesConfig, std::string>(RulesConfig{}) : load_rules_file(args.config);
  if (!config) {
    spdlog::error("orderguard validate: bad configuration: {}", config.error());
    return kExitUsage;
  }
  TimeMs at = kAbsent;
  if (!args.at.empty()) {
    auto parsed = parse_time_ms(args.at);
    if (!parsed) {
      spdlog::error("orderguard validate: --at: {}", parsed.error());
      return kExitUsage;
    }
    at = *parsed;
  }

  File draft_file = open_input(args.draft);
  if (!draft_file) {
    spdlog::error("orderguard validate: cannot open --draft {}: {}", args.draft, std::strerror(errno));
    return kExitFailure;
  }
  std::string draft_text;
  if (!read_all(draft_file.get(), kMaxDraftBytes, draft_text)) {
    spdlog::error("orderguard validate: cannot read --draft {}: {}", args.draft, std::strerror(errno));
    return kExitFailure;
  }
  auto draft = parse_draft(draft_text);
  if (!draft) {
    spdlog::error("orderguard validate: --draft {}: {}", args.draft, draft.error());
    return kExitUsage;
  }

  File events = open_input(args.events);
  if (!events) {
    spdlog::error("orderguard validate: cannot open --events {}: {}", args.events, std::strerror(errno));
    return kExitFailure;
  }
  Engine engine(std::move(*config));
  ReplayRunner runner(engine, [](std::uint64_t line, const std::string& reason) { fmt::print(stderr, "line {}: {}\n", line, reason); });
  runner.feed_stream(events.get());
  engine.finish(at);

  const TimeMs now = at != kAbsent ? at : engine.max_event_time();
  if (now == kAbsent) {
    spdlog::error("orderguard validate: --events {} has no event to take the check time from: give --at", args.events);
    return kExitUsage;
  }
  const Validation validation = validate_draft(engine, *draft, now);
  const std::string json = validation_json(validation) + "\n";
  if (std::fwrite(json.data(), 1, json.size(), stdout) != json.size()) {
    spdlog::error("orderguard validate: cannot write the findings");
    return kExitFailure;
  }
  spdlog::info("orderguard validate: {} events ({} bad lines); {} blocking, {} warnings, {} not checked", runner.stats().events,
               runner.stats().bad_lines, validation.count(FindingSeverity::kBlock), validation.count(FindingSeverity::kWarn),
               validation.not_checked.size());
  return kExitOk;
}

}  // namespace og::cli
