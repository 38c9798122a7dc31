// sim/stream: where simulated lines go, and the noise real feeds add on the way.
// LineSink writes buffered (no flush per line): to a FILE*, into a string (tests), or line by
// line to a handler (the closed loop feeds each line to the engine as it is written).
// NoiseStage delays some events within the out-of-orderness bound, re-sends some under the
// same id, and slips in bad lines (invalid JSON, a missing required field, negative money)
// that the engine rejects. Every event is released in order of arrival = ts + delay with
// delay < 10 s, so none ever arrives behind the watermark (highest ts so far - 10 s).
// Owns: output buffering and arrival order. Depends on: core (time), sim/random.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "events/event_type.h"
#include "sim/random.h"

namespace og::sim {

class LineSink {
 public:
  // `file` null: lines accumulate in text(). Writes in blocks of `buffer_bytes`.
  explicit LineSink(std::FILE* file = nullptr, std::size_t buffer_bytes = 1 << 20);
  // Each complete line (without its newline) goes to `on_line` at once; nothing is kept.
  using LineHandler = std::function<void(std::string_view line)>;
  explicit LineSink(LineHandler on_line);
  ~LineSink();
  LineSink(const LineSink&) = delete;
  LineSink& operator=(const LineSink&) = delete;

  void write(std::string_view text);  // one or more complete lines
  void flush();
  bool failed() const { return failed_; }
  std::string& text() { return buffer_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::FILE* file_;
  LineHandler on_line_;
  std::size_t buffer_bytes_;
  std::string buffer_;
  bool failed_ = false;
  std::uint64_t bytes_ = 0;
};

// The most an event is delayed: strictly below the engine's 10 s bound.
inline constexpr DurationMs kMaxDelayMs = 9999;

struct NoiseCounts {
  std::uint64_t delayed = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t bad_lines = 0;
  std::uint64_t lines = 0;
};

class NoiseStage {
 public:
  NoiseStage(std::uint64_t seed, double rate, LineSink& sink);

  // One event in ts order. `order_id` may be empty (master data); it only shapes bad lines.
  // The line is copied only when it must wait (delayed or duplicated); the caller keeps it.
  void push(TimeMs ts, std::string_view order_id, const std::string& line);
  // Releases every line whose arrival is at or before `now` (all later events have ts >= now).
  void release_until(TimeMs now);
  void finish();

  const NoiseCounts& counts() const { return counts_; }
  std::size_t buffered() const { return pending_.size(); }

 private:
  struct Pending {
    TimeMs arrival;
    std::uint64_t seq;
    std::string line;
  };
  struct Later {
    bool operator()(const Pending& a, const Pending& b) const { return a.arrival != b.arrival ? a.arrival > b.arrival : a.seq > b.seq; }
  };
  void enqueue(TimeMs arrival, std::string&& line);
  std::string bad_line(TimeMs ts, std::string_view order_id);

  Rng rng_;
  double rate_;
  LineSink& sink_;
  std::priority_queue<Pending, std::vector<Pending>, Later> pending_;
  std::uint64_t seq_ = 0;
  std::uint64_t bad_serial_ = 0;
  NoiseCounts counts_;
};

}  // namespace og::sim
