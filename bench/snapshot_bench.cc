// Engine snapshots (docs/snapshots.md): how long snapshot() and restore() take, and how many
// bytes they write, with 100K open orders of the synthetic stream (10 items, 15 events each).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "engine/engine.h"
#include "replay/replay.h"
#include "synthetic_stream.h"

namespace og::bench {
namespace {

// One engine brought to steady state, shared by the benchmarks below (built once, untimed).
const Engine& warm_engine(std::uint64_t open_orders) {
  static std::unique_ptr<Engine> engine;
  static std::uint64_t built_for = 0;
  if (!engine || built_for != open_orders) {
    engine = std::make_unique<Engine>(RulesConfig{});
    ReplayRunner runner(*engine, nullptr);
    StreamGenerator generator(StreamShape{.open_orders = open_orders});
    std::string chunk;
    while (!generator.warmed_up()) {
      chunk.clear();
      generator.fill(chunk, 100000);
      runner.feed_buffer(chunk);
    }
    built_for = open_orders;
  }
  return *engine;
}

void BM_Snapshot(benchmark::State& state) {
  const auto open_orders = static_cast<std::uint64_t>(state.range(0));
  const Engine& engine = warm_engine(open_orders);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string snapshot = engine.snapshot();
    bytes = snapshot.size();
    benchmark::DoNotOptimize(snapshot.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["bytes_per_open_order"] = static_cast<double>(bytes) / static_cast<double>(open_orders);
  state.counters["orders_held"] = static_cast<double>(engine.order_count());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_Snapshot)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Restore(benchmark::State& state) {
  const auto open_orders = static_cast<std::uint64_t>(state.range(0));
  const std::string snapshot = warm_engine(open_orders).snapshot();
  for (auto _ : state) {
    auto restored = Engine::restore(snapshot);
    if (!restored) state.SkipWithError(restored.error().c_str());
    benchmark::DoNotOptimize(restored);
  }
  state.counters["bytes"] = static_cast<double>(snapshot.size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * snapshot.size()));
}
BENCHMARK(BM_Restore)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace og::bench
