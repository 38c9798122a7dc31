// `orderguard simulate`: the CLI glue around src/sim. Opens the files, runs the world, says
// what it wrote. Everything else is in og::sim.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "core/time.h"
#include "loop/closed_loop.h"
#include "replay/measures.h"
#include "replay/output.h"
#include "rules/config.h"
#include "sim/simulator.h"

namespace og::cli {

namespace {

struct File {
  std::FILE* handle = nullptr;
  bool owned = false;
  ~File() {
    if (owned && handle != nullptr) std::fclose(handle);
  }
};

bool open_output(const std::string& path, File& file) {
  if (path == "-") {
    file.handle = stdout;
    return true;
  }
  file.handle = std::fopen(path.c_str(), "wb");
  file.owned = true;
  if (file.handle == nullptr) {
    spdlog::error("orderguard simulate: cannot write {}: {}", path, std::strerror(errno));
    return false;
  }
  return true;
}

bool write_whole_file(const std::string& path, const std::string& content) {
  File file;
  if (!open_output(path, file)) return false;
  if (std::fwrite(content.data(), 1, content.size(), file.handle) != content.size() || std::fflush(file.handle) != 0) {
    spdlog::error("orderguard simulate: writing {} failed: {}", path, std::strerror(errno));
    return false;
  }
  return true;
}

int run_closed_loop_command(const SimulateArgs& args, const sim::SimConfig& sim_config, RulesConfig rules);

}  // namespace

int run_simulate(const SimulateArgs& args) {
  if (args.out.empty() && !args.closed_loop) {
    spdlog::error("orderguard simulate: --out is required (a file, or - for stdout)");
    return kExitUsage;
  }
  if (!args.closed_loop && (!args.report.empty() || !args.config.empty() || !args.incidents.empty() || !args.commands.empty())) {
    spdlog::error("orderguard simulate: --report, --config, --incidents and --commands go with --closed-loop");
    return kExitUsage;
  }
  if (args.closed_loop && args.out == "-") {
    spdlog::error("orderguard simulate: with --closed-loop the measures go to stdout: give --out a file");
    return kExitUsage;
  }
  sim::SimConfig config;
  config.orders = args.orders;
  config.seed = args.seed;
  config.incident_rate = args.incident_rate;
  config.noise_rate = args.noise_rate;
  const auto platform = sim::platform_from_name(args.platform);
  if (!platform) {
    spdlog::error("orderguard simulate: --platform must be grocery, errand, mall or mixed (got '{}')", args.platform);
    return kExitUsage;
  }
  config.platform = *platform;
  const auto start = parse_rfc3339_ms(args.start);
  if (!start) {
    spdlog::error("orderguard simulate: --start: {}", start.error());
    return kExitUsage;
  }
  config.start_ms = *start;
  if (const auto valid = sim::validate(config); !valid) {
    spdlog::error("orderguard simulate: {}", valid.error());
    return kExitUsage;
  }
  if (!args.truth.empty() && args.truth == args.out && args.out != "-") {
    spdlog::error("orderguard simulate: --truth must be another file than --out");
    return kExitUsage;
  }

  if (args.closed_loop) {
    RulesConfig rules;
    if (!args.config.empty()) {
      auto loaded = load_rules_file(args.config);
      if (!loaded) {
        spdlog::error("{}", loaded.error());
        return kExitUsage;
      }
      rules = std::move(*loaded);
    }
    return run_closed_loop_command(args, config, std::move(rules));
  }

  File events_file, truth_file;
  if (!open_output(args.out, events_file)) return kExitFailure;
  if (!args.truth.empty() && !open_output(args.truth, truth_file)) return kExitFailure;
  sim::LineSink events(events_file.handle, 4 << 20);
  sim::LineSink truth(truth_file.handle, 1 << 20);
  const sim::SimStats stats = sim::simulate(config, events, args.truth.empty() ? nullptr : &truth);
  events.flush();
  truth.flush();
  if (events.failed() || truth.failed() || (events_file.owned && std::fflush(events_file.handle) != 0) ||
      (truth_file.owned && std::fflush(truth_file.handle) != 0)) {
    spdlog::error("orderguard simulate: writing failed: {}", std::strerror(errno));
    return kExitFailure;
  }
  spdlog::info("orderguard simulate: {} orders over {} day(s), {} events, {} lines ({} duplicates, {} delayed, {} bad), "
             "{} truth records ({} planted, {} near misses); {} to {}\n",
             stats.orders, stats.days, stats.events, stats.lines, stats.duplicates, stats.delayed, stats.bad_lines,
             stats.truth_records, stats.planted, stats.near_misses, format_utc_ms(stats.first_ts), format_utc_ms(stats.last_ts));
  if (stats.clean_surprises != 0) {
    spdlog::warn("orderguard simulate: warning: {} clean orders were flagged by the delivery checks (kept in the truth)",
               stats.clean_surprises);
  }
  return kExitOk;
}

namespace {

// The closed loop: the day through the engine, the measures on stdout.
int run_closed_loop_command(const SimulateArgs& args, const sim::SimConfig& sim_config, RulesConfig rules) {
  loop::ClosedLoopConfig config;
  config.sim = sim_config;
  File events_file, truth_file;
  if (!args.out.empty() && !open_output(args.out, events_file)) return kExitFailure;
  if (!args.truth.empty() && !open_output(args.truth, truth_file)) return kExitFailure;
  sim::LineSink events(events_file.handle, 4 << 20);
  sim::LineSink truth(truth_file.handle, 1 << 20);
  Engine engine(std::move(rules));
  const loop::ClosedLoopStats stats =
      loop::run_closed_loop(config, engine, args.out.empty() ? nullptr : &events, args.truth.empty() ? nullptr : &truth);
  events.flush();
  truth.flush();
  if (events.failed() || truth.failed() || (events_file.owned && std::fflush(events_file.handle) != 0) ||
      (truth_file.owned && std::fflush(truth_file.handle) != 0)) {
    spdlog::error("orderguard simulate: writing failed: {}", std::strerror(errno));
    return kExitFailure;
  }
  const HandlingMeasures measures = measure_handling(engine, stats.end);
  fmt::print("{}", loop::summary_line(stats));
  fmt::print("{}", measures_table(measures));
  fmt::print("{}", loop::escalation_causes_table(stats));
  std::fflush(stdout);
  if (!args.report.empty() && !write_whole_file(args.report, measures_json(measures) + "\n")) return kExitFailure;
  if (!args.incidents.empty() && !write_whole_file(args.incidents, incidents_ndjson(engine, engine.interner()))) return kExitFailure;
  if (!args.commands.empty() && !write_whole_file(args.commands, commands_ndjson(engine))) return kExitFailure;
  for (const AgentRefusal& refusal : engine.agent_refusals()) {
    spdlog::warn("orderguard simulate: agent event {} refused: {}", refusal.event_id, refusal.message);
  }
  if (stats.world_bad != 0) spdlog::warn("orderguard simulate: {} world answers did not parse", stats.world_bad);
  if (stats.dropped_after_tail != 0) {
    spdlog::info("orderguard simulate: {} answers or agent actions fell after the end of the run", stats.dropped_after_tail);
  }
  return kExitOk;
}

}  // namespace

}  // namespace og::cli
