// End-to-end replay throughput (parse -> state -> rules -> incidents written) on one core, at
// 10K, 100K and 1M open orders, beside a reference "limit": the same bytes parsed with
// simdjson and each event upserted into a hash map by order_id, nothing else.
// Also: resident heap per open order at 1M open orders (10 items each, all indexes included).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <simdjson.h>

#include <cstdio>
#include <string>
#include <unordered_map>

#include "engine/engine.h"
#include "events/parser.h"
#include "replay/output.h"
#include "replay/replay.h"
#include "synthetic_stream.h"

namespace og::bench {
namespace {

// Bytes the allocator has handed out, including large blocks it served with mmap.
std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

constexpr std::uint64_t kMeasuredEvents = 1000000;

// Brings a fresh engine to steady state with `open_orders` open orders (untimed by callers).
void warm_up(Engine& engine, ReplayRunner& runner, StreamGenerator& generator) {
  std::string chunk;
  while (!generator.warmed_up()) {
    chunk.clear();
    generator.fill(chunk, 100000);
    runner.feed_buffer(chunk);
  }
  (void)engine;
}

void BM_ReplayEndToEnd(benchmark::State& state) {
  const auto open_orders = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    Engine engine{RulesConfig{}};
    ReplayRunner runner(engine, nullptr);
    StreamGenerator generator(StreamShape{.open_orders = open_orders});
    warm_up(engine, runner, generator);
    std::string measured;
    generator.fill(measured, kMeasuredEvents);
    state.ResumeTiming();

    // Read as `orderguard replay --input FILE` reads: in blocks, each line parsed where it
    // stands (ReplayRunner::feed_stream), from memory here so the disk is not measured.
    std::FILE* input = fmemopen(measured.data(), measured.size(), "r");
    if (input == nullptr) {
      state.SkipWithError("fmemopen could not open the measured stream");
      break;
    }
    runner.feed_stream(input);
    std::fclose(input);
    const std::string incidents = incidents_ndjson(engine, engine.interner());
    benchmark::DoNotOptimize(incidents.data());

    state.PauseTiming();
    state.counters["bytes_per_event"] = static_cast<double>(measured.size()) / kMeasuredEvents;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kMeasuredEvents));
}
BENCHMARK(BM_ReplayEndToEnd)->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// The limit: simdjson On-Demand reads each line's order_id and the event is upserted into a
// hash map by order_id; nothing else.
void BM_ReferenceLimit(benchmark::State& state) {
  const auto open_orders = static_cast<std::uint64_t>(state.range(0));
  StreamGenerator generator(StreamShape{.open_orders = open_orders});
  std::string warm;
  while (!generator.warmed_up()) generator.fill(warm, 100000);
  std::string measured;
  generator.fill(measured, kMeasuredEvents);
  struct Seen {
    std::int64_t events = 0;
  };
  for (auto _ : state) {
    simdjson::ondemand::parser parser;
    std::unordered_map<std::string, Seen> orders;
    orders.reserve(open_orders * 2);
    std::string padded;
    for_each_line(measured, [&](std::size_t, std::string_view line) {
      padded.assign(line);
      padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
      simdjson::ondemand::document doc;
      if (parser.iterate(padded.data(), line.size(), padded.size()).get(doc)) return;
      std::string_view order_id;
      if (doc["order_id"].get_string().get(order_id)) return;
      ++orders[std::string(order_id)].events;
    });
    benchmark::DoNotOptimize(orders.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kMeasuredEvents));
}
BENCHMARK(BM_ReferenceLimit)->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Heap bytes per open order once 1M orders with 10 items each are open (mallinfo2, mmapped
// blocks included: every allocation the engine holds, interned strings and indexes too).
void BM_MemoryPerOpenOrder(benchmark::State& state) {
  const auto open_orders = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    // The generator's own queue of future events is heap too: measure it alone first.
    std::size_t generator_bytes = 0;
    {
      const std::size_t start = heap_in_use();
      StreamGenerator alone(StreamShape{.open_orders = open_orders});
      std::string scratch;
      while (!alone.warmed_up()) {
        scratch.clear();
        alone.fill(scratch, 1);
      }
      generator_bytes = heap_in_use() - start;
    }
    const std::size_t before = heap_in_use();
    auto engine = std::make_unique<Engine>(RulesConfig{});
    ReplayRunner runner(*engine, nullptr);
    StreamGenerator generator(StreamShape{.open_orders = open_orders});
    std::string chunk;
    // Feed exactly the warm-up: at its end `open_orders` orders are open and none finished.
    while (!generator.warmed_up()) {
      chunk.clear();
      generator.fill(chunk, 1);
      runner.feed_buffer(chunk);
    }
    chunk.clear();
    chunk.shrink_to_fit();
    const std::size_t after = heap_in_use();
    state.counters["bytes_per_open_order"] = static_cast<double>(after - before - generator_bytes) / static_cast<double>(open_orders);
    const EngineMemory parts = engine->memory_usage();
    const auto per_order = [&](std::size_t bytes) { return static_cast<double>(bytes) / static_cast<double>(open_orders); };
    state.counters["state"] = per_order(parts.orders);
    state.counters["items"] = per_order(parts.order_items);
    state.counters["extras"] = per_order(parts.order_extras);
    state.counters["interned"] = per_order(parts.interned);
    state.counters["evidence_ids"] = per_order(parts.evidence_ids);
    state.counters["timers"] = per_order(parts.timers);
    state.counters["people"] = per_order(parts.people);
    state.counters["dedupe"] = per_order(parts.dedupe);
    state.counters["reorder_buffer"] = per_order(parts.reorder_buffer);
  }
}
BENCHMARK(BM_MemoryPerOpenOrder)->Arg(1000000)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace og::bench
