// Tests for core/time: RFC 3339 parsing, UTC formatting, durations.
#include "core/time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace og {
namespace {

constexpr TimeMs k20261121T02Z = 1795226400000;  // 2026-11-21T02:00:00Z
constexpr TimeMs kDayMs = 24 * kHourMs;

TimeMs parse_ok(std::string_view text) {
  const auto parsed = parse_rfc3339_ms(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error());
  return parsed.value_or(std::numeric_limits<TimeMs>::min());
}

::testing::AssertionResult rejected(std::string_view text) {
  const auto parsed = parse_rfc3339_ms(text);
  if (parsed) return ::testing::AssertionFailure() << "'" << text << "' was accepted as " << *parsed;
  if (parsed.error().rfind("not an RFC 3339 time", 0) != 0) {
    return ::testing::AssertionFailure() << "'" << text << "': unexpected message: " << parsed.error();
  }
  return ::testing::AssertionSuccess();
}

std::string error_of(std::string_view text) {
  const auto parsed = parse_rfc3339_ms(text);
  return parsed ? std::string("<accepted>") : parsed.error();
}

// ---- parse_rfc3339_ms -------------------------------------------------------------------

TEST(ParseRfc3339, UtcWithUpperAndLowerZ) {
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00Z"), k20261121T02Z);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00z"), k20261121T02Z);
  EXPECT_EQ(parse_ok("1970-01-01T00:00:00Z"), 0);
}

TEST(ParseRfc3339, PositiveAndNegativeOffsets) {
  EXPECT_EQ(parse_ok("2026-11-21T10:00:00+08:00"), k20261121T02Z);
  EXPECT_EQ(parse_ok("2026-11-21T10:00:00-05:30"), k20261121T02Z + 13 * kHourMs + 30 * kMinuteMs);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00+00:00"), k20261121T02Z);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00-00:00"), k20261121T02Z);
  // An offset moves the instant across a day (and year) boundary.
  EXPECT_EQ(parse_ok("2027-01-01T07:59:59.999+08:00"), parse_ok("2026-12-31T23:59:59.999Z"));
  EXPECT_EQ(parse_ok("1969-12-31T19:00:00-05:00"), 0);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00+23:59"), k20261121T02Z - 23 * kHourMs - 59 * kMinuteMs);
}

TEST(ParseRfc3339, FractionsOfOneToNineDigitsTruncateToMilliseconds) {
  const TimeMs base = k20261121T02Z;
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.1Z"), base + 100);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.12Z"), base + 120);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.123Z"), base + 123);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.1234Z"), base + 123);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.12345Z"), base + 123);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.123456Z"), base + 123);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.1234567Z"), base + 123);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.12345678Z"), base + 123);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.123456789Z"), base + 123);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.999999999Z"), base + 999);  // truncated, never rounded up
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.000Z"), base);
  EXPECT_EQ(parse_ok("2026-11-21T02:00:00.007Z"), base + 7);
  EXPECT_EQ(parse_ok("2026-11-21T10:00:00.123+08:00"), base + 123);
  // Before the epoch the fraction still adds forward in time.
  EXPECT_EQ(parse_ok("1969-12-31T23:59:59.250Z"), -750);
}

TEST(ParseRfc3339, FractionNeedsDigits) {
  EXPECT_TRUE(rejected("2026-11-21T02:00:00.Z"));
  EXPECT_TRUE(rejected("2026-11-21T02:00:00.+08:00"));
  EXPECT_TRUE(rejected("2026-11-21T02:00:00."));
  EXPECT_TRUE(rejected("2026-11-21T02:00:00,5Z"));
}

TEST(ParseRfc3339, LeapYears) {
  EXPECT_EQ(parse_ok("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(parse_ok("2000-02-29T00:00:00Z"), 951782400000);  // divisible by 400
  EXPECT_TRUE(rejected("2026-02-29T00:00:00Z"));
  EXPECT_TRUE(rejected("2100-02-29T00:00:00Z"));  // divisible by 100, not by 400
  EXPECT_TRUE(rejected("1900-02-29T00:00:00Z"));
  EXPECT_TRUE(rejected("2024-02-30T00:00:00Z"));
  EXPECT_EQ(parse_ok("2026-02-28T23:59:59.999Z") + 1, parse_ok("2026-03-01T00:00:00Z"));
  EXPECT_NE(error_of("2026-02-29T00:00:00Z").find("day"), std::string::npos) << error_of("2026-02-29T00:00:00Z");
}

TEST(ParseRfc3339, DaysPerMonth) {
  EXPECT_TRUE(rejected("2026-04-31T00:00:00Z"));
  EXPECT_TRUE(rejected("2026-06-31T00:00:00Z"));
  EXPECT_TRUE(rejected("2026-09-31T00:00:00Z"));
  EXPECT_TRUE(rejected("2026-11-31T00:00:00Z"));
  for (const char* last_day : {"2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31", "2026-08-31",
                               "2026-10-31", "2026-12-31", "2026-04-30"}) {
    EXPECT_TRUE(parse_rfc3339_ms(std::string(last_day) + "T00:00:00Z").has_value()) << last_day;
  }
}

TEST(ParseRfc3339, FieldsOutOfRange) {
  EXPECT_TRUE(rejected("2026-00-21T02:00:00Z"));
  EXPECT_TRUE(rejected("2026-13-21T02:00:00Z"));
  EXPECT_TRUE(rejected("2026-11-00T02:00:00Z"));
  EXPECT_TRUE(rejected("2026-11-32T02:00:00Z"));
  EXPECT_TRUE(rejected("2026-11-21T24:00:00Z"));
  EXPECT_TRUE(rejected("2026-11-21T02:60:00Z"));
  EXPECT_TRUE(rejected("2026-11-21T02:00:61Z"));
  EXPECT_TRUE(rejected("2026-11-21T99:99:99Z"));
  EXPECT_NE(error_of("2026-13-21T02:00:00Z").find("month"), std::string::npos);
  EXPECT_NE(error_of("2026-11-21T24:00:00Z").find("time of day"), std::string::npos);
  EXPECT_EQ(parse_ok("2026-11-21T23:59:59.999Z") + 1, k20261121T02Z + 22 * kHourMs);
}

TEST(ParseRfc3339, LeapSecondIsHeldAtTheLastMillisecond) {
  EXPECT_EQ(parse_ok("2016-12-31T23:59:60Z"), parse_ok("2016-12-31T23:59:59.999Z"));
  EXPECT_EQ(parse_ok("2016-12-31T23:59:60.5Z"), parse_ok("2016-12-31T23:59:59.999Z"));
  // Never earlier than a time inside the preceding second.
  EXPECT_GT(parse_ok("2016-12-31T23:59:60Z"), parse_ok("2016-12-31T23:59:59.500Z"));
}

TEST(ParseRfc3339, OffsetIsRequired) {
  EXPECT_TRUE(rejected("2026-11-21T10:00:00"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00.123"));
  EXPECT_NE(error_of("2026-11-21T10:00:00").find("offset is missing"), std::string::npos)
      << error_of("2026-11-21T10:00:00");
  EXPECT_TRUE(rejected("2026-11-21"));
  EXPECT_TRUE(rejected("2026-11-21T10:00Z"));
}

TEST(ParseRfc3339, MalformedOffsets) {
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+0800"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+08"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+8:00"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+08:0"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+24:00"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+08:60"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00UTC"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00 Z"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00-"));
}

TEST(ParseRfc3339, GarbageAfterTheOffset) {
  EXPECT_TRUE(rejected("2026-11-21T10:00:00ZZ"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00Z "));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00Zjunk"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+08:00x"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:00+08:00:00"));
  EXPECT_TRUE(rejected(std::string_view("2026-11-21T10:00:00Z\0", 21)));
  EXPECT_NE(error_of("2026-11-21T10:00:00+08:00x").find("after the offset"), std::string::npos);
}

TEST(ParseRfc3339, SeparatorMayBeUpperOrLowerTOrSpace) {
  EXPECT_EQ(parse_ok("2026-11-21t10:00:00+08:00"), k20261121T02Z);
  EXPECT_EQ(parse_ok("2026-11-21 10:00:00+08:00"), k20261121T02Z);
  EXPECT_TRUE(rejected("2026-11-21_10:00:00+08:00"));
  EXPECT_TRUE(rejected("2026-11-2110:00:00+08:00"));
  EXPECT_TRUE(rejected("2026-11-21"));
}

TEST(ParseRfc3339, MalformedDatesAndTimes) {
  EXPECT_TRUE(rejected(""));
  EXPECT_TRUE(rejected("garbage"));
  EXPECT_TRUE(rejected("26-11-21T10:00:00Z"));
  EXPECT_TRUE(rejected("2026-1-21T10:00:00Z"));
  EXPECT_TRUE(rejected("2026/11/21T10:00:00Z"));
  EXPECT_TRUE(rejected("+2026-11-21T10:00:00Z"));
  EXPECT_TRUE(rejected(" 2026-11-21T10:00:00Z"));
  EXPECT_TRUE(rejected("2026-11-21T1:00:00Z"));
  EXPECT_TRUE(rejected("2026-11-21T10-00-00Z"));
  EXPECT_TRUE(rejected("2026-11-21T10:00:0xZ"));
  EXPECT_TRUE(rejected("1795226400000"));
  EXPECT_NE(error_of("2026/11/21T10:00:00Z").find("YYYY-MM-DD"), std::string::npos);
  EXPECT_NE(error_of("2026-11-21T10-00-00Z").find("HH:MM:SS"), std::string::npos);
}

TEST(ParseRfc3339, FullYearRange) {
  EXPECT_EQ(parse_ok("0001-01-01T00:00:00Z"), -62135596800000);
  EXPECT_EQ(parse_ok("9999-12-31T23:59:59Z"), 253402300799000);
  EXPECT_EQ(parse_ok("1900-01-01T00:00:00Z"), -2208988800000);
  EXPECT_TRUE(parse_rfc3339_ms("0000-01-01T00:00:00Z").has_value());  // year 0 is a leap year
  EXPECT_TRUE(parse_rfc3339_ms("0000-02-29T00:00:00Z").has_value());
}

// ---- format_utc_ms ----------------------------------------------------------------------

TEST(FormatUtcMs, FixedShape) {
  EXPECT_EQ(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(k20261121T02Z + 123), "2026-11-21T02:00:00.123Z");
  EXPECT_EQ(format_utc_ms(k20261121T02Z + 7), "2026-11-21T02:00:00.007Z");
  EXPECT_EQ(format_utc_ms(parse_ok("2026-11-21T10:00:00.5+08:00")), "2026-11-21T02:00:00.500Z");
}

TEST(FormatUtcMs, NegativeEpoch) {
  EXPECT_EQ(format_utc_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_utc_ms(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(format_utc_ms(-kDayMs), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(-kDayMs - 1), "1969-12-30T23:59:59.999Z");
  EXPECT_EQ(format_utc_ms(-kDayMs + 1), "1969-12-31T00:00:00.001Z");
  EXPECT_EQ(format_utc_ms(-2208988800000), "1900-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(-62135596800000), "0001-01-01T00:00:00.000Z");
}

TEST(FormatUtcMs, CenturyBoundaries) {
  EXPECT_EQ(format_utc_ms(946684800000), "2000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(946684800000 - 1), "1999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_utc_ms(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(951782400000 + kDayMs), "2000-03-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(4102444800000), "2100-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(4102444800000 - 1), "2099-12-31T23:59:59.999Z");
  EXPECT_EQ(format_utc_ms(4107542400000 - kDayMs), "2100-02-28T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(4107542400000), "2100-03-01T00:00:00.000Z");  // no Feb 29 in 2100
  EXPECT_EQ(format_utc_ms(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(FormatUtcMs, RoundTripsThroughTheParser) {
  const TimeMs samples[] = {0,
                            1,
                            -1,
                            999,
                            -999,
                            k20261121T02Z,
                            k20261121T02Z + 86399999,
                            946684800000,
                            946684800000 - 1,
                            951782400000,
                            4102444800000,
                            4102444800000 - 1,
                            4107542400000,
                            -2208988800000,
                            -62135596800000,
                            253402300799999};
  for (const TimeMs t : samples) {
    EXPECT_EQ(parse_ok(format_utc_ms(t)), t) << format_utc_ms(t);
  }
  // A deterministic sweep over years 0001..9999 (a linear congruential walk).
  const TimeMs low = -62135596800000, high = 253402300799999;
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 20000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const TimeMs t = low + static_cast<TimeMs>(state % static_cast<std::uint64_t>(high - low + 1));
    const std::string text = format_utc_ms(t);
    ASSERT_EQ(text.size(), 24u) << t;
    ASSERT_EQ(parse_ok(text), t) << text;
  }
}

TEST(FormatUtcMs, ExtremeValuesDoNotOverflow) {
  // Outside 0000..9999 the year is clamped; what matters is a well-formed string and no UB.
  for (const TimeMs t : {std::numeric_limits<TimeMs>::min(), std::numeric_limits<TimeMs>::min() + 1,
                         std::numeric_limits<TimeMs>::max(), std::numeric_limits<TimeMs>::max() - 1}) {
    const std::string text = format_utc_ms(t);
    EXPECT_EQ(text.size(), 24u) << text;
    EXPECT_EQ(text.back(), 'Z');
  }
}

TEST(FormatUtcMs, AppendAppends) {
  std::string out = "at ";
  append_utc_ms(out, 0);
  EXPECT_EQ(out, "at 1970-01-01T00:00:00.000Z");
}

TEST(DaysFromCivil, KnownDays) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(2000, 1, 1) * kDayMs, 946684800000);
  EXPECT_EQ(days_from_civil(1, 1, 1) * kDayMs, -62135596800000);
}

// ---- durations --------------------------------------------------------------------------

DurationMs duration_ok(std::string_view text) {
  const auto parsed = parse_duration_ms(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error());
  return parsed.value_or(-1);
}

std::string duration_error(std::string_view text) {
  const auto parsed = parse_duration_ms(text);
  return parsed ? "<accepted " + std::to_string(*parsed) + ">" : parsed.error();
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(duration_ok("500ms"), 500);
  EXPECT_EQ(duration_ok("90s"), 90 * kSecondMs);
  EXPECT_EQ(duration_ok("15m"), 15 * kMinuteMs);
  EXPECT_EQ(duration_ok("15min"), 15 * kMinuteMs);
  EXPECT_EQ(duration_ok("24h"), 24 * kHourMs);
  EXPECT_EQ(duration_ok("7d"), 7 * kDayMs);
  EXPECT_EQ(duration_ok("0s"), 0);
  EXPECT_EQ(duration_ok("0"), 0);
}

TEST(ParseDuration, BareIntegerIsMilliseconds) {
  EXPECT_EQ(duration_ok("250"), 250);
  EXPECT_EQ(duration_ok("10000"), 10000);
}

TEST(ParseDuration, Errors) {
  for (const char* bad : {"", "s", "ms", "-5s", "-1", "+5s", " 5s"}) {
    EXPECT_EQ(duration_error(bad).rfind("not a duration", 0), 0u) << bad << " -> " << duration_error(bad);
  }
  for (const char* bad : {"5x", "5 s", "5S", "5sec", "5hours", "5s ", "5ms5", "5mm", "1.5h", "0x10"}) {
    EXPECT_EQ(duration_error(bad).rfind("unknown duration unit", 0), 0u) << bad << " -> " << duration_error(bad);
  }
  EXPECT_NE(duration_error("5x").find("'x'"), std::string::npos);
}

TEST(ParseDuration, OverflowIsAnErrorNotUndefinedBehaviour) {
  EXPECT_FALSE(parse_duration_ms("99999999999999999999").has_value());  // beyond int64
  EXPECT_FALSE(parse_duration_ms("9223372036854775807d").has_value());
  EXPECT_FALSE(parse_duration_ms("9223372036854776s").has_value());
  EXPECT_EQ(duration_ok("9223372036854775807"), std::numeric_limits<DurationMs>::max());
  EXPECT_EQ(duration_ok("9223372036854775ms"), 9223372036854775);
  EXPECT_EQ(duration_ok("106751991167d"), 106751991167 * kDayMs);
}

TEST(FormatDuration, LargestExactUnit) {
  EXPECT_EQ(format_duration(0), "0ms");
  EXPECT_EQ(format_duration(1), "1ms");
  EXPECT_EQ(format_duration(500), "500ms");
  EXPECT_EQ(format_duration(1500), "1500ms");
  EXPECT_EQ(format_duration(kSecondMs), "1s");
  EXPECT_EQ(format_duration(90 * kSecondMs), "90s");
  EXPECT_EQ(format_duration(kMinuteMs), "1m");
  EXPECT_EQ(format_duration(15 * kMinuteMs), "15m");
  EXPECT_EQ(format_duration(90 * kMinuteMs), "90m");
  EXPECT_EQ(format_duration(kHourMs), "1h");
  EXPECT_EQ(format_duration(36 * kHourMs), "36h");
  EXPECT_EQ(format_duration(kDayMs), "1d");
  EXPECT_EQ(format_duration(7 * kDayMs), "7d");
  EXPECT_EQ(format_duration(-5 * kSecondMs), "-5s");
}

TEST(FormatDuration, RoundTripsThroughTheParser) {
  for (const DurationMs d : {DurationMs{0}, DurationMs{1}, DurationMs{999}, kSecondMs, 61 * kSecondMs, kMinuteMs,
                             25 * kHourMs, 30 * kDayMs, std::numeric_limits<DurationMs>::max()}) {
    EXPECT_EQ(duration_ok(format_duration(d)), d) << format_duration(d);
  }
}

}  // namespace
}  // namespace og

namespace og {
namespace {

TEST(ParseTimeMs, EpochMillisecondsWithinTheYearsOfRfc3339) {
  EXPECT_EQ(parse_time_ms("1763690400000"), 1763690400000);
  EXPECT_EQ(parse_time_ms("0"), 0);
  EXPECT_EQ(parse_time_ms("2026-11-21T10:00:00+08:00"), parse_rfc3339_ms("2026-11-21T10:00:00+08:00"));
  EXPECT_EQ(parse_time_ms("253402300799999"), parse_rfc3339_ms("9999-12-31T23:59:59.999Z"));
  for (const char* wrong : {"-5", "253402300800000", "99999999999999999999999"}) {
    const auto parsed = parse_time_ms(wrong);
    ASSERT_FALSE(parsed) << wrong;
    EXPECT_EQ(parsed.error(), std::string(wrong) + ": epoch milliseconds must be from 0 to 253402300799999 (9999-12-31T23:59:59.999Z)");
  }
}

}  // namespace
}  // namespace og
