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
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

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
  bool cache = false;  // to put in the SymbolCache once interned
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

// The symbols of short strings already interned, by their bytes, for the fields whose values
// come from a small set seen over and over: item SKUs (a dozen on every order.created and
// picking.completed, from a catalogue of thousands), riders, zones, communities ... Found here,
// a string costs two word loads and a compare instead of a hash and an interner probe, and
// needs no interning after the line (a string the interner holds gets no new symbol, so leaving
// it out keeps the general reader's order of new symbols). Two ways per set, the newer put
// first. The interner never forgets, so an entry stays true for the parser's life. (Not for
// ids that are new with each order, like order ids: those would only evict the others.)
class SymbolCache {
 public:
  static constexpr std::size_t kMaxBytes = 16;
  // A string of 1 to 16 bytes, zero-padded: strings the fast reader views hold no '\0' (it
  // stops at control bytes), so no two strings share a key, and no string has the empty one.
  struct Key {
    std::uint64_t low = 0, high = 0;
  };
  // `text` (1 to kMaxBytes bytes) must have 16 readable bytes from its start (a padded line).
  static Key key_of(std::string_view text) {
    std::uint64_t low = 0, high = 0;
    std::memcpy(&low, text.data(), 8);
    std::memcpy(&high, text.data() + 8, 8);
    const std::size_t size = text.size();
    if (size < 8) low &= ~std::uint64_t{0} >> (64 - 8 * size);
    high = size <= 8 ? 0 : high & (~std::uint64_t{0} >> (64 - 8 * (size - 8)));
    return Key{low, high};
  }
  // Whether a string of this size can be held.
  static bool fits(std::string_view text) { return !text.empty() && text.size() <= kMaxBytes; }
  // The symbol of `text` (16 readable bytes from its start), kNoSymbol when not held or when
  // it does not fit.
  Symbol find(std::string_view text) const { return fits(text) ? find(key_of(text)) : kNoSymbol; }
  // kNoSymbol when not held.
  Symbol find(const Key& key) const {
    const Entry* set = &entries_[set_of(key)];
    if (set[0].key.low == key.low && set[0].key.high == key.high) return set[0].symbol;
    if (set[1].key.low == key.low && set[1].key.high == key.high) return set[1].symbol;
    return kNoSymbol;
  }
  void put(const Key& key, Symbol symbol) {
    Entry* set = &entries_[set_of(key)];
    set[1] = set[0];
    set[0] = Entry{key, symbol};
  }

 private:
  static constexpr std::size_t kSetBits = 13;
  struct Entry {
    Key key;
    Symbol symbol = kNoSymbol;
  };
  static std::size_t set_of(const Key& key) {
    const std::uint64_t mixed = key.low * 0x9e3779b97f4a7c15ULL ^ key.high * 0xc2b2ae3d27d4eb4fULL;
    return static_cast<std::size_t>(mixed >> (64 - kSetBits)) * 2;
  }
  std::unique_ptr<Entry[]> entries_ = std::make_unique<Entry[]>(std::size_t{2} << kSetBits);
};

// The fast reader's state between lines.
struct FastScratch {
  PendingSymbols pending;
  SymbolCache symbols;
  std::vector<std::size_t> pending_items;  // the items whose SKU is pending, in order
  std::string_view id_hint;  // the line's event id as a reader ahead found it (empty: none) ...
  std::uint64_t id_hint_hash = 0;  // ... and its hash64
  TimeCache ts_time, other_time;  // `ts`, and the other times (a promise is often in the next hour)
  KeyOrder event_keys, item_keys, address_keys, coupon_keys, pickup_point_keys;
};

// True: `event` (reset by the caller) is filled and its strings interned, exactly as the
// general reader would have done. False: nothing was interned; the caller resets `event` and
// reads the line with the general reader.
bool read_fast(std::string_view line, Interner& interner, Event& event, FastScratch& scratch);

}  // namespace og::events_internal
