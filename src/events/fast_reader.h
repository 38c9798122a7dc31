// events/fast_reader: the parser's fast path for ordinary lines. It reads the JSON bytes
// directly (no document model, no per-value layers): keys are matched raw against the field
// table, strings without escapes are viewed in place, numbers are converted where they stand,
// and the strings to intern are interned only once the whole line has been read.
//
// It fills the Event exactly as the general reader (events/parser.cc, simdjson On-Demand)
// does, or gives up. It gives up, before interning anything, on whatever it does not take for
// certain: an escape in a string that is kept, a \u escape anywhere, a repeated known key, a
// value of an unexpected shape or range, negative numbers where they are whole, deep nesting,
// invalid JSON or UTF-8, and every line the general reader would reject. The general reader
// then reads the line afresh, so every error message and every edge case has one author.
// tests/events/fast_reader_test.cc holds the two readers to the same results.
// Internal to src/events.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/interner.h"
#include "core/time.h"
#include "events/event.h"

namespace og::events_internal {

// The fast reader needs this many readable bytes after the line, all '\0'.
inline constexpr std::size_t kFastPadding = 64;

// A string to intern once the line is known to be good, and where its symbol goes.
struct PendingSymbol {
  std::string_view text;
  Symbol* target;
};

// True: `event` (reset by the caller) is filled and its strings interned, exactly as the
// general reader would have done. False: nothing was interned; the caller resets `event` and
// reads the line with the general reader. `pending` is scratch space kept between lines.
bool read_fast(std::string_view line, Interner& interner, Event& event, std::vector<PendingSymbol>& pending);

// parse_rfc3339_ms without building an error: true with the same value where it succeeds,
// false where it fails. The usual layouts (`2026-11-21T10:00:00[.123](Z|+08:00)`) are read in
// place; any other text goes to parse_rfc3339_ms.
bool parse_time_fast(std::string_view text, TimeMs& out);

}  // namespace og::events_internal
