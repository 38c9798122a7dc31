// core/saturating: int64 sums and products that stop at the type's limits instead of
// overflowing (undefined behaviour), and the items' subtotal built on them. Amounts from clients are bounded (events/line_state.h,
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

// The items' value, Σ qty × unit_price, saturating: `absent` as soon as a line has no
// unit_price (`absent` too), 0 for no items. The engine's COUPON_INVALID and the pre-submit
// check of the same rule read it alike.
template <typename Items>
constexpr std::int64_t items_subtotal(const Items& items, std::int64_t absent) {
  std::int64_t sum = 0;
  for (const auto& item : items) {
    if (item.unit_price == absent) return absent;
    sum = saturating_add(sum, saturating_mul(item.qty, item.unit_price));
  }
  return sum;
}

}  // namespace og
