// server/overload: what keeps `orderguard serve` under its memory cap (`--max-memory`,
// docs/serve.md "Overload"). Two brakes on ingest, both answered 429 with a Retry-After:
//   - request bodies held in memory (being read, waiting for the engine, being applied) have a
//     budget, a share of the cap; a body that does not fit is refused before it is read;
//   - while the process's resident memory is above a high-water mark of the cap, new ingest is
//     refused and /readyz says not ready; reads go on.
// Retry-After is the time the engine needs to drain what is held, at the rate it drained
// lately, clamped to [1, 60] s.
// Owns: the body budget, the resident-memory sample, the refusal counts. Depends on: nothing
// of OrderGuard (the drain rate comes in as a function). Thread-safe: every member may be
// called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace og::server {

struct OverloadLimits {
  std::size_t max_memory_bytes = std::size_t{2} << 30;  // --max-memory (default 2 GiB)
  std::size_t body_budget_bytes = 0;   // request bodies held at once
  std::size_t high_water_bytes = 0;    // resident memory above which ingest is refused
  // The shares serve uses (docs/serve.md): bodies 1/16 of the cap, high water 5/8. Applying a
  // body costs about four times its size for a moment (parsed events, the journal's
  // transaction, derived rows), so a full budget at the mark stays near 7/8 of the cap.
  static OverloadLimits for_cap(std::size_t max_memory_bytes);
};

enum class OverloadReason : std::uint8_t { kBodies, kMemory };

struct Refusal {
  OverloadReason reason = OverloadReason::kBodies;
  std::uint32_t retry_after_s = 1;
  std::string message;
};

// Seconds until `waiting_bytes` have drained at `drain_bytes_per_s`, clamped to [1, 60]; 1
// while the rate is not known.
std::uint32_t retry_after_seconds(std::size_t waiting_bytes, double drain_bytes_per_s);

// Resident memory of this process (/proc/self/statm), in bytes; 0 when it cannot be read.
std::size_t resident_bytes();
// Peak resident memory (VmHWM of /proc/PID/status; PID 0: this process), in bytes; 0 when unknown.
std::size_t peak_resident_bytes(int pid = 0);

class Overload {
 public:
  // `drain_bytes_per_s`: how fast the engine took request bodies lately (0: not known yet).
  Overload(OverloadLimits limits, std::function<double()> drain_bytes_per_s);

  // Holds `bytes` of request body when they fit the budget; a request alone larger than the
  // whole budget fits only when nothing else is held, so that no body is refused for ever.
  // `force`: held (and counted) even over the budget: small bodies that are not ingest.
  std::optional<Refusal> hold(std::size_t bytes, bool force = false);
  void release(std::size_t bytes);
  // Whether new ingest is refused for resident memory (sampled at most every 20 ms).
  std::optional<Refusal> memory_refusal();
  bool memory_high();

  const OverloadLimits& limits() const { return limits_; }
  std::size_t held_bytes() const { return held_; }
  std::size_t held_bytes_max() const { return held_max_; }
  std::size_t rss_bytes();  // the latest sample
  std::uint64_t refused(OverloadReason reason) const {
    return reason == OverloadReason::kBodies ? refused_bodies_.load() : refused_memory_.load();
  }

 private:
  std::uint32_t retry_after_s(std::size_t waiting_bytes) const;
  void sample();

  const OverloadLimits limits_;
  std::function<double()> drain_bytes_per_s_;
  std::atomic<std::size_t> held_ = 0;
  std::atomic<std::size_t> held_max_ = 0;
  std::atomic<std::size_t> rss_ = 0;
  std::atomic<std::int64_t> sampled_at_ns_ = 0;
  std::atomic<std::int64_t> trimmed_at_ns_ = 0;
  std::atomic<std::uint64_t> refused_bodies_ = 0;
  std::atomic<std::uint64_t> refused_memory_ = 0;
};

}  // namespace og::server
