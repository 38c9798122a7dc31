// The cost of encryption at rest on ingest: sealing a journal body (XChaCha20-Poly1305 under
// the current data key) and opening it again at recovery, per MB of NDJSON; and of
// compressing it (zstd) before sealing.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

#include <zstd.h>

#include "store/keyring.h"
#include "synthetic_stream.h"

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

// Journal bodies are compressed before they are sealed (store/store.cc): the cost of
// compressing one POST of 1,000 NDJSON lines at a zstd level and sealing what comes out, the
// ratio it reaches, and (open=1) what recovery pays to open and decompress it again. The
// level (docs/decisions.md) was chosen on these figures and on bench-http.
void BM_CompressSeal(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / ("og-compress-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    auto store = Store::open(dir.string());
    const auto ring = bench_ring(**store);
    std::string body;
    bench::StreamGenerator generator(bench::StreamShape{.open_orders = 20000});
    while (!generator.warmed_up()) {
      body.clear();
      generator.fill(body, 1000);
    }
    body.clear();
    generator.fill(body, 1000);
    const auto level = static_cast<int>(state.range(0));
    const bool open_too = state.range(1) != 0;
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> compressor(ZSTD_createCCtx(), ZSTD_freeCCtx);
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> decompressor(ZSTD_createDCtx(), ZSTD_freeDCtx);
    ZSTD_CCtx_setParameter(compressor.get(), ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(compressor.get(), ZSTD_c_checksumFlag, 1);
    std::vector<char> compressed(ZSTD_compressBound(body.size()));
    std::vector<unsigned char> sealed;
    std::string plain(body.size(), '\0');
    std::size_t size = 0;
    for (auto _ : state) {
      size = ZSTD_compress2(compressor.get(), compressed.data(), compressed.size(), body.data(), body.size());
      const auto bytes = ring->seal_into(sealed, std::string_view(compressed.data(), size), "orderguard-journal-v1 12345678");
      if (open_too) {
        auto opened = ring->open(ring->current_id(), std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                                 "orderguard-journal-v1 12345678");
        benchmark::DoNotOptimize(ZSTD_decompressDCtx(decompressor.get(), plain.data(), plain.size(), opened->data(), opened->size()));
      }
      benchmark::DoNotOptimize(bytes.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
    state.counters["ratio"] = static_cast<double>(body.size()) / static_cast<double>(size);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CompressSeal)
    ->ArgNames({"level", "open"})
    ->Args({-7, 0})
    ->Args({-3, 0})
    ->Args({-1, 0})
    ->Args({1, 0})
    ->Args({3, 0})
    ->Args({1, 1});

}  // namespace
}  // namespace og::store
