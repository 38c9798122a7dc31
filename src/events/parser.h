// events/parser: the one parser for every way events arrive (HTTP body, NDJSON file, stdin,
// a Kafka message). Validates exactly per docs/spec/EVENTS.md and says what is wrong in the
// form "<field>: <what is wrong>"; callers prefix "line N: " or "event N: ".
// Depends on: core, events/event. simdjson stays inside parser.cc to keep this header lean.
// Not thread-safe: one parser per thread; it reuses its buffers between lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "core/interner.h"
#include "events/event.h"

namespace og {

inline constexpr std::size_t kMaxLineBytes = 1 << 20;  // 1 MiB, per EVENTS.md
inline constexpr std::size_t kMaxIdBytes = 128;
// What parse_terminated() needs past the line: this many readable bytes, the first '\0'.
inline constexpr std::size_t kTerminatedPadding = 64;

class EventParser {
 public:
  explicit EventParser(Interner& interner);
  ~EventParser();
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  // Parses one JSON object into `out` (which is reset first). On error `out` is unspecified.
  // Ordinary lines take a fast reader; every other line (and every error) the general one.
  tl::expected<void, std::string> parse(std::string_view json, Event& out);
  // parse() for a line that stands where its bytes may be read past its end: the byte right
  // after it is '\0' and kTerminatedPadding bytes from there are readable (what they hold does
  // not matter). The fast reader then reads the line in place, without parse()'s copy of it
  // into a padded buffer; the same event, the same symbols, the same errors.
  // `id`/`id_hash`: what a reader ahead already found (replay/lookahead.h), the event id's
  // bytes in the line and their hash64; used only where the id read is those very bytes.
  tl::expected<void, std::string> parse_terminated(std::string_view json, Event& out, std::string_view id = {},
                                                   std::uint64_t id_hash = 0);

  // The general reader alone (simdjson On-Demand), for tests and fuzzing: parse() must give
  // the same event, the same symbols and the same error as this, line after line.
  tl::expected<void, std::string> parse_general(std::string_view json, Event& out);
  // How many lines parse() read with the fast reader.
  std::uint64_t fast_lines() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits an NDJSON buffer into lines (LF or CRLF), numbering them from 1. Blank lines are
// skipped but counted, so numbers match what an editor shows.
void for_each_line(std::string_view buffer, const std::function<void(std::size_t line_number, std::string_view line)>& visit);

}  // namespace og
