// core/hash: a fast, stable 64-bit string hash. Stable across runs and machines, because ids
// derived from it (incident ids, command ids, dedupe keys) are part of the output contract.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace og {

namespace hash_detail {
constexpr std::uint64_t kMultiplier = 0x9e3779b97f4a7c15ULL;

// Bytes in little-endian order, whatever the machine: the hash must not depend on it.
constexpr std::uint64_t load_le(const char* bytes, std::size_t count) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < count; ++i) word |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return word;
}

// At run time on a little-endian machine the words are read with single loads (g++ does not
// merge load_le's byte loop): the same values, so the same hash, for a fifth of parsing's cost.
template <typename Word = std::uint64_t>
inline std::uint64_t load_word(const char* at) {
  Word word;
  std::memcpy(&word, at, sizeof word);
  return word;
}

// The 1 to 7 bytes after the last whole word, as load_le(tail, remaining) reads them, without a
// byte loop: overlapping wider loads that stay inside the string.
inline std::uint64_t load_tail(const char* bytes, std::size_t size, std::size_t remaining) {
  const auto load = [](const char* at, auto word) { return load_word<decltype(word)>(at); };
  const char* tail = bytes + size - remaining;
  if (size >= 8) return load(bytes + size - 8, std::uint64_t{}) >> (8 * (8 - remaining));
  if (remaining >= 4) {
    return load(tail, std::uint32_t{}) | (load(tail + remaining - 4, std::uint32_t{}) << (8 * (remaining - 4)));
  }
  const auto byte = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(tail[i])) << (8 * i); };
  return byte(0) | byte(remaining / 2) | byte(remaining - 1);
}

constexpr std::uint64_t finalize(std::uint64_t h) {  // murmur3's fmix64
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}
}  // namespace hash_detail

// Eight bytes a step (ids and names are short: one to three steps), then a finaliser.
constexpr std::uint64_t hash64(std::string_view bytes, std::uint64_t seed = 0) {
  using namespace hash_detail;
  // Not `const bool`: a const integral initialiser is itself constant-evaluated, so it would be true.
  bool wide_loads = std::endian::native == std::endian::little;
  if (std::is_constant_evaluated()) wide_loads = false;
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(bytes.size()) * kMultiplier);
  std::size_t offset = 0;
  for (; offset + 8 <= bytes.size(); offset += 8) {
    h = (h ^ (wide_loads ? load_word(bytes.data() + offset) : load_le(bytes.data() + offset, 8))) * kMultiplier;
    h ^= h >> 29;
  }
  if (offset < bytes.size()) {
    const std::size_t remaining = bytes.size() - offset;
    const std::uint64_t tail = wide_loads ? load_tail(bytes.data(), bytes.size(), remaining) : load_le(bytes.data() + offset, remaining);
    h = (h ^ tail) * kMultiplier;
    h ^= h >> 29;
  }
  return finalize(h);
}

constexpr std::uint64_t hash_combine(std::uint64_t a, std::uint64_t b) {
  a ^= b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2);
  a ^= a >> 31;
  a *= 0x7fb5d329728ea185ULL;
  a ^= a >> 27;
  return a;
}

}  // namespace og
