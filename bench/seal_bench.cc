// The cost of encryption at rest on ingest: sealing a journal body (XChaCha20-Poly1305 under
// the current data key) and opening it again at recovery, per MB of NDJSON.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

#include "store/keyring.h"

namespace og::store {
namespace {

std::shared_ptr<const KeyRing> bench_ring(Store& store) {
  auto master = master_key_from_hex(std::string(64, 'a'), "bench");
  auto ring = KeyRing::open(store, *master, 0);
  return *ring;
}

void BM_SealOpen(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / ("og-seal-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    auto store = Store::open(dir.string());
    const auto ring = bench_ring(**store);
    const std::string body(static_cast<std::size_t>(state.range(0)), 'x');
    const bool open_too = state.range(1) != 0;
    for (auto _ : state) {
      std::string sealed = ring->seal(body, "orderguard-journal-v1 12345678");
      if (open_too) benchmark::DoNotOptimize(ring->open(ring->current_id(), sealed, "orderguard-journal-v1 12345678"));
      benchmark::DoNotOptimize(sealed);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  }
  std::filesystem::remove_all(dir);
}
// A typical POST of 1,000 lines is ~400 KB; 64 MB is the most one group commits.
BENCHMARK(BM_SealOpen)->ArgNames({"bytes", "open"})->Args({4096, 0})->Args({400 << 10, 0})->Args({400 << 10, 1})->Args({64 << 20, 0})->UseRealTime();

}  // namespace
}  // namespace og::store
