// core/interner: maps strings (order ids, SKUs, users, zones ...) to dense 32-bit symbols so
// that per-order state stays compact and comparisons are integer compares.
// Symbols are assigned in first-seen order, so nothing that reaches the output may depend on
// a symbol's numeric value: output always speaks the string.
//
// Layout (this is on every event's hot path): an open-addressing table of 8-byte slots
// (32 bits of hash, where the string lives), probed linearly; each string is stored once as
// [symbol][length][bytes] in 1 MiB blocks that never move, so a lookup that hits costs two
// cache lines and a view stays valid for the interner's lifetime. About 20 bytes per string
// beyond its own bytes. Limits: strings up to 65,535 bytes, 4 GiB of strings in all (past
// that intern() throws std::length_error: the process would be far past its memory budget).
// Not thread-safe: one interner belongs to one engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/prefetch.h"
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

  std::string_view view(Symbol symbol) const { return stored(offsets_[symbol]); }

  // Memory hints for a lookup a little later (callers reading ahead of the input, see
  // replay/lookahead.h): they change nothing, so a hint for the wrong text only costs time.
  // `hash` is static_cast<std::uint32_t>(hash64(text)). First the slot's cache line; then,
  // once that has arrived, the stored string it points to (the first two slots only).
  void prefetch_slot(std::uint32_t hash) const { prefetch(&slots_[hash & (slots_.size() - 1)]); }
  void prefetch_stored(std::uint32_t hash) const;
  std::size_t size() const { return offsets_.size(); }
  std::size_t bytes_used() const;

 private:
  struct Slot {
    std::uint32_t hash = 0;
    std::uint32_t offset = kEmpty;  // where [symbol][length][bytes] starts
  };
  static constexpr std::uint32_t kEmpty = 0xffffffffu;
  static constexpr std::size_t kBlockBits = 20;
  static constexpr std::size_t kBlockBytes = std::size_t{1} << kBlockBits;
  static constexpr std::size_t kHeaderBytes = sizeof(Symbol) + sizeof(std::uint16_t);

  const char* at(std::uint32_t offset) const { return blocks_[offset >> kBlockBits].get() + (offset & (kBlockBytes - 1)); }
  std::string_view stored(std::uint32_t offset) const;
  Symbol symbol_at(std::uint32_t offset) const;
  std::size_t probe(std::string_view text, std::uint32_t hash) const;  // slot holding text, or the empty slot to use
  void grow();
  std::uint32_t store(std::string_view text, Symbol symbol);

  std::vector<Slot> slots_;  // power-of-two size, at most 75% full
  std::vector<std::uint32_t> offsets_;  // symbol -> offset
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_ = 0;
};

}  // namespace og
