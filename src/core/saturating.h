// core/saturating: int64 sums and products that stop at the type's limits instead of
// overflowing (undefined behaviour). Amounts from clients are bounded (events/line_state.h,
// kMaxMoney), but what they add up to, over many items or orders, is not. Depends on nothing.
#pragma once

#include <cstdint>
#include <limits>

namespace og {

constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

constexpr std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
  std::int64_t product = 0;
  if (!__builtin_mul_overflow(a, b, &product)) return product;
  return (a < 0) == (b < 0) ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

}  // namespace og
