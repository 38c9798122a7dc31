// core/same_bytes: equality of two short byte strings of the same length, for hot lookups
// (the interner's hit check). Depends on nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace og {

namespace same_bytes_detail {
template <typename Word>
inline Word load(const char* at) {
  Word word;
  std::memcpy(&word, at, sizeof word);
  return word;
}
}  // namespace same_bytes_detail

// Whether the `size` (>= 1) bytes at `a` and `b` are equal. Ids are short, and an interner hit
// compares one on nearly every field: up to 32 bytes, overlapping word loads (all inside the
// strings) instead of a call to memcmp.
inline bool same_bytes(const char* a, const char* b, std::size_t size) {
  using same_bytes_detail::load;
  const auto same8 = [&](std::size_t at) { return load<std::uint64_t>(a + at) == load<std::uint64_t>(b + at); };
  if (size > 32) return std::memcmp(a, b, size) == 0;
  if (size > 16) return same8(0) && same8(8) && same8(size - 16) && same8(size - 8);
  if (size >= 8) {
    return load<std::uint64_t>(a) == load<std::uint64_t>(b) && load<std::uint64_t>(a + size - 8) == load<std::uint64_t>(b + size - 8);
  }
  if (size >= 4) {
    return load<std::uint32_t>(a) == load<std::uint32_t>(b) && load<std::uint32_t>(a + size - 4) == load<std::uint32_t>(b + size - 4);
  }
  return a[0] == b[0] && a[size / 2] == b[size / 2] && a[size - 1] == b[size - 1];  // 1 to 3 bytes: all of them
}

}  // namespace og
