#include "server/overload.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace og::server {
namespace {

constexpr std::int64_t kSampleEveryNs = 20'000'000;    // resident memory: at most every 20 ms
constexpr std::int64_t kTrimEveryNs = 1'000'000'000;   // malloc_trim: at most every second
constexpr std::uint32_t kRetryAfterMinS = 1;
constexpr std::uint32_t kRetryAfterMaxS = 60;
constexpr std::uint32_t kRetryAfterMemoryMinS = 5;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A small /proc file read whole, without allocating: these run on the I/O thread.
std::size_t read_small(const char* path, char* out, std::size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t used = 0;
  while (used + 1 < size) {
    const ssize_t n = ::read(fd, out + used, size - 1 - used);
    if (n <= 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out[used] = '\0';
  return used;
}

}  // namespace

OverloadLimits OverloadLimits::for_cap(std::size_t max_memory_bytes) {
  OverloadLimits limits;
  limits.max_memory_bytes = max_memory_bytes;
  limits.body_budget_bytes = std::max<std::size_t>(max_memory_bytes / 16, 1 << 20);
  limits.high_water_bytes = max_memory_bytes / 8 * 5;
  return limits;
}

std::size_t resident_bytes() {
  char text[128];
  if (read_small("/proc/self/statm", text, sizeof text) == 0) return 0;
  // "size resident shared text lib data dt", in pages.
  char* end = nullptr;
  std::strtoull(text, &end, 10);
  const unsigned long long pages = std::strtoull(end, nullptr, 10);
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::size_t peak_resident_bytes(int pid) {
  const std::string path = pid == 0 ? std::string("/proc/self/status") : fmt::format("/proc/{}/status", pid);
  char text[4096];
  if (read_small(path.c_str(), text, sizeof text) == 0) return 0;
  const char* line = std::strstr(text, "VmHWM:");
  if (line == nullptr) return 0;
  return static_cast<std::size_t>(std::strtoull(line + 6, nullptr, 10)) * 1024;  // "VmHWM:  12345 kB"
}

Overload::Overload(OverloadLimits limits, std::function<double()> drain_bytes_per_s)
    : limits_(limits), drain_bytes_per_s_(std::move(drain_bytes_per_s)) {}

std::uint32_t retry_after_seconds(std::size_t waiting_bytes, double drain_bytes_per_s) {
  if (!(drain_bytes_per_s > 0)) return kRetryAfterMinS;
  const double seconds = std::ceil(static_cast<double>(waiting_bytes) / drain_bytes_per_s);
  return static_cast<std::uint32_t>(std::clamp(seconds, double{kRetryAfterMinS}, double{kRetryAfterMaxS}));
}

std::uint32_t Overload::retry_after_s(std::size_t waiting_bytes) const {
  return retry_after_seconds(waiting_bytes, drain_bytes_per_s_ ? drain_bytes_per_s_() : 0.0);
}

std::optional<Refusal> Overload::hold(std::size_t bytes, bool force) {
  std::size_t held = held_.load();
  for (;;) {
    if (!force && held > 0 && held + bytes > limits_.body_budget_bytes) {
      ++refused_bodies_;
      return Refusal{OverloadReason::kBodies, retry_after_s(held + bytes),
                     fmt::format("the server holds {} KiB of request bodies, its budget is {} KiB (a share of --max-memory); "
                                 "send this again after Retry-After seconds",
                                 held >> 10, limits_.body_budget_bytes >> 10)};
    }
    if (held_.compare_exchange_weak(held, held + bytes)) break;
  }
  const std::size_t now = held + bytes;
  std::size_t peak = held_max_.load();
  while (now > peak && !held_max_.compare_exchange_weak(peak, now)) {
  }
  return std::nullopt;
}

void Overload::release(std::size_t bytes) { held_ -= bytes; }

void Overload::sample() {
  const std::int64_t now = steady_ns();
  std::int64_t last = sampled_at_ns_.load();
  if (now - last < kSampleEveryNs || !sampled_at_ns_.compare_exchange_strong(last, now)) return;
  std::size_t rss = resident_bytes();
  std::int64_t trimmed = trimmed_at_ns_.load();
  if (rss > limits_.high_water_bytes && now - trimmed >= kTrimEveryNs && trimmed_at_ns_.compare_exchange_strong(trimmed, now)) {
    // Freed memory the allocator kept (bodies of a burst) goes back to the system first.
    ::malloc_trim(0);
    rss = resident_bytes();
  }
  rss_ = rss;
}

std::size_t Overload::rss_bytes() {
  sample();
  return rss_;
}

bool Overload::memory_high() { return rss_bytes() > limits_.high_water_bytes; }

std::optional<Refusal> Overload::memory_refusal() {
  if (!memory_high()) return std::nullopt;
  ++refused_memory_;
  return Refusal{OverloadReason::kMemory, std::max(kRetryAfterMemoryMinS, retry_after_s(held_)),
                 fmt::format("the server's resident memory ({} MiB) is above its high-water mark ({} MiB, 5/8 of --max-memory); "
                             "send this again after Retry-After seconds",
                             rss_.load() >> 20, limits_.high_water_bytes >> 20)};
}

}  // namespace og::server
