#include "core/interner.h"

#include <cstring>

#include "core/hash.h"

namespace og {

Interner::Interner() : slots_(1024) {
  locations_.emplace_back();  // kNoSymbol: the empty string
  blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
}

std::size_t Interner::probe(std::string_view text, std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t index = hash & mask;
  for (;;) {
    const Slot& slot = slots_[index];
    if (slot.symbol == kNoSymbol || (slot.hash == hash && view(slot.symbol) == text)) return index;
    index = (index + 1) & mask;
  }
}

Symbol Interner::find(std::string_view text) const {
  if (text.empty()) return kNoSymbol;
  return slots_[probe(text, static_cast<std::uint32_t>(hash64(text)))].symbol;
}

Symbol Interner::intern(std::string_view text) {
  if (text.empty()) return kNoSymbol;
  const auto hash = static_cast<std::uint32_t>(hash64(text));
  std::size_t index = probe(text, hash);
  if (slots_[index].symbol != kNoSymbol) return slots_[index].symbol;
  if ((locations_.size() + 1) * 10 > slots_.size() * 7) {
    grow();
    index = probe(text, hash);
  }
  const auto symbol = static_cast<Symbol>(locations_.size());
  locations_.push_back(store(text));
  slots_[index] = Slot{hash, symbol};
  return symbol;
}

Interner::Location Interner::store(std::string_view text) {
  if (text.size() > kBlockBytes - block_used_) {
    // A string longer than a block gets a block of its own.
    blocks_.push_back(std::make_unique<char[]>(std::max(kBlockBytes, text.size())));
    block_used_ = 0;
  }
  const auto block = static_cast<std::uint32_t>(blocks_.size() - 1);
  std::memcpy(blocks_.back().get() + block_used_, text.data(), text.size());
  const Location location{block, static_cast<std::uint32_t>(block_used_), static_cast<std::uint32_t>(text.size())};
  block_used_ += text.size();
  return location;
}

void Interner::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.symbol == kNoSymbol) continue;
    std::size_t index = slot.hash & mask;
    while (slots_[index].symbol != kNoSymbol) index = (index + 1) & mask;
    slots_[index] = slot;
  }
}

std::size_t Interner::bytes_used() const {
  return slots_.size() * sizeof(Slot) + locations_.capacity() * sizeof(Location) + blocks_.size() * kBlockBytes;
}

}  // namespace og
