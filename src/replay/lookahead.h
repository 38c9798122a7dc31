// replay/lookahead: hands lines to a visitor strictly one by one, in order, while fetching,
// a few lines ahead, the memory that ingesting them will touch: the interner slot and stored
// string of the order id, and both dedupe generations' slots of the event id. At 100K open
// orders each of those is a cache miss; fetched ahead, they overlap with other work. (Looking
// up the order's index slot ahead too cost more instructions than it saved.)
//
// Only hints: the lines ahead are scanned for `"id":"` and `"order_id":"` in their raw bytes,
// nothing is parsed, interned or stored from them, and a line the scan misreads (escapes, an
// odd layout, not JSON at all) only loses its hint. So the visitor sees exactly the lines,
// line numbers and order it would without this, and everything it does is the same.
//
// Use (replay): push() each line, then flush() at the end of the input; each calls
// `visit(line_number, line, id, id_hash)` for the lines that leave the window (`id`: the event
// id's bytes in the line as the scan found them, empty if not, and their hash64), and
// returns false as soon as a visit does (the rest of the window is then dropped, unvisited).
// A pushed line's bytes must stay valid until it is visited (or flush() returns).
// parse_each_in_place() does all of that for a whole buffer, and parse_each_copied() for a
// copy of one (replay's feed_buffer, the service's journal records). Depends on: engine, events (the parser), core. Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/hash.h"
#include "engine/engine.h"
#include "events/parser.h"

namespace og {

class IngestLookahead {
 public:
  explicit IngestLookahead(const Engine& engine) : engine_(engine), interner_(engine.interner()) {}

  template <typename Visit>
  bool push(std::uint64_t line_number, std::string_view line, Visit&& visit) {
    if (count_ - visited_ == kWindow) {
      if (!visit_oldest(visit)) return false;
    }
    Entry& entry = ring_[count_ & kMask];
    entry.line_number = line_number;
    entry.line = line;
    scan(entry);
    ++count_;
    // Each step reads only what the step before it fetched, some lines earlier.
    if (count_ > kStored) hint_stored(ring_[(count_ - 1 - kStored) & kMask]);
    return true;
  }

  template <typename Visit>
  bool flush(Visit&& visit) {
    while (visited_ != count_) {
      if (!visit_oldest(visit)) return false;
    }
    return true;
  }

  // Lines pushed but not visited yet.
  std::size_t queued() const { return static_cast<std::size_t>(count_ - visited_); }

 private:
  static constexpr std::size_t kWindow = 12;  // lines between a line's scan and its visit
  static constexpr std::size_t kStored = 4;   // lines after the scan: the interned string
  static constexpr std::size_t kMask = 15;    // the ring holds kWindow lines (a power of two above)
  static_assert(kWindow <= kMask + 1 && kStored < kWindow);

  struct Entry {
    std::uint64_t line_number = 0;
    std::string_view line;
    std::string_view id;  // empty: not found
    std::uint64_t id_hash = 0;
    std::string_view order_id;  // empty: no hint
    std::uint32_t order_hash = 0;
  };

  template <typename Visit>
  bool visit_oldest(Visit& visit) {
    const Entry& entry = ring_[visited_ & kMask];
    ++visited_;
    return visit(entry.line_number, entry.line, entry.id, entry.id_hash);
  }

  // Where `"order_id":"` starts at or after `from`, or npos. It looks for the rarer '_'
  // sixteen bytes at a time and compares the key around each one (a plain find() stops at
  // every quote, and a line has dozens).
  static std::size_t find_order_key(std::string_view line, std::size_t from) {
    constexpr std::string_view kKey = "\"order_id\":\"";
    constexpr std::size_t kUnderscore = 6;  // where '_' is in the key
    const char* data = line.data();
    const auto key_at_underscore = [&](std::size_t at) {
      return at >= from + kUnderscore && at - kUnderscore + kKey.size() <= line.size() &&
             std::memcmp(data + at - kUnderscore, kKey.data(), kKey.size()) == 0;
    };
    std::size_t at = from + kUnderscore;
#if defined(__SSE2__)
    const __m128i underscore = _mm_set1_epi8('_');
    for (; at + 16 <= line.size(); at += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at));
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, underscore)));
      while (mask != 0) {
        const std::size_t hit = at + static_cast<std::size_t>(__builtin_ctz(mask));
        if (key_at_underscore(hit)) return hit - kUnderscore;
        mask &= mask - 1;
      }
    }
#endif
    for (; at < line.size(); ++at) {
      if (data[at] == '_' && key_at_underscore(at)) return at - kUnderscore;
    }
    return std::string_view::npos;
  }

  // line.find('"', from) without a call into memchr: the ids it ends are a few bytes long,
  // and the call's setup cost more than the search.
  static std::size_t find_quote(std::string_view line, std::size_t from) {
    const char* data = line.data();
    std::size_t at = from;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    for (; at + 16 <= line.size(); at += 16) {
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at)), quote)));
      if (mask != 0) return at + static_cast<std::size_t>(__builtin_ctz(mask));
    }
#endif
    for (; at < line.size(); ++at) {
      if (data[at] == '"') return at;
    }
    return std::string_view::npos;
  }

  void scan(Entry& entry) {
    constexpr std::string_view kId = "{\"id\":\"";
    constexpr std::size_t kOrderKeyBytes = 12;  // "order_id":"
    entry.order_id = {};
    entry.id = {};
    std::size_t after_id = 0;
    // Feeds write the id first; other layouts simply go without the dedupe hint.
    if (entry.line.starts_with(kId)) {
      const std::size_t end = find_quote(entry.line, kId.size());
      if (end == std::string_view::npos) return;
      entry.id = entry.line.substr(kId.size(), end - kId.size());
      entry.id_hash = hash64(entry.id);
      engine_.prefetch_event_id(entry.id_hash);
      after_id = end;
    }
    const std::size_t key = find_order_key(entry.line, after_id);
    if (key == std::string_view::npos) return;
    const std::size_t start = key + kOrderKeyBytes;
    const std::size_t end = find_quote(entry.line, start);
    if (end == std::string_view::npos) return;
    entry.order_id = entry.line.substr(start, end - start);
    if (entry.order_id.empty()) return;
    entry.order_hash = static_cast<std::uint32_t>(hash64(entry.order_id));
    interner_.prefetch_slot(entry.order_hash);
  }

  void hint_stored(const Entry& entry) const {
    if (!entry.order_id.empty()) interner_.prefetch_stored(entry.order_hash);
  }

  const Engine& engine_;
  const Interner& interner_;
  std::array<Entry, kMask + 1> ring_{};
  std::uint64_t count_ = 0;    // lines pushed
  std::uint64_t visited_ = 0;  // lines visited
};

// Every non-blank line of an NDJSON buffer the caller may write into (its first `size` bytes,
// then kTerminatedPadding more), through the look-ahead, each parsed into the engine's staging
// event where it stands, once its '\n' (or '\r') is a '\0' (EventParser::parse_terminated):
// visit(line_number, line, parsed) in order, until a visit returns false (then false).
template <typename Visit>
bool parse_each_in_place(char* buffer, std::size_t size, Engine& engine, EventParser& parser, Visit&& visit) {
  IngestLookahead ahead(engine);
  const auto parse = [&](std::uint64_t line_number, std::string_view line, std::string_view id, std::uint64_t id_hash) {
    buffer[static_cast<std::size_t>(line.data() - buffer) + line.size()] = '\0';
    return visit(line_number, line, parser.parse_terminated(line, engine.staging_event(), id, id_hash));
  };
  bool keep_going = true;
  for_each_line(std::string_view(buffer, size), [&](std::size_t line_number, std::string_view line) {
    if (keep_going) keep_going = ahead.push(line_number, line, parse);
  });
  return keep_going && ahead.flush(parse);
}

// parse_each_in_place() on a padded copy of `ndjson` in `copy`, which the caller keeps from
// call to call: fed a line or a batch at a time, it allocates once rather than per call (a
// copy allocated and freed per line, between the engine's own allocations, had left 1.3 bytes
// per open order more in malloc's use at 1M open orders). A copy over 8 MiB is let go.
template <typename Visit>
bool parse_each_copied(std::string& copy, std::string_view ndjson, Engine& engine, EventParser& parser, Visit&& visit) {
  constexpr std::size_t kKeptBytes = std::size_t{8} << 20;
  copy.assign(ndjson).append(kTerminatedPadding, '\0');
  const bool completed = parse_each_in_place(copy.data(), ndjson.size(), engine, parser, visit);
  if (copy.capacity() > kKeptBytes) std::string().swap(copy);
  return completed;
}

}  // namespace og
