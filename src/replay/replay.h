// replay/replay: the batch contract of `orderguard replay` (docs/spec/INTERFACES.md): NDJSON
// in, through the engine in event time, incidents/commands/report out.
// Owns: streaming line reading with the 1 MiB limit, bad-line accounting. File I/O is here,
// at the edge; the engine only ever sees parsed events. Depends on: engine, events.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "engine/engine.h"

namespace og {

struct ReplayStats {
  std::uint64_t lines = 0;  // non-blank lines read
  std::uint64_t events = 0; // lines that parsed
  std::uint64_t bad_lines = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t late = 0;
};

using BadLineHandler = std::function<void(std::uint64_t line_number, const std::string& reason)>;

// Feeds every line of `input` to the engine. A bad line is reported and skipped; with
// `strict` reading stops at the first one (the return value says whether it did).
class ReplayRunner {
 public:
  ReplayRunner(Engine& engine, BadLineHandler on_bad_line, bool strict = false);
  ~ReplayRunner();

  // Returns false when stopped by a bad line under `strict`.
  bool feed_stream(std::FILE* input);
  bool feed_buffer(std::string_view ndjson);

  const ReplayStats& stats() const { return stats_; }

 private:
  bool feed_line(std::uint64_t line_number, std::string_view line);
  // What follows a line's parse: the bad-line report, or the event's ingestion.
  bool after_parse(std::uint64_t line_number, const tl::expected<void, std::string>& result);
  struct Impl;
  Engine& engine_;
  BadLineHandler on_bad_line_;
  bool strict_;
  ReplayStats stats_;
  struct Impl* impl_;
};

}  // namespace og
