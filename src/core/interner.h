// core/interner: maps strings (order ids, SKUs, users, zones ...) to dense 32-bit symbols so
// that per-order state stays compact and comparisons are integer compares.
// Symbols are assigned in first-seen order, so nothing that reaches the output may depend on
// a symbol's numeric value: output always speaks the string.
// Not thread-safe: one interner belongs to one engine.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/hash.h"

namespace og {

using Symbol = std::uint32_t;
inline constexpr Symbol kNoSymbol = 0;  // the empty string; "field absent"

class Interner {
 public:
  Interner() { strings_.emplace_back(); }

  Symbol intern(std::string_view text) {
    if (text.empty()) return kNoSymbol;
    if (const auto it = index_.find(text); it != index_.end()) return it->second;
    const auto symbol = static_cast<Symbol>(strings_.size());
    const std::string& stored = strings_.emplace_back(text);
    index_.emplace(std::string_view(stored), symbol);
    return symbol;
  }

  // kNoSymbol when the text was never interned.
  Symbol find(std::string_view text) const {
    const auto it = index_.find(text);
    return it == index_.end() ? kNoSymbol : it->second;
  }

  std::string_view view(Symbol symbol) const { return strings_[symbol]; }
  std::size_t size() const { return strings_.size(); }

 private:
  struct ViewHash {
    std::size_t operator()(std::string_view text) const { return static_cast<std::size_t>(hash64(text)); }
  };
  std::deque<std::string> strings_;  // deque: stored strings never move, so views stay valid
  std::unordered_map<std::string_view, Symbol, ViewHash> index_;
};

}  // namespace og
