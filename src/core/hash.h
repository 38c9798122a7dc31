// core/hash: a fast, stable 64-bit string hash. Stable across runs and machines, because ids
// derived from it (incident ids, command ids, dedupe keys) are part of the output contract.
#pragma once

#include <cstdint>
#include <string_view>

namespace og {

// FNV-1a over the bytes, then a murmur3-style finaliser so that short keys spread well.
constexpr std::uint64_t hash64(std::string_view bytes, std::uint64_t seed = 0) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

constexpr std::uint64_t hash_combine(std::uint64_t a, std::uint64_t b) {
  a ^= b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2);
  a ^= a >> 31;
  a *= 0x7fb5d329728ea185ULL;
  a ^= a >> 27;
  return a;
}

}  // namespace og
