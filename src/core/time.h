// core/time: event time as integer milliseconds since the Unix epoch (UTC), parsed from
// RFC 3339 with any offset, and formatted back as UTC with milliseconds.
// Owns: the only time arithmetic of the project. Depends on: nothing but the standard library.
// Pure functions: no clock is read here (wall clocks live at the edges, behind an interface).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace og {

using TimeMs = std::int64_t;
using DurationMs = std::int64_t;

inline constexpr DurationMs kSecondMs = 1000;
inline constexpr DurationMs kMinuteMs = 60 * kSecondMs;
inline constexpr DurationMs kHourMs = 60 * kMinuteMs;

// The times RFC 3339 can write: the years 0000 to 9999.
inline constexpr TimeMs kMinEpochMs = -62167219200000;  // 0000-01-01T00:00:00.000Z
inline constexpr TimeMs kMaxEpochMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

// "2026-11-21T10:00:00.123+08:00", "...Z". Fractions beyond milliseconds are truncated.
// The error says what is wrong in words a person can act on.
tl::expected<TimeMs, std::string> parse_rfc3339_ms(std::string_view text);

// A time given on a command line: RFC 3339, or integer epoch milliseconds (as an event's ts may be).
tl::expected<TimeMs, std::string> parse_time_ms(std::string_view text);

// Always "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string format_utc_ms(TimeMs time_ms);
void append_utc_ms(std::string& out, TimeMs time_ms);

// "500ms", "90s", "15m", "24h", "7d"; a bare integer is milliseconds.
tl::expected<DurationMs, std::string> parse_duration_ms(std::string_view text);
std::string format_duration(DurationMs duration_ms);

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). In the
// header so that the parser's hot path inlines it.
constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

}  // namespace og
