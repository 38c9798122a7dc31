#include "core/interner.h"

#include <cstring>
#include <stdexcept>

#include "core/same_bytes.h"

namespace og {

Interner::Interner() : slots_(1024) {
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
  offsets_.push_back(store("", kNoSymbol));
}

std::string_view Interner::stored(std::uint32_t offset) const {
  const char* header = at(offset);
  std::uint16_t length = 0;
  std::memcpy(&length, header + sizeof(Symbol), sizeof length);
  return std::string_view(header + kHeaderBytes, length);
}

Symbol Interner::symbol_at(std::uint32_t offset) const {
  Symbol symbol = kNoSymbol;
  std::memcpy(&symbol, at(offset), sizeof symbol);
  return symbol;
}

std::size_t Interner::probe(std::string_view text, std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t index = hash & mask;
  for (;;) {
    const Slot& slot = slots_[index];
    if (slot.offset == kEmpty) return index;
    if (slot.hash == hash) {
      const std::string_view candidate = stored(slot.offset);
      if (candidate.size() == text.size() && same_bytes(candidate.data(), text.data(), text.size())) return index;
    }
    index = (index + 1) & mask;
  }
}

Symbol Interner::find(std::string_view text) const {
  if (text.empty()) return kNoSymbol;
  const Slot& slot = slots_[probe(text, static_cast<std::uint32_t>(hash64(text)))];
  return slot.offset == kEmpty ? kNoSymbol : symbol_at(slot.offset);
}

void Interner::prefetch_stored(std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t index = hash & mask, tries = 0; tries < 2; index = (index + 1) & mask, ++tries) {
    const Slot& slot = slots_[index];
    if (slot.offset == kEmpty) return;
    if (slot.hash == hash) {
      prefetch(at(slot.offset));
      return;
    }
  }
}

// intern() is on every id of every event. Its hit path is one loop over the slots with nothing
// in it that calls out: the compare of strings over 32 bytes and the insertion are out of line,
// and reached by tail calls (stateless, so nothing of them lives in this frame). As a call into
// probe(), with memcmp on its path, it spent more on saving and restoring registers than on
// the lookup itself.
Symbol Interner::intern(std::string_view text) {
  if (text.empty()) return kNoSymbol;
  static constexpr auto insert = [](Interner& self, std::string_view new_text, std::uint32_t hash,
                                    std::size_t index) __attribute__((noinline)) {
    if ((self.offsets_.size() + 1) * 4 > self.slots_.size() * 3) {
      self.grow();
      index = self.probe(new_text, hash);
    }
    const auto symbol = static_cast<Symbol>(self.offsets_.size());
    const std::uint32_t offset = self.store(new_text, symbol);
    self.offsets_.push_back(offset);
    self.slots_[index] = Slot{hash, offset};
    return symbol;
  };
  static constexpr auto intern_long = [](Interner& self, std::string_view long_text, std::uint32_t hash)
                                          __attribute__((noinline)) {
    const std::size_t index = self.probe(long_text, hash);
    const std::uint32_t offset = self.slots_[index].offset;
    return offset == kEmpty ? insert(self, long_text, hash, index) : self.symbol_at(offset);
  };
  const auto hash = static_cast<std::uint32_t>(hash64(text));
  if (text.size() > 32) [[unlikely]] return intern_long(*this, text, hash);
  const Slot* const slots = slots_.data();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t index = hash & mask;; index = (index + 1) & mask) {
    const Slot slot = slots[index];
    if (slot.offset == kEmpty) return insert(*this, text, hash, index);
    if (slot.hash != hash) continue;
    const char* header = at(slot.offset);
    std::uint16_t length = 0;
    std::memcpy(&length, header + sizeof(Symbol), sizeof length);
    if (length == text.size() && same_bytes(header + kHeaderBytes, text.data(), text.size())) {
      Symbol symbol = kNoSymbol;
      std::memcpy(&symbol, header, sizeof symbol);
      return symbol;
    }
  }
}

std::uint32_t Interner::store(std::string_view text, Symbol symbol) {
  if (text.size() > UINT16_MAX) throw std::length_error("interner: a string over 65,535 bytes");
  const std::size_t needed = kHeaderBytes + text.size();
  if (needed > kBlockBytes - block_used_) {
    if (blocks_.size() >= (std::size_t{1} << (32 - kBlockBits))) throw std::length_error("interner: 4 GiB of strings");
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
    block_used_ = 0;
  }
  const auto offset = static_cast<std::uint32_t>(((blocks_.size() - 1) << kBlockBits) | block_used_);
  char* out = blocks_.back().get() + block_used_;
  const auto length = static_cast<std::uint16_t>(text.size());
  std::memcpy(out, &symbol, sizeof symbol);
  std::memcpy(out + sizeof symbol, &length, sizeof length);
  std::memcpy(out + kHeaderBytes, text.data(), text.size());
  block_used_ += needed;
  return offset;
}

void Interner::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.offset == kEmpty) continue;
    std::size_t index = slot.hash & mask;
    while (slots_[index].offset != kEmpty) index = (index + 1) & mask;
    slots_[index] = slot;
  }
}

std::size_t Interner::bytes_used() const {
  return slots_.size() * sizeof(Slot) + offsets_.capacity() * sizeof(std::uint32_t) + blocks_.size() * kBlockBytes;
}

}  // namespace og
