// GET /v1/incidents' page (server/incident_list) over a large incident log, as the engine thread
// computes it: a simulated grocery day (12,000 orders, seed 9) whose every fourth 1 MiB slice
// arrives last, which leaves about 36K incidents. The board asks for eleven totals with
// limit=1 every three seconds; the analytics view walks pages of 500.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/time.h"
#include "engine/engine.h"
#include "events/parser.h"
#include "replay/replay.h"
#include "server/incident_list.h"
#include "sim/simulator.h"

namespace og::bench {
namespace {

const Engine& late_day() {
  static const std::unique_ptr<Engine> engine = [] {
    sim::SimConfig config;
    config.orders = 12000;
    config.seed = 9;
    config.platform = sim::Platform::kGrocery;
    config.noise_rate = 0;
    config.start_ms = *parse_rfc3339_ms("2026-11-21T00:00:00+08:00");
    sim::LineSink events;
    sim::simulate(config, events, nullptr);
    std::vector<std::string> slices(1);
    for_each_line(events.text(), [&](std::size_t, std::string_view line) {
      slices.back().append(line).push_back('\n');
      if (slices.back().size() >= (std::size_t{1} << 20)) slices.emplace_back();
    });
    std::string reordered;
    for (std::size_t i = 0; i < slices.size(); ++i) {
      if (i % 4 != 3) reordered += slices[i];
    }
    for (std::size_t i = 3; i < slices.size(); i += 4) reordered += slices[i];
    auto built = std::make_unique<Engine>(RulesConfig{});
    ReplayRunner runner(*built, nullptr);
    runner.feed_buffer(reordered);
    built->finish();
    return built;
  }();
  return *engine;
}

void BM_IncidentPage(benchmark::State& state) {
  const Engine& engine = late_day();
  server::IncidentFilter filter;
  if (state.range(0) == 1) filter.status = IncidentStatus::kResolved;
  const server::PageStart start{.offset = static_cast<std::size_t>(state.range(1))};
  const auto limit = static_cast<std::size_t>(state.range(2));
  for (auto _ : state) benchmark::DoNotOptimize(server::incident_page(engine, filter, start, limit));
  state.counters["incidents"] = static_cast<double>(engine.incidents().all().size());
}
BENCHMARK(BM_IncidentPage)
    ->ArgNames({"resolved_only", "cursor", "limit"})
    ->Args({0, 0, 1})
    ->Args({1, 0, 1})
    ->Args({0, 0, 500})
    ->Args({0, 10000, 500})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace og::bench
