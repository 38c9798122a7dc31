// `orderguard simulate`: the CLI glue around src/sim. Opens the files, runs the world, says
// what it wrote. Everything else is in og::sim.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "core/time.h"
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

}  // namespace

int run_simulate(const SimulateArgs& args) {
  if (args.closed_loop) {
    spdlog::error("orderguard simulate: --closed-loop is not available until handling lands");
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

}  // namespace og::cli
