#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/timer_wheel.h"

namespace og {
namespace {

constexpr std::int64_t kEpochMs = 1'700'000'000'000;
constexpr std::int64_t kSecondMs = 1000;
constexpr std::int64_t kMinuteMs = 60 * kSecondMs;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;

// The engine's mix: retries in seconds, payment timeouts in minutes, stage limits in hours.
std::int64_t realistic_timeout_ms(std::mt19937_64& rng) {
  const auto within = [&rng](std::int64_t low, std::int64_t high) {
    return low + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(high - low));
  };
  switch (rng() % 10) {
    case 0: case 1: case 2: case 3: return within(kSecondMs, kMinuteMs);
    case 4: case 5: case 6: return within(kMinuteMs, 30 * kMinuteMs);
    default: return within(kHourMs, 24 * kHourMs);
  }
}

// Pre-drawn so the timed loops measure the wheel, not the generator.
std::vector<std::int64_t> timeout_table(std::size_t count) {
  std::mt19937_64 rng(42);
  std::vector<std::int64_t> timeouts(count);
  for (auto& timeout : timeouts) timeout = realistic_timeout_ms(rng);
  return timeouts;
}

double mean(const std::vector<std::int64_t>& values) {
  double sum = 0;
  for (const std::int64_t value : values) sum += static_cast<double>(value);
  return sum / static_cast<double>(values.size());
}

constexpr std::size_t kTableSize = 1 << 16;  // a power of two: the loops index with a mask

// Each iteration cancels a pending timer and schedules a replacement, as an order's state change
// replaces its deadline; the population stays at range(0).
void BM_ScheduleCancel(benchmark::State& state) {
  const auto population = static_cast<std::size_t>(state.range(0));
  const std::vector<std::int64_t> timeouts = timeout_table(kTableSize);
  TimerWheel wheel(kEpochMs);
  std::vector<TimerId> pending(population);
  for (std::size_t i = 0; i < population; ++i) {
    pending[i] = wheel.schedule(kEpochMs + timeouts[i % kTableSize], i);
  }

  std::size_t next = 0;
  std::size_t victim = 0;
  for (auto _ : state) {
    wheel.cancel(pending[victim]);
    pending[victim] = wheel.schedule(kEpochMs + timeouts[next & (kTableSize - 1)], next);
    ++next;
    if (++victim == population) victim = 0;
  }
  benchmark::DoNotOptimize(wheel.size());
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("items = schedule+cancel pairs");
}
BENCHMARK(BM_ScheduleCancel)->Arg(1000)->Arg(100'000)->Arg(1'000'000);

// Steady state: each iteration advances event time, fires what fell due and schedules one new
// timer. The time step makes firings match schedulings at a population of range(0) timers.
void BM_ScheduleExpire(benchmark::State& state) {
  const auto population = static_cast<std::size_t>(state.range(0));
  const std::vector<std::int64_t> timeouts = timeout_table(kTableSize);
  const double step = mean(timeouts) / static_cast<double>(population);

  // A running system's pending timers: long timeouts are over-represented in proportion to
  // their length (they stay pending longer), and each is part-way through. Anything else makes
  // the short timeouts fire in a burst at the start and the measured loop never settle.
  TimerWheel wheel(kEpochMs);
  std::mt19937_64 rng(7);
  const std::int64_t longest = *std::max_element(timeouts.begin(), timeouts.end());
  for (std::size_t i = 0; i < population;) {
    const std::int64_t timeout = timeouts[rng() & (kTableSize - 1)];
    if (static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(longest)) >= timeout) continue;
    const auto elapsed = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(timeout));
    wheel.schedule(kEpochMs + timeout - elapsed, i++);
  }

  std::uint64_t fired = 0;
  const TimerWheel::Fire count = [&fired](std::int64_t, std::uint64_t) { ++fired; };
  double clock = static_cast<double>(kEpochMs);
  std::size_t next = 0;
  for (auto _ : state) {
    clock += step;
    const auto now = static_cast<std::int64_t>(clock);
    wheel.expire_before(now, count);
    wheel.schedule(now + timeouts[next & (kTableSize - 1)], next);
    ++next;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["fired/iter"] = static_cast<double>(fired) / static_cast<double>(state.iterations());
  state.counters["live"] = static_cast<double>(wheel.size());
  state.SetLabel("items = expire_before+schedule steps");
}
BENCHMARK(BM_ScheduleExpire)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);

// Quiet periods: an hour of event time passes per call while a million timers wait 400 days
// ahead (still inside the levels; the start is block-aligned so no overflow pass is measured).
void BM_ExpireNothingDue(benchmark::State& state) {
  const std::vector<std::int64_t> timeouts = timeout_table(kTableSize);
  const std::int64_t start = (kEpochMs >> 36) << 36;
  TimerWheel wheel(start);
  const std::int64_t far = start + 400 * 24 * kHourMs;
  for (std::size_t i = 0; i < 1'000'000; ++i) wheel.schedule(far + timeouts[i % kTableSize], i);

  std::int64_t now = start;
  const TimerWheel::Fire ignore = [](std::int64_t, std::uint64_t) {};
  for (auto _ : state) {
    now += kHourMs;
    if (now >= far) {
      state.PauseTiming();
      state.SkipWithError("ran into the pending timers");
      break;
    }
    wheel.expire_before(now, ignore);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ExpireNothingDue)->Iterations(8000);

}  // namespace
}  // namespace og
