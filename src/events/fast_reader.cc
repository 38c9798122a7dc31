#include "events/fast_reader.h"

#include <simdjson.h>

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/hash.h"
#include "events/line_state.h"
#include "events/parser.h"

namespace og::events_internal {
namespace {

bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }
unsigned digit_value(char c) { return static_cast<unsigned>(c - '0'); }

// ---- times ------------------------------------------------------------------------------

unsigned two_digits(const char* at) { return digit_value(at[0]) * 10 + digit_value(at[1]); }

bool is_leap(unsigned year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(unsigned year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// The date and time of day of `YYYY-MM-DDTHH:MM:SS`, digits and separators checked.
struct DayTime {
  unsigned year, month, day, hour, minute, second;
};

bool read_day_time(const char* t, DayTime& out) {
  if constexpr (std::endian::native == std::endian::little) {
    // Eight bytes at a time: separators compared in place, the other bytes checked as digits.
    const auto load = [](const char* at, std::size_t bytes) {
      std::uint64_t word = 0;
      std::memcpy(&word, at, bytes);
      return word;
    };
    constexpr std::uint64_t kZeros = 0x3030303030303030;
    const auto all_digits = [](std::uint64_t word) {
      return (word & 0xF0F0F0F0F0F0F0F0) == kZeros && ((word + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) == kZeros;
    };
    const std::uint64_t date = load(t, 8);           // YYYY-MM-
    const std::uint64_t time = load(t + 8, 8);       // DDTHH:MM
    const std::uint64_t seconds = load(t + 16, 3);   // :SS
    constexpr std::uint64_t kDateSeparators = 0xFF0000FF00000000;     // bytes 4 and 7
    constexpr std::uint64_t kTimeSeparators = 0x0000FF0000FF0000;     // bytes 2 and 5
    constexpr std::uint64_t kSecondsSeparator = 0x00000000000000FF;   // byte 0
    constexpr std::uint64_t kSecondsBytes = 0x0000000000FFFFFF;
    if ((date & kDateSeparators) != 0x2D00002D00000000 || (time & kTimeSeparators) != 0x00003A0000540000 ||
        (seconds & kSecondsSeparator) != 0x3A) {
      return false;
    }
    const std::uint64_t date_digits = (date & ~kDateSeparators) | (kZeros & kDateSeparators);
    const std::uint64_t time_digits = (time & ~kTimeSeparators) | (kZeros & kTimeSeparators);
    const std::uint64_t seconds_digits = (seconds & ~kSecondsSeparator & kSecondsBytes) | (kZeros & ~(kSecondsBytes & ~kSecondsSeparator));
    if (!all_digits(date_digits) || !all_digits(time_digits) || !all_digits(seconds_digits)) return false;
    const std::uint64_t d = date_digits - kZeros, h = time_digits - kZeros, s = seconds_digits - kZeros;
    const auto at = [](std::uint64_t word, unsigned byte) { return static_cast<unsigned>((word >> (8 * byte)) & 0xFF); };
    out.year = at(d, 0) * 1000 + at(d, 1) * 100 + at(d, 2) * 10 + at(d, 3);
    out.month = at(d, 5) * 10 + at(d, 6);
    out.day = at(h, 0) * 10 + at(h, 1);
    out.hour = at(h, 3) * 10 + at(h, 4);
    out.minute = at(h, 6) * 10 + at(h, 7);
    out.second = at(s, 1) * 10 + at(s, 2);
    return true;
  } else {
    if (t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') return false;
    static constexpr std::array<std::size_t, 14> kDigits = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    for (const std::size_t i : kDigits) {
      if (!is_digit(t[i])) return false;
    }
    out = DayTime{two_digits(t) * 100 + two_digits(t + 2), two_digits(t + 5), two_digits(t + 8),
                  two_digits(t + 11),  two_digits(t + 14),    two_digits(t + 17)};
    return true;
  }
}

// `YYYY-MM-DDTHH:MM:SS[.mmm](Z|+HH:MM|-HH:MM)` with every part in range: the layouts writers
// use. False for anything else (lower-case letters, other fraction lengths, a leap second ...),
// which parse_rfc3339_ms then reads.
bool read_usual_time(std::string_view text, TimeMs& out) {
  const std::size_t size = text.size();
  if (size != 20 && size != 24 && size != 25 && size != 29) return false;
  const char* t = text.data();
  DayTime dt{};
  if (!read_day_time(t, dt)) return false;
  std::size_t zone = 19;
  unsigned millis = 0;
  if (size == 24 || size == 29) {
    if (t[19] != '.' || !is_digit(t[20]) || !is_digit(t[21]) || !is_digit(t[22])) return false;
    millis = digit_value(t[20]) * 100 + digit_value(t[21]) * 10 + digit_value(t[22]);
    zone = 23;
  }
  std::int64_t offset_minutes = 0;
  if (size - zone == 1) {
    if (t[zone] != 'Z') return false;
  } else {
    const char sign = t[zone];
    if ((sign != '+' && sign != '-') || !is_digit(t[zone + 1]) || !is_digit(t[zone + 2]) || t[zone + 3] != ':' ||
        !is_digit(t[zone + 4]) || !is_digit(t[zone + 5])) {
      return false;
    }
    const unsigned hours = two_digits(t + zone + 1);
    const unsigned minutes = two_digits(t + zone + 4);
    if (hours > 23 || minutes > 59) return false;
    offset_minutes = static_cast<std::int64_t>(hours * 60 + minutes);
    if (sign == '-') offset_minutes = -offset_minutes;
  }
  if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > days_in_month(dt.year, dt.month) || dt.hour > 23 ||
      dt.minute > 59 || dt.second > 59) {
    return false;
  }
  const std::int64_t seconds = days_from_civil(dt.year, dt.month, dt.day) * 86400 + dt.hour * 3600 +
                               dt.minute * 60 + dt.second - offset_minutes * 60;
  out = seconds * 1000 + millis;
  return true;
}

// A quoted time at `quote` of the layout and hour `cache` holds, read as parse_time_fast reads
// it from the cache (same checks, same value), but in place and without first finding where
// the string ends: its length is the cached layout's, every byte of it is compared or checked
// (so it holds no quote, backslash or control byte), and the byte after it must be the closing
// quote. Returns the byte after that quote, or nullptr where this does not apply. Reads up to
// 32 bytes past the quote: the line is padded.
const char* read_cached_time(const char* quote, const TimeCache& cache, TimeMs& out) {
  if constexpr (std::endian::native == std::endian::little) {
    const std::size_t size = cache.size;
    const char* t = quote + 1;
    const auto load = [](const char* at) {
      std::uint64_t word = 0;
      std::memcpy(&word, at, 8);
      return word;
    };
    if (size == 0 || t[size] != '"' || load(t) != cache.date || (load(t + 8) & 0xFFFFFFFFFFFF) != cache.hour ||
        (load(t + cache.zone_at) & cache.zone_mask) != cache.zone) {
      return nullptr;
    }
    // `MM:SS.mm` (and t[22], the last digit of the milliseconds), or `MM:SS`: separators in
    // place, and every other byte of the clock a digit.
    constexpr std::uint64_t kZeros = 0x3030303030303030;
    const std::uint64_t word = load(t + 14);
    if ((word & cache.separators) != cache.separator_bytes) return nullptr;
    const std::uint64_t digit_bytes = cache.clock_bytes & ~cache.separators;
    const std::uint64_t digits = (word & digit_bytes) | (kZeros & ~digit_bytes);
    if ((digits & 0xF0F0F0F0F0F0F0F0) != kZeros || ((digits + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) != kZeros) return nullptr;
    const bool millis = cache.zone_at == 23;
    if (millis && !is_digit(t[22])) return nullptr;
    // Pairs of digits: byte 0 the minute, byte 3 the second, byte 6 the first two of the millis.
    const std::uint64_t d = digits - kZeros;
    const std::uint64_t pairs = d * 10 + (d >> 8);
    const auto minute = static_cast<unsigned>(pairs & 0xFF), second = static_cast<unsigned>((pairs >> 24) & 0xFF);
    if (minute > 59 || second > 59) return nullptr;
    const unsigned ms = millis ? static_cast<unsigned>((pairs >> 48) & 0xFF) * 10 + digit_value(t[22]) : 0;
    out = (cache.hour_start + minute * 60 + second) * 1000 + ms;
    return t + size + 1;
  } else {
    (void)quote;
    (void)cache;
    (void)out;
    return nullptr;
  }
}

// ---- field names ------------------------------------------------------------------------

// kFields by slot of field_slot(), each name zero-padded to 32 bytes, so that a key read in
// place compares in two 16-byte steps.
struct SlotName {
  std::array<char, 32> bytes{};
  std::uint8_t size = 0;  // 0: no field in this slot
  Field field = Field::kUnknown;
};

constexpr std::array<SlotName, kFieldSlots> make_slot_names() {
  std::array<SlotName, kFieldSlots> table{};
  for (const FieldName& entry : kFields) {
    SlotName& slot = table[field_slot(entry.name)];
    for (std::size_t i = 0; i < entry.name.size(); ++i) slot.bytes[i] = entry.name[i];
    slot.size = static_cast<std::uint8_t>(entry.name.size());
    slot.field = entry.field;
  }
  return table;
}
constexpr std::array<SlotName, kFieldSlots> kSlotNames = make_slot_names();

constexpr bool names_fit() {
  for (const FieldName& entry : kFields) {
    if (entry.name.empty() || entry.name.size() > 32) return false;
  }
  return true;
}
static_assert(names_fit(), "field names are 1 to 32 bytes");

// The field a key names, as field_of(); the key's bytes may be read up to 32 bytes past its
// start (the line is padded).
Field key_field(const char* key, std::size_t size) {
  if (size == 0 || size > 32) return Field::kUnknown;
  const auto byte = [](char c) { return static_cast<std::size_t>(static_cast<unsigned char>(c)); };
  const std::size_t slot = (size + byte(key[0]) * 78 + byte(key[size - 1]) * 91 + byte(key[size / 2]) * 67) % kFieldSlots;
  const SlotName& candidate = kSlotNames[slot];
  if (candidate.size != size) return Field::kUnknown;
#if defined(__SSE2__)
  const auto load = [](const char* at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at)); };
  const auto equal = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(load(key), load(candidate.bytes.data())))) |
                     static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(load(key + 16), load(candidate.bytes.data() + 16))))
                         << 16;
  const std::uint32_t wanted = size == 32 ? 0xffffffffu : (1u << size) - 1;
  return (equal & wanted) == wanted ? candidate.field : Field::kUnknown;
#else
  return std::memcmp(key, candidate.bytes.data(), size) == 0 ? candidate.field : Field::kUnknown;
#endif
}

// A member name of a nested object, zero-padded to 16 bytes: a key read in place (the line is
// padded) compares in one step.
struct ShortName {
  std::array<char, 16> bytes{};
  std::size_t size = 0;

  explicit constexpr ShortName(std::string_view name) : size(name.size()) {
    for (std::size_t i = 0; i < name.size() && i < bytes.size(); ++i) bytes[i] = name[i];
  }

  bool matches(std::string_view key) const {
    if (key.size() != size) return false;
#if defined(__SSE2__)
    const auto equal = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(key.data())), _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes.data())))));
    const std::uint32_t wanted = (1u << size) - 1;
    return (equal & wanted) == wanted;
#else
    return std::memcmp(key.data(), bytes.data(), size) == 0;
#endif
  }
};

// `,"name":` zero-padded to 32 bytes: a predicted key, compared in place in two 16-byte steps,
// with the comma before it where the line is compact (starts()) or without (starts_key()).
struct KeyPattern {
  std::array<char, 32> bytes{};
  std::size_t size = 0;     // with the comma; 0: no name
  std::uint32_t mask = 0;   // a bit for each byte of the pattern

  constexpr KeyPattern() = default;
  explicit constexpr KeyPattern(std::string_view name) {
    if (name.size() + 4 > bytes.size()) return;  // never predicted (no such name yet)
    size = name.size() + 4;
    mask = size == 32 ? 0xffffffffu : (1u << size) - 1;
    bytes[0] = ',';
    bytes[1] = '"';
    for (std::size_t i = 0; i < name.size(); ++i) bytes[i + 2] = name[i];
    bytes[name.size() + 2] = '"';
    bytes[name.size() + 3] = ':';
  }

  // Whether `at` (32 readable bytes) starts with `,"name":`.
  bool starts(const char* at) const { return mask != 0 && (equal(at) & mask) == mask; }
  // Whether `at` starts with `"name":` (the byte before it is readable, and not compared).
  bool starts_key(const char* at) const { return mask != 0 && (equal(at - 1) & mask & ~1u) == (mask & ~1u); }

 private:
  // A bit for each of the 32 bytes at `at` that equals the pattern's (past 16 bytes only where
  // the pattern is longer: most are not).
  std::uint32_t equal(const char* at) const {
#if defined(__SSE2__)
    const auto load = [](const char* from) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(from)); };
    const auto first = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(load(at), load(bytes.data()))));
    if (size <= 16) return first;
    return first | static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(load(at + 16), load(bytes.data() + 16)))) << 16;
#else
    std::uint32_t out = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) out |= static_cast<std::uint32_t>(at[i] == bytes[i]) << i;
    return out;
#endif
  }
};

template <std::size_t N>
constexpr std::array<KeyPattern, N> patterns_of(const std::array<ShortName, N>& names) {
  std::array<KeyPattern, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = KeyPattern(std::string_view(names[i].bytes.data(), names[i].size));
  return out;
}

// The event's fields by Field value (kUnknown: none).
constexpr std::array<KeyPattern, kFieldCount> make_field_patterns() {
  std::array<KeyPattern, kFieldCount> out{};
  for (const FieldName& entry : kFields) out[static_cast<std::size_t>(entry.field)] = KeyPattern(entry.name);
  return out;
}
constexpr std::array<KeyPattern, kFieldCount> kFieldPatterns = make_field_patterns();

static_assert(kFieldCount + 2 <= std::tuple_size_v<decltype(KeyOrder::next)>, "KeyOrder holds every field");

// 10^0 .. 10^22: exactly representable, so mantissa / 10^k rounds once, correctly.
constexpr std::array<double, 23> kPowersOfTen = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The value of eight digit bytes (little-endian word, '0' already subtracted from each).
std::uint64_t eight_digits(std::uint64_t word) {
  word = word * 10 + (word >> 8);
  return ((((word & 0x000000FF000000FF) * (100 + (1000000ULL << 32))) +
           (((word >> 16) & 0x000000FF000000FF) * (1 + (10000ULL << 32)))) >> 32) & 0xFFFFFFFF;
}

#if defined(__SSE2__)
// Bit i set where at[i] (i < 32) is a digit.
std::uint32_t digit_mask(const char* at) {
  const auto digits16 = [](const char* from) {
    const __m128i values = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(from)), _mm_set1_epi8('0'));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values)));
  };
  return digits16(at) | digits16(at + 16) << 16;
}
#endif

constexpr std::array<std::uint64_t, 8> kWholePowersOfTen = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

// `value` followed by the `count` (at most 19 in all) digits at `at`, eight a step and the
// last 1 to 7 moved to a word's top bytes (leading zeros below them): no loop over single
// digits. Reads up to 8 bytes past the digits (the text is padded).
[[gnu::always_inline]] inline std::uint64_t append_digits(std::uint64_t value, const char* at, std::size_t count) {
  const auto load = [](const char* from) {
    std::uint64_t word = 0;
    std::memcpy(&word, from, 8);
    return word - 0x3030303030303030;  // a borrow only runs into the bytes past the digits
  };
  for (; count >= 8; count -= 8, at += 8) value = value * 100000000 + eight_digits(load(at));
  if (count != 0) value = value * kWholePowersOfTen[count] + eight_digits(load(at) << (8 * (8 - count)));
  return value;
}

// The digits at `at` appended to `value` one by one (the reader without SSE2; maybe unused,
// since an SSE2 little-endian build discards its only caller).
[[maybe_unused]] const char* append_each_digit(const char* at, std::uint64_t& value) {
  while (is_digit(*at)) value = value * 10 + digit_value(*at++);
  return at;
}

// mantissa / 10^fraction (mantissa up to 2^64, fraction up to 19) rounded once to a double,
// where long double has a 64-bit significand (x87): both operands are exact there, the
// division rounds once to 64 bits, and rounding that to 53 bits gives the correctly rounded
// quotient unless it lies exactly halfway between two doubles. False then, and elsewhere.
bool divide_wide(std::uint64_t mantissa, std::size_t fraction, double& out) {
#if (defined(__x86_64__) || defined(__i386__)) && __LDBL_MANT_DIG__ == 64
  static constexpr std::array<long double, 20> kLongPowersOfTen = {
      1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
      1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L};
  if (fraction >= kLongPowersOfTen.size()) return false;
  const long double quotient = static_cast<long double>(mantissa) / kLongPowersOfTen[fraction];
  std::uint64_t significand = 0;
  std::memcpy(&significand, &quotient, sizeof significand);
  if ((significand & 0x7FF) == 0x400) return false;
  out = static_cast<double>(quotient);
  return true;
#else
  (void)mantissa;
  (void)fraction;
  (void)out;
  return false;
#endif
}

}  // namespace

const char* read_decimal(const char* at, double& out) {
  const char* const start = at;
  const bool negative = *at == '-';
  if (negative) ++at;
  std::uint64_t mantissa = 0;
  std::size_t digits = 0;    // of the whole part, "0" not counted
  std::size_t fraction = 0;  // digits after the point
#if defined(__SSE2__)
  if constexpr (std::endian::native == std::endian::little) {
    // Both runs of digits from one scan of 32 bytes: coordinates (the most common number, two
    // on every rider.location) have 15 to 17 digits. Where a run reaches the end of the scan,
    // it holds more than 19 digits in all, which the general reader takes anyway.
    const std::uint64_t others = ~static_cast<std::uint64_t>(digit_mask(at));  // bits 32 and up set
    const std::size_t whole = static_cast<std::size_t>(__builtin_ctzll(others));
    if (whole == 0 || (*at == '0' && whole > 1)) return nullptr;
    digits = *at == '0' ? 0 : whole;
    const char* end = at + whole;
    if (*end == '.') {
      fraction = static_cast<std::size_t>(__builtin_ctzll(others >> (whole + 1)));
      if (fraction == 0) return nullptr;
      end += 1 + fraction;
    }
    if (*end == 'e' || *end == 'E' || digits + fraction > 19) return nullptr;
    // A short whole part (a coordinate's) digit by digit; the fraction eight digits a step.
    if (digits <= 3) {
      for (std::size_t i = 0; i < digits; ++i) mantissa = mantissa * 10 + digit_value(at[i]);
    } else {
      mantissa = append_digits(0, at, digits);
    }
    mantissa = append_digits(mantissa, at + whole + 1, fraction);
    at = end;
  } else
#endif
  {
    if (*at == '0') {
      ++at;
      if (is_digit(*at)) return nullptr;
    } else {
      const char* first = at;
      at = append_each_digit(at, mantissa);
      digits = static_cast<std::size_t>(at - first);
      if (digits == 0) return nullptr;
    }
    if (*at == '.') {
      const char* first = ++at;
      at = append_each_digit(at, mantissa);
      fraction = static_cast<std::size_t>(at - first);
      if (fraction == 0) return nullptr;
    }
    if (*at == 'e' || *at == 'E' || digits + fraction > 19) return nullptr;
  }
  double value = 0;
  if (mantissa <= (std::uint64_t{1} << 53)) {
    value = static_cast<double>(mantissa) / kPowersOfTen[fraction];
  } else if (!divide_wide(mantissa, fraction, value)) {
    const auto [end, error] = std::from_chars(start, at, out);
    return error == std::errc() && end == at ? at : nullptr;
  }
  out = negative ? -value : value;
  return at;
}

namespace {

constexpr int kMaxSkipDepth = 32;  // the general reader allows 64; deeper lines go to it

// ---- the reader -------------------------------------------------------------------------

class FastReader : public LineState {
 public:
  FastReader(Interner& interner, Event& event, FastScratch& scratch)
      : LineState(interner, event), pending_(scratch.pending), pending_items_(scratch.pending_items), scratch_(scratch) {
    pending_.clear();
  }

  bool read(std::string_view line) {
    p_ = line.data();
    end_ = line.data() + line.size();
    if (peek() != '{') return false;
    const bool read = known_object(
        kFieldPatterns, scratch_.event_keys,
        [](std::string_view key) {
          const Field field = key_field(key.data(), key.size());
          return field == Field::kUnknown ? -1 : static_cast<int>(field);
        },
        [&](int index) { return value(index < 0 ? Field::kUnknown : static_cast<Field>(index)); });
    if (!read) return false;
    peek();
    if (p_ != end_) return false;
    // Only strings can hold bytes >= 0x80 here (anywhere else they are not JSON, and the reader
    // gave up), so checking the span from the first such string to the last is checking the line.
    if (utf8_end_ != nullptr && !simdjson::validate_utf8(utf8_begin_, static_cast<std::size_t>(utf8_end_ - utf8_begin_))) {
      return false;
    }
    // The line is read as the general reader would: intern in the order it interns.
    for (const PendingSymbol& pending : pending_) {
      *pending.target = interner_.intern(pending.text);
      if (pending.cache) scratch_.symbols.put(SymbolCache::key_of(pending.text), *pending.target);
    }
    return finish().has_value();
  }

 private:
  // ---- structure --------------------------------------------------------------------

  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  void skip_space() {
    while (is_space(*p_)) ++p_;
  }
  // The byte at the cursor once past any JSON space (compact lines have none: one test).
  char peek() {
    if (static_cast<unsigned char>(*p_) <= ' ') skip_space();
    return *p_;
  }

  bool literal(std::string_view word) {
    if (std::memcmp(p_, word.data(), word.size()) != 0) return false;
    p_ += word.size();
    return true;
  }
  bool null() { return std::memcmp(p_, "null", 4) == 0 ? (p_ += 4, true) : false; }

  // At '{': `member(key)` reads each member's value (the cursor is on it).
  template <typename Member>
  bool object(Member&& member) {
    ++p_;
    if (peek() == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      std::string_view key;
      if (!plain_string(key) || peek() != ':') return false;
      ++p_;
      peek();
      if (!member(key)) return false;
      const char next = peek();
      ++p_;
      if (next != ',') return next == '}';
      peek();
    }
  }

  // At '[': `element()` reads each element (the cursor is on it).
  template <typename Element>
  bool array(Element&& element) {
    ++p_;
    if (peek() == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      if (!element()) return false;
      const char next = peek();
      ++p_;
      if (next != ',') return next == ']';
      peek();
    }
  }

  // At '{': an object whose keys are looked up in a table of N names (`lookup`: key -> index,
  // -1 for another key); `member(index)` reads each value. A key seen twice gives up. Each key
  // is first tried as the one `order` predicts (see KeyOrder), and `order` learns. On compact
  // lines the predicted key is tried with its comma right after the value before.
  template <std::size_t N, typename Lookup, typename Member>
  bool known_object(const std::array<KeyPattern, N>& patterns, KeyOrder& order, Lookup&& lookup, Member&& member) {
    static_assert(N <= 64 && N + 2 <= std::tuple_size_v<decltype(KeyOrder::next)>);
    ++p_;
    if (peek() == '}') {
      ++p_;
      return true;
    }
    std::uint64_t seen = 0;
    std::size_t previous = N;  // N: the start; N + 1: after another key
    for (;;) {
      // At a key.
      int index = -1;
      std::uint8_t guess = order.next[previous];
      if (guess < N && patterns[guess].starts_key(p_)) {
        index = guess;
        p_ += patterns[guess].size - 1;
      } else {
        std::string_view key;
        if (!plain_string(key) || peek() != ':') return false;
        ++p_;
        index = lookup(key);
        order.next[previous] = index < 0 ? KeyOrder::kNoGuess : static_cast<std::uint8_t>(index);
      }
      for (;;) {
        if (index >= 0) {
          const std::uint64_t bit = std::uint64_t{1} << index;
          if ((seen & bit) != 0) return false;  // a repeated key
          seen |= bit;
          previous = static_cast<std::size_t>(index);
        } else {
          previous = N + 1;
        }
        peek();
        if (!member(index)) return false;
        guess = order.next[previous];
        if (guess >= N || !patterns[guess].starts(p_)) break;
        index = guess;
        p_ += patterns[guess].size;
      }
      const char next = peek();
      ++p_;
      if (next != ',') return next == '}';
      peek();
    }
  }

  // A key's index among `names`, -1 for another key.
  template <std::size_t N>
  static int index_of(std::string_view key, const std::array<ShortName, N>& names) {
    for (std::size_t i = 0; i < N; ++i) {
      if (names[i].matches(key)) return static_cast<int>(i);
    }
    return -1;
  }

  // ---- strings ------------------------------------------------------------------------

  // The first '"', '\\' or control byte (the padding's '\0' included) at or after `at`. Where
  // the bytes read include one >= 0x80, widens the span of the line whose UTF-8 read() checks
  // to this string: most lines are ASCII, and the others have it in one or two short strings.
  // The bytes read past the stop may flag a string that is all ASCII, which only widens the
  // span (still from a string's start to a string's end); a string with such a byte is always
  // flagged.
  const char* string_stop(const char* at) {
    const char* const start = at;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1f);
    unsigned high = 0;
    for (;; at += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      const __m128i stops = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
                                         _mm_cmpeq_epi8(_mm_max_epu8(bytes, control), control));
      const auto stop = static_cast<unsigned>(_mm_movemask_epi8(stops));
      high |= static_cast<unsigned>(_mm_movemask_epi8(bytes));
      if (stop != 0) {
        at += __builtin_ctz(stop);
        break;
      }
    }
#else
    bool high = false;
    for (;; ++at) {
      const auto c = static_cast<unsigned char>(*at);
      if (c == '"' || c == '\\' || c < 0x20) break;
      high = high || c >= 0x80;
    }
#endif
    if (high != 0) {
      if (utf8_end_ == nullptr) utf8_begin_ = start;
      utf8_end_ = at;
    }
    return at;
  }

  // A string without escapes; `out` views its bytes in the line. (On every key and string
  // value: as a call it cost more than its body.)
  [[gnu::always_inline]] bool plain_string(std::string_view& out) {
    if (*p_ != '"') return false;
    const char* start = p_ + 1;
    const char* stop = string_stop(start);
    if (*stop != '"') return false;
    out = std::string_view(start, static_cast<std::size_t>(stop - start));
    p_ = stop + 1;
    return true;
  }

  // A string nobody keeps: checked, with its simple escapes (\u escapes are left to the
  // general reader, which checks surrogates).
  bool skip_string() {
    const char* at = p_ + 1;
    for (;;) {
      at = string_stop(at);
      if (*at == '"') {
        p_ = at + 1;
        return true;
      }
      if (*at != '\\') return false;
      switch (at[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': at += 2; break;
        default: return false;
      }
    }
  }

  // read_string: a string, or null (read as "").
  bool string_or_null(std::string_view& out) {
    if (*p_ == '"') return plain_string(out);
    out = {};
    return null();
  }

  // read_symbol: interned once the line is read; null clears.
  bool symbol(Symbol& target) {
    std::string_view text;
    if (!string_or_null(text) || text.size() > kMaxIdBytes * 4) return false;
    pending_.push_back({text, &target});
    return true;
  }

  // read_symbol for a field whose values recur (see SymbolCache): taken from the cache where
  // it holds the string, else interned once the line is read and then cached.
  bool recurring_symbol(Symbol& target) {
    std::string_view text;
    if (!string_or_null(text) || text.size() > kMaxIdBytes * 4) return false;
    if (const Symbol known = scratch_.symbols.find(text); known != kNoSymbol) {
      target = known;
      return true;
    }
    pending_.push_back({text, &target, SymbolCache::fits(text)});
    return true;
  }

  // read_hashed
  bool hashed(std::uint64_t& out) {
    std::string_view text;
    if (!string_or_null(text) || text.size() > kMaxIdBytes * 4) return false;
    out = text.empty() ? 0 : (hash64(text) | 1);
    return true;
  }

  // read_id: a string of 1 to 128 bytes.
  bool id(std::string_view& out) { return plain_string(out) && !out.empty() && out.size() <= kMaxIdBytes; }

  // read_deferred
  bool deferred(std::string_view& out, bool& present) {
    if (!string_or_null(out)) return false;
    present = !out.empty();
    return true;
  }

  // ---- numbers and other scalars ------------------------------------------------------

  // A non-negative whole number up to kMaxMoney (the general reader decides the rest: a count
  // may be larger, an amount may not).
  bool whole(std::int64_t& out) {
    const char* at = p_;
    std::uint64_t value = 0;
    if (*at == '0') {
      ++at;
    } else {
      while (is_digit(*at)) value = value * 10 + digit_value(*at++);
      if (at == p_ || at - p_ > 18) return false;
    }
    if (*at == '.' || *at == 'e' || *at == 'E' || is_digit(*at) || value > static_cast<std::uint64_t>(kMaxMoney)) return false;
    out = static_cast<std::int64_t>(value);
    p_ = at;
    return true;
  }

  // read_integer (money, counts): a whole number, or null for absent.
  bool whole_or_null(std::int64_t& out) {
    if (*p_ == 'n') {
      out = kAbsent;
      return null();
    }
    return whole(out);
  }

  // get_double, for the numbers read_decimal takes.
  bool number(double& out) {
    const char* end = read_decimal(p_, out);
    if (end == nullptr) return false;
    p_ = end;
    return true;
  }

  // read_number: a number within [low, high]. (null is handled by the callers.)
  bool number_in(double& out, double low, double high) { return number(out) && out >= low && out <= high; }

  bool boolean(bool& out) {
    out = *p_ == 't';
    return literal(out ? "true" : "false");
  }

  // read_time: RFC 3339 text, epoch milliseconds, or null for absent.
  bool time(TimeMs& out) { return time(out, scratch_.other_time); }
  bool time(TimeMs& out, TimeCache& cache) {
    if (*p_ == '"') {
      if (const char* after = read_cached_time(p_, cache, out)) {
        p_ = after;
        return true;
      }
      std::string_view text;
      return plain_string(text) && parse_time_fast(text, out, &cache);
    }
    if (*p_ == 'n') {
      out = kAbsent;
      return null();
    }
    std::int64_t millis = 0;
    if (!whole(millis) || millis > kMaxEpochMs) return false;
    out = millis;
    return true;
  }

  // skip_value: any valid JSON value, checked and dropped.
  bool skip(int depth) {
    switch (*p_) {
      case '"': return skip_string();
      case '{':
        if (depth >= kMaxSkipDepth) return false;
        return object([&](std::string_view) { return skip(depth + 1); });
      case '[':
        if (depth >= kMaxSkipDepth) return false;
        return array([&] { return skip(depth + 1); });
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return null();
      default: return skip_number();
    }
  }

  // RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool skip_number() {
    const char* at = p_;
    if (*at == '-') ++at;
    if (*at == '0') {
      ++at;
    } else {
      if (!is_digit(*at)) return false;
      while (is_digit(*at)) ++at;
    }
    if (*at == '.') {
      ++at;
      if (!is_digit(*at)) return false;
      while (is_digit(*at)) ++at;
    }
    if (*at == 'e' || *at == 'E') {
      ++at;
      if (*at == '+' || *at == '-') ++at;
      if (!is_digit(*at)) return false;
      while (is_digit(*at)) ++at;
    }
    p_ = at;
    return true;
  }

  // ---- agent fields (read_loose_*) ------------------------------------------------------

  bool loose_text(LooseText& out) {
    out = LooseText{};
    if (*p_ == '"') {
      out.shape = Shape::kPresent;
      return plain_string(out.text);
    }
    return null();
  }

  bool loose_integer(std::int64_t& out, Shape& shape) {
    out = kAbsent;
    shape = Shape::kAbsent;
    if (*p_ == 'n') return null();
    shape = Shape::kPresent;
    return whole(out);
  }

  bool loose_bool(bool& out, Shape& shape) {
    out = false;
    shape = Shape::kAbsent;
    if (*p_ == 'n') return null();
    shape = Shape::kPresent;
    return boolean(out);
  }

  bool loose_skills() {
    AgentDeferred& fields = agent();
    fields.skills = 0;
    fields.has_unknown_skill = false;
    fields.unknown_skill = {};
    fields.skills_shape = Shape::kAbsent;
    if (*p_ == 'n') return null();
    if (*p_ != '[') return false;
    fields.skills_shape = Shape::kPresent;
    return array([&] {
      std::string_view name;
      if (!plain_string(name)) return false;
      for (std::size_t i = 0; i < kSkillNames.size(); ++i) {
        if (kSkillNames[i] == name) {
          fields.skills = static_cast<std::uint8_t>(fields.skills | (1u << i));
          return true;
        }
      }
      if (!fields.has_unknown_skill) {
        fields.has_unknown_skill = true;
        fields.unknown_skill = name;
      }
      return true;
    });
  }

  // ---- nested objects and arrays --------------------------------------------------------

  bool address() {
    if (*p_ == 'n') return null();
    if (*p_ != '{') return false;
    Address& address = event_.address;
    address = Address{};
    address.present = true;
    bool has_lat = false, has_lng = false;
    static constexpr std::array<ShortName, 6> kNames = {ShortName("text"), ShortName("building"), ShortName("room"),
                                                        ShortName("unit"), ShortName("lat"), ShortName("lng")};
    static constexpr auto kPatterns = patterns_of(kNames);
    const auto lookup = [](std::string_view key) { return index_of(key, kNames); };
    const bool read = known_object(kPatterns, scratch_.address_keys, lookup, [&](int index) {
      std::string_view text;
      switch (index) {
        case 0: return string_or_null(text) && ((address.has_text = !text.empty()), true);
        case 1: return string_or_null(text) && ((address.has_building = !text.empty()), true);
        case 2: return string_or_null(text) && ((address.has_room = !text.empty()), true);
        case 3: return string_or_null(text);
        case 4:
          if (*p_ == 'n') return null();
          has_lat = true;
          return number_in(address.position.lat, -90, 90);
        case 5:
          if (*p_ == 'n') return null();
          has_lng = true;
          return number_in(address.position.lng, -180, 180);
        default: return skip(0);
      }
    });
    address.has_position = has_lat && has_lng;
    return read;
  }

  bool coupon() {
    if (*p_ == 'n') return null();
    if (*p_ != '{') return false;
    Coupon& coupon = event_.coupon;
    coupon = Coupon{};
    coupon.present = true;
    static constexpr std::array<ShortName, 4> kNames = {ShortName("code"), ShortName("discount"), ShortName("min_spend"),
                                                        ShortName("expires_at")};
    static constexpr auto kPatterns = patterns_of(kNames);
    const auto lookup = [](std::string_view key) { return index_of(key, kNames); };
    const bool read = known_object(kPatterns, scratch_.coupon_keys, lookup, [&](int index) {
      switch (index) {
        case 0: return symbol(coupon.code);
        case 1: return whole_or_null(coupon.discount);
        case 2: return whole_or_null(coupon.min_spend);
        case 3: return time(coupon.expires_at);
        default: return skip(0);
      }
    });
    if (coupon.discount == kAbsent) coupon.discount = 0;
    return read;
  }

  // Symbols of array elements are noted without a target while the vector may still grow, and
  // aimed once the array is complete (a repeated key gives up, so nothing else moves them).
  // A SKU the cache holds is its symbol at once; pending_items_ notes the items of the others.
  bool items() {
    std::vector<Item>& items = event_.items;
    items.clear();
    pending_items_.clear();
    if (*p_ == 'n') return null();
    if (*p_ != '[') return false;
    event_.has_items = true;
    const std::size_t first = pending_.size();
    static constexpr std::array<ShortName, 5> kNames = {ShortName("sku"), ShortName("qty"), ShortName("unit_price"),
                                                        ShortName("category"), ShortName("expires_at")};
    static constexpr auto kPatterns = patterns_of(kNames);
    const auto lookup = [](std::string_view key) { return index_of(key, kNames); };
    const bool read = array([&] {
      if (*p_ != '{' || items.size() >= kMaxItems) return false;
      Item& item = items.emplace_back();
      std::string_view sku;
      const bool item_read = known_object(kPatterns, scratch_.item_keys, lookup, [&](int index) {
        std::string_view category;
        switch (index) {
          case 0: return string_or_null(sku) && sku.size() <= kMaxIdBytes * 4;
          case 1:
            if (!whole_or_null(item.qty)) return false;
            if (item.qty == kAbsent) item.qty = 1;
            return item.qty >= 1;
          case 2: return whole_or_null(item.unit_price);
          case 3: return string_or_null(category);
          case 4: return time(item.expires_at);
          default: return skip(0);
        }
      });
      if (!item_read) return false;
      if (sku.empty()) return true;  // a line without a sku (an errand's "buy me a coffee")
      if (const Symbol known = scratch_.symbols.find(sku); known != kNoSymbol) {
        item.sku = known;
        return true;
      }
      pending_items_.push_back(items.size() - 1);
      pending_.push_back({sku, nullptr, SymbolCache::fits(sku)});
      return true;
    });
    if (!read) return false;
    for (std::size_t i = 0; i < pending_items_.size(); ++i) pending_[first + i].target = &items[pending_items_[i]].sku;
    return true;
  }

  bool pickup_points() {
    std::vector<PickupPoint>& points = event_.rare().pickup_points;
    points.clear();
    if (*p_ == 'n') return null();
    if (*p_ != '[') return false;
    const std::size_t first = pending_.size();
    static constexpr std::array<ShortName, 3> kNames = {ShortName("id"), ShortName("lat"), ShortName("lng")};
    static constexpr auto kPatterns = patterns_of(kNames);
    const auto lookup = [](std::string_view key) { return index_of(key, kNames); };
    const bool read = array([&] {
      if (*p_ != '{' || points.size() >= kMaxItems) return false;
      PickupPoint& point = points.emplace_back();
      std::string_view id;
      const bool point_read = known_object(kPatterns, scratch_.pickup_point_keys, lookup, [&](int index) {
        switch (index) {
          case 0: return string_or_null(id) && id.size() <= kMaxIdBytes * 4;
          case 1: return *p_ == 'n' ? null() : number_in(point.position.lat, -90, 90);
          case 2: return *p_ == 'n' ? null() : number_in(point.position.lng, -180, 180);
          default: return skip(0);
        }
      });
      if (!point_read) return false;
      pending_.push_back({id, nullptr});  // "" when absent: interns to kNoSymbol, as not reading it
      return true;
    });
    if (!read) return false;
    for (std::size_t i = 0; i < points.size(); ++i) pending_[first + i].target = &points[i].id;
    return true;
  }

  bool tags() {
    std::vector<Symbol>& tags = event_.rare().tags;
    tags.clear();
    if (*p_ == 'n') return null();
    if (*p_ != '[') return false;
    const std::size_t first = pending_.size();
    const bool read = array([&] {
      std::string_view tag;
      if (tags.size() >= kMaxItems || !plain_string(tag) || tag.size() > kMaxIdBytes * 4) return false;
      tags.push_back(kNoSymbol);
      pending_.push_back({tag, nullptr});
      return true;
    });
    if (!read) return false;
    for (std::size_t i = 0; i < tags.size(); ++i) pending_[first + i].target = &tags[i];
    return true;
  }

  bool channels() {
    std::vector<Channel>& channels = event_.rare().channels;
    channels.clear();
    if (*p_ == 'n') return null();
    if (*p_ != '[') return false;
    return array([&] {
      std::string_view name;
      if (!plain_string(name)) return false;
      if (name == "app") channels.push_back(Channel::kApp);
      else if (name == "sms") channels.push_back(Channel::kSms);
      else if (name == "phone") channels.push_back(Channel::kPhone);
      else return false;
      return channels.size() <= 16;
    });
  }

  // ---- one top-level member (LineReader::read_field) ------------------------------------

  // Inlined into its one caller (the event's member reader), where g++ would leave it a call.
  [[gnu::always_inline]] bool value(Field field) {
    Event& e = event_;
    switch (field) {
      case Field::kUnknown:
      case Field::kSource: return skip(0);
      case Field::kId: {
        std::string_view text;
        if (!id(text)) return false;
        e.id.append(text);  // the event was reset (id empty); append skips assign's general case
        // The same bytes (not merely equal ones) as the reader ahead hashed: the same hash.
        const bool hinted = text.data() == scratch_.id_hint.data() && text.size() == scratch_.id_hint.size();
        e.id_hash = hinted ? scratch_.id_hint_hash : hash64(text);
        deferred_.has_id = true;
        return true;
      }
      case Field::kType:
        deferred_.has_type = true;
        return plain_string(deferred_.type_name);
      case Field::kTs:
        deferred_.has_ts = true;
        return time(e.ts, scratch_.ts_time) && e.ts != kAbsent;
      case Field::kOrderId: {
        if (*p_ == 'n') return null();  // absent; finish() says "missing" where it is required
        std::string_view text;
        if (!id(text)) return false;
        pending_.push_back({text, &e.order_id});
        return true;
      }
      case Field::kUserId: return symbol(e.user_id);
      case Field::kMerchantId: return recurring_symbol(e.merchant_id);
      case Field::kZone: return recurring_symbol(e.zone);
      case Field::kCommunity: return recurring_symbol(e.community);
      case Field::kTxnId: return hashed(e.txn_id);
      case Field::kRefundId: return hashed(e.refund_id);
      case Field::kSku: return recurring_symbol(e.sku);
      case Field::kSubstituteSku: return recurring_symbol(e.substitute_sku);
      case Field::kCategory: return recurring_symbol(e.category);
      case Field::kWarehouse: return recurring_symbol(e.warehouse);
      case Field::kRiderId: return recurring_symbol(e.rider_id);
      case Field::kPickerId: return symbol(ignored_);
      case Field::kCode:
      case Field::kReasonCode: return symbol(e.code);
      case Field::kKind: return deferred(deferred_.kind, deferred_.has_kind);
      case Field::kReason: return deferred(deferred_.reason, deferred_.has_reason);
      case Field::kBy: return deferred(deferred_.by, deferred_.has_by);
      case Field::kPaymentMethod: return deferred(deferred_.payment_method, deferred_.has_payment_method);
      case Field::kUserTier: return deferred(deferred_.user_tier, deferred_.has_user_tier);
      case Field::kTier: return deferred(deferred_.tier, deferred_.has_tier);
      case Field::kSubstitutionPref: return deferred(deferred_.substitution_pref, deferred_.has_substitution_pref);
      case Field::kAmount:
        deferred_.has_amount = true;
        return whole_or_null(e.amount);
      case Field::kPrice: return whole_or_null(e.price);
      case Field::kRequested: return whole_or_null(e.requested);
      case Field::kAvailable:
        deferred_.has_available = true;
        return whole_or_null(e.available);
      case Field::kReorderPoint: return whole_or_null(e.reorder_point);
      case Field::kActiveOrders: return whole_or_null(e.active_orders);
      case Field::kScore: return whole_or_null(e.score);
      case Field::kRadiusM: return *p_ == 'n' ? null() : number_in(e.radius_m, 0, 1e8);
      case Field::kLat:
        if (*p_ == 'n') return null();
        deferred_.has_lat = true;
        return number_in(e.position.lat, -90, 90);
      case Field::kLng:
        if (*p_ == 'n') return null();
        deferred_.has_lng = true;
        return number_in(e.position.lng, -180, 180);
      case Field::kAccepted:
        return *p_ == 'n' ? null() : boolean(e.accepted);
      case Field::kOnline: return *p_ == 'n' ? null() : boolean(e.online);
      case Field::kPromiseAt: return time(e.promise_at);
      case Field::kSlotStart: return time(e.slot_start);
      case Field::kSlotEnd: return time(e.slot_end);
      case Field::kAddress: return address();
      case Field::kCoupon: return coupon();
      case Field::kItems: return items();
      case Field::kTags: return tags();
      case Field::kChannels: return channels();
      case Field::kPickupPoints: return pickup_points();
      case Field::kAgentId: return loose_text(agent().agent_id);
      case Field::kIncidentId: return loose_text(agent().incident_id);
      case Field::kName: return loose_text(agent().name);
      case Field::kResolutionCode: return loose_text(agent().resolution_code);
      case Field::kNote: return loose_text(agent().note);
      case Field::kText: return loose_text(agent().text);
      case Field::kTo: return loose_text(agent().to);
      case Field::kCapacity: return loose_integer(agent().capacity, agent().capacity_shape);
      case Field::kSupervisor: return loose_bool(agent().supervisor, agent().supervisor_shape);
      case Field::kOnDuty: return loose_bool(agent().on_duty, agent().on_duty_shape);
      case Field::kSkills: return loose_skills();
    }
    return false;
  }

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  const char* utf8_begin_ = nullptr;  // the span of the strings that hold bytes >= 0x80
  const char* utf8_end_ = nullptr;    // (nullptr: none)
  Symbol ignored_ = kNoSymbol;
  PendingSymbols& pending_;
  std::vector<std::size_t>& pending_items_;
  FastScratch& scratch_;
};

}  // namespace

bool parse_time_fast(std::string_view text, TimeMs& out, TimeCache* cache) {
  const std::size_t size = text.size();
  const char* t = text.data();
  const std::size_t zone = size == 20 || size == 25 ? 19 : 23;
  const auto load = [](const char* at, std::size_t bytes) {
    std::uint64_t word = 0;
    std::memcpy(&word, at, bytes);
    return word;
  };
  const auto load_zone = [&](const char* at, std::size_t bytes) {  // `Z` or `+08:00`, without a memcpy call
    return bytes == 1 ? load(at, 1) : bytes == 6 ? load(at, 6) : load(at, bytes);
  };
  // Minutes, seconds and milliseconds, `MM:SS[.mmm]`, of a usual layout.
  const auto minutes_on = [&](std::int64_t hour_start) {
    if (!is_digit(t[14]) || !is_digit(t[15]) || t[16] != ':' || !is_digit(t[17]) || !is_digit(t[18])) return false;
    const unsigned minute = two_digits(t + 14), second = two_digits(t + 17);
    if (minute > 59 || second > 59) return false;
    unsigned millis = 0;
    if (zone == 23) {
      if (t[19] != '.' || !is_digit(t[20]) || !is_digit(t[21]) || !is_digit(t[22])) return false;
      millis = digit_value(t[20]) * 100 + digit_value(t[21]) * 10 + digit_value(t[22]);
    }
    out = (hour_start + minute * 60 + second) * 1000 + millis;
    return true;
  };
  if (cache != nullptr && size == cache->size && load(t, 8) == cache->date && load(t + 8, 6) == cache->hour &&
      load_zone(t + zone, size - zone) == cache->zone && minutes_on(cache->hour_start)) {
    return true;
  }
  if (read_usual_time(text, out)) {
    if (cache != nullptr) {
      const std::int64_t seconds = (out - (zone == 23 ? two_digits(t + 20) * 10 + digit_value(t[22]) : 0)) / 1000;
      const bool millis = zone == 23;
      *cache = TimeCache{load(t, 8),
                         load(t + 8, 6),
                         load_zone(t + zone, size - zone),
                         size,
                         seconds - two_digits(t + 14) * 60 - two_digits(t + 17),
                         zone,
                         size - zone == 1 ? 0xFFULL : 0xFFFFFFFFFFFFULL,
                         millis ? ~0ULL : 0x000000FFFFFFFFFFULL,
                         millis ? 0x0000FF0000FF0000ULL : 0x0000000000FF0000ULL,
                         millis ? 0x00002E00003A0000ULL : 0x00000000003A0000ULL};
    }
    return true;
  }
  const auto parsed = parse_rfc3339_ms(text);
  if (!parsed) return false;
  out = *parsed;
  return true;
}

void PendingSymbols::grow() {
  const std::size_t capacity = capacity_ == 0 ? 64 : 2 * capacity_;
  auto entries = std::make_unique<PendingSymbol[]>(capacity);
  for (std::size_t i = 0; i < size_; ++i) entries[i] = entries_[i];
  entries_ = std::move(entries);
  capacity_ = capacity;
}

bool read_fast(std::string_view line, Interner& interner, Event& event, FastScratch& scratch) {
  FastReader reader(interner, event, scratch);
  return reader.read(line);
}

}  // namespace og::events_internal
