// The event parser alone on the steady-state stream of replay_bench (100K open orders): every
// line into one reused Event, with the fast reader (as replay parses) and with the general
// reader alone (simdjson On-Demand, what parse() falls back to), to compare the two.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "events/parser.h"
#include "synthetic_stream.h"

namespace og::bench {
namespace {

constexpr std::uint64_t kParsedEvents = 1000000;

const std::string& steady_stream() {
  static const std::string stream = [] {
    StreamGenerator generator(StreamShape{.open_orders = 100000});
    std::string warm;
    while (!generator.warmed_up()) {
      warm.clear();
      generator.fill(warm, 100000);
    }
    std::string measured;
    generator.fill(measured, kParsedEvents);
    return measured;
  }();
  return stream;
}

void BM_Parse(benchmark::State& state) {
  const bool general = state.range(0) != 0;
  std::vector<std::string_view> lines;
  for_each_line(steady_stream(), [&](std::size_t, std::string_view line) { lines.push_back(line); });
  for (auto _ : state) {
    Interner interner;
    EventParser parser(interner);
    Event event;
    std::size_t accepted = 0;
    for (const std::string_view line : lines) {
      accepted += (general ? parser.parse_general(line, event) : parser.parse(line, event)).has_value() ? 1 : 0;
    }
    benchmark::DoNotOptimize(accepted);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_Parse)->ArgName("general_only")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace og::bench
