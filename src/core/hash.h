// core/hash: a fast, stable 64-bit string hash. Stable across runs and machines, because ids
// derived from it (incident ids, command ids, dedupe keys) are part of the output contract.
#pragma once

#include <cstdint>
#include <string_view>

namespace og {

namespace hash_detail {
constexpr std::uint64_t kMultiplier = 0x9e3779b97f4a7c15ULL;

// Bytes in little-endian order, whatever the machine: the hash must not depend on it.
constexpr std::uint64_t load_le(const char* bytes, std::size_t count) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < count; ++i) word |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return word;
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
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(bytes.size()) * kMultiplier);
  std::size_t offset = 0;
  for (; offset + 8 <= bytes.size(); offset += 8) {
    h = (h ^ load_le(bytes.data() + offset, 8)) * kMultiplier;
    h ^= h >> 29;
  }
  if (offset < bytes.size()) {
    h = (h ^ load_le(bytes.data() + offset, bytes.size() - offset)) * kMultiplier;
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
