// core/symbol_table: per-symbol records (riders, users ...) behind a small open-addressing
// index, so a lookup is one probe in an 8-byte-slot array. Records are never removed and
// never move (a deque), so a reference stays valid while more records are added: rules hold
// a user's record across a call that may create another user's.
// Depends on: core/interner (Symbol).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "core/interner.h"

namespace og {

template <typename Record>
class SymbolTable {
 public:
  SymbolTable() : slots_(64) {}

  // The record of `symbol`, created (default-constructed) on first use.
  Record& operator[](Symbol symbol) {
    std::size_t index = probe(symbol);
    if (slots_[index].symbol == symbol) return records_[slots_[index].record];
    if ((records_.size() + 1) * 2 > slots_.size()) {
      grow();
      index = probe(symbol);
    }
    slots_[index] = Slot{symbol, static_cast<std::uint32_t>(records_.size())};
    return records_.emplace_back();
  }

  // nullptr when `symbol` has no record.
  const Record* find(Symbol symbol) const {
    const Slot& slot = slots_[probe(symbol)];
    return slot.symbol == symbol ? &records_[slot.record] : nullptr;
  }

  const std::deque<Record>& records() const { return records_; }
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

  std::size_t probe(Symbol symbol) const {
    const std::size_t mask = slots_.size() - 1;
    std::size_t index = static_cast<std::size_t>(hash_combine(symbol, 0x9e37)) & mask;
    while (slots_[index].symbol != kNoSymbol && slots_[index].symbol != symbol) index = (index + 1) & mask;
    return index;
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.symbol != kNoSymbol) slots_[probe(slot.symbol)] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::deque<Record> records_;
};

}  // namespace og
