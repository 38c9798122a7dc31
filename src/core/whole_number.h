// core/whole_number: a query parameter's or a cursor's number, read whole: every byte a digit
// (a leading '-' for signed types), within the type's range, nothing before or after.
// Depends on nothing.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace og {

template <typename Number>
std::optional<Number> whole_number(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace og
