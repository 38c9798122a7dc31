// Helpers shared by the simulator tests: run the simulator into memory, replay its events
// through the engine in-process, and parse what came out.
#pragma once

#include <string>

#include "core/time.h"
#include "sim/simulator.h"

namespace og::sim::testing {

struct SimRun {
  std::string events;
  std::string truth;
  SimStats stats;
};

inline SimConfig config_for(std::uint64_t orders, std::uint64_t seed, Platform platform) {
  SimConfig config;
  config.orders = orders;
  config.seed = seed;
  config.platform = platform;
  config.start_ms = *parse_rfc3339_ms("2026-11-21T00:00:00+08:00");
  return config;
}

inline SimRun run_sim(const SimConfig& config) {
  SimRun run;
  LineSink events;
  LineSink truth;
  run.stats = simulate(config, events, &truth);
  run.events = std::move(events.text());
  run.truth = std::move(truth.text());
  return run;
}

}  // namespace og::sim::testing
