// core/interner: maps strings (order ids, SKUs, users, zones ...) to dense 32-bit symbols so
// that per-order state stays compact and comparisons are integer compares.
// Symbols are assigned in first-seen order, so nothing that reaches the output may depend on
// a symbol's numeric value: output always speaks the string.
//
// Layout (this is on every event's hot path): an open-addressing table of 8-byte entries
// (32 bits of hash, the symbol) probed linearly, and the bytes in fixed-size blocks that never
// move, so a view stays valid for the interner's lifetime. About 30 bytes per string beyond
// its own bytes, and one or two cache misses per lookup.
// Not thread-safe: one interner belongs to one engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/hash.h"  // callers hashing strings for lookups use the same function

namespace og {

using Symbol = std::uint32_t;
inline constexpr Symbol kNoSymbol = 0;  // the empty string; "field absent"

class Interner {
 public:
  Interner();

  Symbol intern(std::string_view text);
  // kNoSymbol when the text was never interned.
  Symbol find(std::string_view text) const;

  std::string_view view(Symbol symbol) const {
    const Location& at = locations_[symbol];
    return std::string_view(blocks_[at.block].get() + at.offset, at.length);
  }
  std::size_t size() const { return locations_.size(); }
  std::size_t bytes_used() const;

 private:
  struct Slot {
    std::uint32_t hash = 0;
    Symbol symbol = kNoSymbol;  // kNoSymbol: empty slot
  };
  struct Location {
    std::uint32_t block = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };
  static constexpr std::size_t kBlockBytes = 1 << 20;

  std::size_t probe(std::string_view text, std::uint32_t hash) const;  // slot holding text, or the empty slot to use
  void grow();
  Location store(std::string_view text);

  std::vector<Slot> slots_;  // power-of-two size, at most 70% full
  std::vector<Location> locations_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_ = 0;
};

}  // namespace og
