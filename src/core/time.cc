#include "core/time.h"

#include <array>
#include <charconv>
#include <limits>

namespace og {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `count` digits at text[pos...]; false when any is missing.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, unsigned& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

bool is_leap(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(std::int64_t year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

tl::unexpected<std::string> bad_time(std::string_view why) {
  return tl::unexpected(std::string("not an RFC 3339 time (like 2026-11-21T10:00:00+08:00): ") +
                        std::string(why));
}

}  // namespace

tl::expected<TimeMs, std::string> parse_time_ms(std::string_view text) {
  TimeMs millis = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), millis);
  if (end == text.data() + text.size() && !text.empty()) {
    // All digits: epoch milliseconds, as an event's ts may be, within the years RFC 3339 has.
    if (error != std::errc() || millis < 0 || millis > kMaxEpochMs) {
      return tl::unexpected(std::string(text) + ": epoch milliseconds must be from 0 to " + std::to_string(kMaxEpochMs) +
                            " (9999-12-31T23:59:59.999Z)");
    }
    return millis;
  }
  return parse_rfc3339_ms(text);
}

tl::expected<TimeMs, std::string> parse_rfc3339_ms(std::string_view text) {
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 5 || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text.size() < 8 || text[7] != '-' ||
      !read_digits(text, 8, 2, day)) {
    return bad_time("the date must be YYYY-MM-DD");
  }
  if (text.size() < 11 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return bad_time("a 'T' and the time of day must follow the date");
  }
  if (!read_digits(text, 11, 2, hour) || text.size() < 14 || text[13] != ':' ||
      !read_digits(text, 14, 2, minute) || text.size() < 17 || text[16] != ':' ||
      !read_digits(text, 17, 2, second)) {
    return bad_time("the time of day must be HH:MM:SS");
  }
  if (month < 1 || month > 12) return bad_time("month out of range");
  if (day < 1 || day > days_in_month(year, month)) return bad_time("day out of range for the month");
  if (hour > 23 || minute > 59 || second > 60) return bad_time("time of day out of range");
  const bool leap_second = second == 60;  // held at :59.999 rather than rejected
  if (leap_second) second = 59;

  std::size_t pos = 19;
  unsigned millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      if (digits < 3) millis = millis * 10 + static_cast<unsigned>(text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad_time("a '.' must be followed by fraction digits");
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  if (leap_second) millis = 999;
  if (pos >= text.size()) return bad_time("the offset is missing: end with 'Z' or '+08:00'");

  std::int64_t offset_minutes = 0;
  const char zone = text[pos];
  if (zone == 'Z' || zone == 'z') {
    ++pos;
  } else if (zone == '+' || zone == '-') {
    unsigned offset_hours = 0, offset_mins = 0;
    if (!read_digits(text, pos + 1, 2, offset_hours) || text.size() < pos + 4 || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, offset_mins) || offset_hours > 23 || offset_mins > 59) {
      return bad_time("the offset must be +HH:MM or -HH:MM");
    }
    offset_minutes = static_cast<std::int64_t>(offset_hours) * 60 + offset_mins;
    if (zone == '-') offset_minutes = -offset_minutes;
    pos += 6;
  } else {
    return bad_time("the offset must be 'Z' or +HH:MM");
  }
  if (pos != text.size()) return bad_time("unexpected characters after the offset");

  const std::int64_t days = days_from_civil(year, month, day);
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

void append_utc_ms(std::string& out, TimeMs time_ms) {
  // Floor division without negating or multiplying back: both overflow near INT64_MIN.
  std::int64_t days = time_ms / 86400000;
  std::int64_t ms_of_day = time_ms % 86400000;
  if (ms_of_day < 0) {
    ms_of_day += 86400000;
    --days;
  }
  // civil_from_days (Hinnant)
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  std::int64_t year = static_cast<std::int64_t>(year_of_era) + era * 400;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  year += month <= 2 ? 1 : 0;

  char buffer[32];
  const auto hour = ms_of_day / 3600000;
  const auto minute = (ms_of_day / 60000) % 60;
  const auto second = (ms_of_day / 1000) % 60;
  const auto millis = ms_of_day % 1000;
  const auto put2 = [](char* at, std::int64_t v) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
  };
  if (year < 0 || year > 9999) year = year < 0 ? 0 : 9999;
  buffer[0] = static_cast<char>('0' + year / 1000);
  buffer[1] = static_cast<char>('0' + (year / 100) % 10);
  buffer[2] = static_cast<char>('0' + (year / 10) % 10);
  buffer[3] = static_cast<char>('0' + year % 10);
  buffer[4] = '-';
  put2(buffer + 5, month);
  buffer[7] = '-';
  put2(buffer + 8, day);
  buffer[10] = 'T';
  put2(buffer + 11, hour);
  buffer[13] = ':';
  put2(buffer + 14, minute);
  buffer[16] = ':';
  put2(buffer + 17, second);
  buffer[19] = '.';
  buffer[20] = static_cast<char>('0' + millis / 100);
  buffer[21] = static_cast<char>('0' + (millis / 10) % 10);
  buffer[22] = static_cast<char>('0' + millis % 10);
  buffer[23] = 'Z';
  out.append(buffer, 24);
}

std::string format_utc_ms(TimeMs time_ms) {
  std::string out;
  append_utc_ms(out, time_ms);
  return out;
}

tl::expected<DurationMs, std::string> parse_duration_ms(std::string_view text) {
  std::int64_t value = 0;
  const auto* begin = text.data();
  const auto* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || value < 0) {
    return tl::unexpected(std::string("not a duration: write a whole number and a unit, like \"15m\", \"90s\", \"24h\""));
  }
  const std::string_view unit(rest, static_cast<std::size_t>(end - rest));
  DurationMs scale = 0;
  if (unit.empty() || unit == "ms") scale = 1;
  else if (unit == "s") scale = kSecondMs;
  else if (unit == "m" || unit == "min") scale = kMinuteMs;
  else if (unit == "h") scale = kHourMs;
  else if (unit == "d") scale = 24 * kHourMs;
  else return tl::unexpected(std::string("unknown duration unit '") + std::string(unit) + "': use ms, s, m, h or d");
  if (value > std::numeric_limits<DurationMs>::max() / scale) {
    return tl::unexpected(std::string("duration too long: ") + std::string(text));
  }
  return value * scale;
}

std::string format_duration(DurationMs duration_ms) {
  const std::pair<DurationMs, const char*> units[] = {
      {24 * kHourMs, "d"}, {kHourMs, "h"}, {kMinuteMs, "m"}, {kSecondMs, "s"}};
  for (const auto& [scale, name] : units) {
    if (duration_ms != 0 && duration_ms % scale == 0) return std::to_string(duration_ms / scale) + name;
  }
  return std::to_string(duration_ms) + "ms";
}

}  // namespace og
