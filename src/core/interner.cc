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

Symbol Interner::intern(std::string_view text) {
  if (text.empty()) return kNoSymbol;
  const auto hash = static_cast<std::uint32_t>(hash64(text));
  std::size_t index = probe(text, hash);
  if (slots_[index].offset != kEmpty) return symbol_at(slots_[index].offset);
  if ((offsets_.size() + 1) * 4 > slots_.size() * 3) {
    grow();
    index = probe(text, hash);
  }
  const auto symbol = static_cast<Symbol>(offsets_.size());
  const std::uint32_t offset = store(text, symbol);
  offsets_.push_back(offset);
  slots_[index] = Slot{hash, offset};
  return symbol;
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
