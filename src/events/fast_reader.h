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

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/interner.h"
#include "core/time.h"
#include "events/event.h"

namespace og::events_internal {

// The fast reader needs this many readable bytes after the line, the first of them '\0'. The
// others may hold anything (the next lines of a read buffer): it stops at that '\0' (a control
// byte, neither JSON space, digit nor part of any name or literal), and whatever it reads past
// the stop in wider loads is masked off or compared against bytes a '\0' could not match.
inline constexpr std::size_t kFastPadding = 64;

// A string to intern once the line is known to be good, and where its symbol goes.
struct PendingSymbol {
  std::string_view text;
  Symbol* target;
};

// The strings to intern once the line is read, in the order they came: a plain growing array
// (a push is on every string field, so it stays inline).
class PendingSymbols {
 public:
  void clear() { size_ = 0; }
  void push_back(PendingSymbol symbol) {
    if (size_ == capacity_) grow();
    entries_[size_++] = symbol;
  }
  std::size_t size() const { return size_; }
  PendingSymbol& operator[](std::size_t index) { return entries_[index]; }
  const PendingSymbol* begin() const { return entries_.get(); }
  const PendingSymbol* end() const { return entries_.get() + size_; }

 private:
  void grow();
  std::unique_ptr<PendingSymbol[]> entries_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// What the last timestamp read said, so that the next one of the same hour and zone (feeds
// come mostly in time order) only has its minutes, seconds and milliseconds to read.
struct TimeCache {
  std::uint64_t date = 0;       // bytes 0-7 of the text: `YYYY-MM-`
  std::uint64_t hour = 0;       // bytes 8-13: `DDTHH:`
  std::uint64_t zone = 0;       // the zone's bytes: `Z` or `+08:00`
  std::size_t size = 0;         // of the text (its layout); 0: nothing cached
  std::int64_t hour_start = 0;  // epoch seconds at HH:00:00 of that day in that zone
  // Of the layout, for the reader that checks a time in place (fast_reader.cc, read_cached_time):
  std::size_t zone_at = 0;          // where the zone starts: 19, or 23 after `.mmm`
  std::uint64_t zone_mask = 0;      // the zone's bytes in a word read there
  std::uint64_t clock_bytes = 0;    // the bytes of `MM:SS.mm` (or `MM:SS`) in a word read at 14
  std::uint64_t separators = 0;     // the `:` (and `.`) among them
  std::uint64_t separator_bytes = 0;  // what they must be
};

// parse_rfc3339_ms without building an error: true with the same value where it succeeds,
// false where it fails. The usual layouts (`2026-11-21T10:00:00[.123](Z|+08:00)`) are read in
// place (with `cache`, often only their last bytes); any other text goes to parse_rfc3339_ms.
bool parse_time_fast(std::string_view text, TimeMs& out, TimeCache* cache = nullptr);

// A JSON number of at most 19 digits and no exponent at `at`, as simdjson's get_double reads it:
// correctly rounded (mantissa / 10^k when both are exact doubles, else through x87's 64-bit
// significand, else from_chars). Returns the end of the number, or nullptr for another number
// (longer ones go to the general reader: simdjson 3.0.1 misreads some, e.g. 0.8804121872289789423603
// as 0.000502..., simdjson issue #2093; the parser keeps doing exactly what it did). Reads up
// to 40 bytes past the number's start: the text must be padded.
const char* read_decimal(const char* at, double& out);

// The order in which an object's known keys came last time: next[k] is the key (an index into
// that object's table of names) that followed key k, next[size] the first key, next[size + 1]
// the key after another key; kNoGuess when unknown. Feeds write keys in the same order line
// after line, so the key predicted is matched in one comparison instead of being read.
struct KeyOrder {
  static constexpr std::uint8_t kNoGuess = 0xff;
  std::array<std::uint8_t, 66> next = filled();

 private:
  static constexpr std::array<std::uint8_t, 66> filled() {
    std::array<std::uint8_t, 66> out{};
    out.fill(kNoGuess);
    return out;
  }
};

// The fast reader's state between lines.
struct FastScratch {
  PendingSymbols pending;
  TimeCache ts_time, other_time;  // `ts`, and the other times (a promise is often in the next hour)
  KeyOrder event_keys, item_keys, address_keys, coupon_keys, pickup_point_keys;
};

// True: `event` (reset by the caller) is filled and its strings interned, exactly as the
// general reader would have done. False: nothing was interned; the caller resets `event` and
// reads the line with the general reader.
bool read_fast(std::string_view line, Interner& interner, Event& event, FastScratch& scratch);

}  // namespace og::events_internal
