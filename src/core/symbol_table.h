// core/symbol_table: per-symbol records (riders, users ...) behind a small open-addressing
// index, so a lookup is one probe in an 8-byte-slot array. Records are never removed and
// never move (chunks of a fixed power-of-two size, so finding one is a shift and a mask), so a
// reference stays valid while more records are added: rules hold a user's record across a
// call that may create another user's. A rider's ping looks its rider up here: the hit is
// kept small and inline, creating a record is out of line.
// Depends on: core/interner (Symbol), core/prefetch, core/index_iterator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/index_iterator.h"
#include "core/interner.h"
#include "core/prefetch.h"

namespace og {

template <typename Record>
class SymbolTable {
  static constexpr std::size_t kChunkBits = 6;  // 64 records a chunk
  static constexpr std::size_t kChunkSize = std::size_t{1} << kChunkBits;

 public:
  // The records in creation order (forward iteration and size: all the callers need).
  class Records {
   public:
    using iterator = IndexIterator<const Records, const Record>;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    iterator begin() const { return iterator(this, 0); }
    iterator end() const { return iterator(this, size_); }
    const Record& operator[](std::size_t index) const { return chunks_[index >> kChunkBits][index & (kChunkSize - 1)]; }
    Record& operator[](std::size_t index) { return chunks_[index >> kChunkBits][index & (kChunkSize - 1)]; }

    Record& emplace_back() {
      if ((size_ & (kChunkSize - 1)) == 0) chunks_.push_back(std::make_unique<Record[]>(kChunkSize));
      return (*this)[size_++];
    }

   private:
    std::vector<std::unique_ptr<Record[]>> chunks_;
    std::size_t size_ = 0;
  };

  SymbolTable() : slots_(64) {}

  // The record of `symbol`, created (default-constructed) on first use. `symbol` is never
  // kNoSymbol: callers check for an absent id first (find() answers it with nullptr).
  Record& operator[](Symbol symbol) {
    const std::size_t index = probe(symbol);
    if (slots_[index].symbol == symbol) [[likely]]
      return records_[slots_[index].record];
    return create(symbol, index);
  }

  // nullptr when `symbol` has no record; kNoSymbol never has one (it marks an empty slot, which
  // the probe would otherwise take for a hit).
  const Record* find(Symbol symbol) const {
    if (symbol == kNoSymbol) return nullptr;
    const Slot& slot = slots_[probe(symbol)];
    return slot.symbol == symbol ? &records_[slot.record] : nullptr;
  }

  // Memory hints for a lookup a little later (a reader ahead of its work): they change
  // nothing. First the symbol's index slot; once that has arrived, its record.
  void prefetch_slot(Symbol symbol) const { og::prefetch(&slots_[home(symbol)]); }
  void prefetch_record(Symbol symbol) const {
    const Slot& slot = slots_[probe(symbol)];
    if (slot.symbol == symbol && symbol != kNoSymbol) og::prefetch(&records_[slot.record]);
  }

  const Records& records() const { return records_; }
  // The symbol of each record, in record (creation) order: with records(), all a table holds.
  std::vector<Symbol> symbols() const {
    std::vector<Symbol> out(records_.size(), kNoSymbol);
    for (const Slot& slot : slots_) {
      if (slot.symbol != kNoSymbol) out[slot.record] = slot.symbol;
    }
    return out;
  }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot) + records_.size() * sizeof(Record); }

 private:
  struct Slot {
    Symbol symbol = kNoSymbol;  // kNoSymbol: empty (the empty string never has a record)
    std::uint32_t record = 0;
  };

  // Symbols are dense counters, so a multiplicative (Fibonacci) hash spreads them well; its high
  // bits are the ones mixed, hence the shift. No output depends on where a symbol's slot is.
  std::size_t home(Symbol symbol) const { return static_cast<std::size_t>((symbol * 0x9e3779b97f4a7c15ULL) >> shift_); }
  std::size_t probe(Symbol symbol) const {
    const std::size_t mask = slots_.size() - 1;
    std::size_t index = home(symbol);
    while (slots_[index].symbol != kNoSymbol && slots_[index].symbol != symbol) index = (index + 1) & mask;
    return index;
  }

  [[gnu::noinline]] Record& create(Symbol symbol, std::size_t index) {
    if ((records_.size() + 1) * 2 > slots_.size()) {
      grow();
      index = probe(symbol);
    }
    slots_[index] = Slot{symbol, static_cast<std::uint32_t>(records_.size())};
    return records_.emplace_back();
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    --shift_;
    for (const Slot& slot : old) {
      if (slot.symbol != kNoSymbol) slots_[probe(slot.symbol)] = slot;
    }
  }

  std::vector<Slot> slots_;
  unsigned shift_ = 64 - 6;  // 64 - log2(slots_.size())
  Records records_;
};

}  // namespace og
