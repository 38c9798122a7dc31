// core/serial: the byte encoding of engine snapshots (docs/snapshots.md). A Writer appends to a
// string; a Reader takes a view and checks everything it reads, so bytes that are truncated or
// corrupt end in serial::Error (a message naming the section and the byte), never in undefined
// behaviour or an allocation sized by garbage.
//
// Encoding: unsigned integers as LEB128 varints; signed ones zigzagged, with INT64_MIN (the
// engine's kAbsent) in one byte; doubles as their 8 IEEE bytes, little-endian; strings and
// containers as a count then their elements. Maps and sets are written in key order.
//
// One description per struct serves both directions: `describe(ar, value)` lists the fields
// as `ar(value.a, value.b ...)`, where `ar` is a Writer (value const) or a Reader. Symbols are
// written through sym()/syms(), which the Reader checks against the interner's size.
// Depends on: core/interner (Symbol). Not thread-safe.
#pragma once

#include <array>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/interner.h"

namespace og::serial {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The largest valid value of an enum written to a snapshot; specialise it for every enum
// (`template <> struct EnumMax<E> { static constexpr E value = E::kLast; };`).
template <typename E>
struct EnumMax;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void varint(std::uint64_t value) {
    char bytes[10];
    std::size_t n = 0;
    while (value >= 0x80) {
      bytes[n++] = static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    bytes[n++] = static_cast<char>(value);
    out_.append(bytes, n);
  }
  // INT64_MIN (kAbsent) is 0; everything else zigzag + 1.
  void signed_varint(std::int64_t value) {
    if (value == std::numeric_limits<std::int64_t>::min()) {
      varint(0);
      return;
    }
    varint(((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63)) + 1);
  }
  void fixed64(std::uint64_t value) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    out_.append(bytes, 8);
  }
  void bytes(std::string_view text) {
    varint(text.size());
    out_.append(text);
  }
  void raw(std::string_view bytes) { out_.append(bytes); }

  template <typename... Ts>
  void operator()(const Ts&... values) {
    (put(*this, values), ...);
  }

  std::size_t size() const { return out_.size(); }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in, std::size_t base_offset = 0) : in_(in), base_(base_offset) {}

  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) fail("truncated");
      const auto byte = static_cast<std::uint8_t>(in_[pos_++]);
      if (shift == 63 && byte > 1) fail("a number over 64 bits");
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    fail("a number over 64 bits");
  }
  std::int64_t signed_varint() {
    const std::uint64_t encoded = varint();
    if (encoded == 0) return std::numeric_limits<std::int64_t>::min();
    const std::uint64_t zigzag = encoded - 1;
    return static_cast<std::int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
  }
  std::uint64_t fixed64() {
    if (in_.size() - pos_ < 8) fail("truncated");
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_++])) << (8 * i);
    return value;
  }
  std::string_view bytes() { return raw(count()); }
  std::string_view raw(std::size_t n) {
    if (in_.size() - pos_ < n) fail("truncated");
    const std::string_view out = in_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  // A count of elements that take at least one byte each: never more than the bytes left.
  std::size_t count() {
    const std::uint64_t n = varint();
    if (n > in_.size() - pos_) fail("truncated or corrupt: a count larger than the bytes left");
    return static_cast<std::size_t>(n);
  }

  // Symbols read after this must be below `n` (the restored interner's size).
  void set_symbol_limit(std::size_t n) { symbol_limit_ = n; }
  Symbol symbol() {
    const std::uint64_t value = varint();
    if (value >= symbol_limit_) fail("a symbol the interner does not have");
    return static_cast<Symbol>(value);
  }

  // Names the part being read, for error messages.
  void section(std::string_view name) { section_ = name; }

  [[noreturn]] void fail(std::string_view what) const {
    throw Error("snapshot: " + std::string(section_) + ": " + std::string(what) + " (at byte " +
                std::to_string(base_ + pos_) + ")");
  }
  void check(bool condition, std::string_view what) const {
    if (!condition) fail(what);
  }

  bool at_end() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }

  template <typename... Ts>
  void operator()(Ts&&... values) {
    (get(*this, std::forward<Ts>(values)), ...);
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::size_t base_ = 0;
  std::size_t symbol_limit_ = 1;
  std::string_view section_ = "header";
};

// ---- primitives -----------------------------------------------------------------------------

inline void put(Writer& w, bool value) { w.varint(value ? 1 : 0); }
inline void get(Reader& r, bool& value) {
  const std::uint64_t v = r.varint();
  r.check(v <= 1, "a flag that is neither 0 nor 1");
  value = v == 1;
}

template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>)
void put(Writer& w, T value) {
  w.varint(value);
}
template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>)
void get(Reader& r, T& value) {
  const std::uint64_t v = r.varint();
  r.check(v <= std::numeric_limits<T>::max(), "a number out of range");
  value = static_cast<T>(v);
}

template <std::signed_integral T>
void put(Writer& w, T value) {
  w.signed_varint(value);
}
template <std::signed_integral T>
void get(Reader& r, T& value) {
  const std::int64_t v = r.signed_varint();
  r.check(v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max(), "a number out of range");
  value = static_cast<T>(v);
}

inline void put(Writer& w, double value) { w.fixed64(std::bit_cast<std::uint64_t>(value)); }
inline void get(Reader& r, double& value) { value = std::bit_cast<double>(r.fixed64()); }

template <typename E>
  requires std::is_enum_v<E>
void put(Writer& w, E value) {
  w.varint(static_cast<std::uint64_t>(static_cast<std::underlying_type_t<E>>(value)));
}
template <typename E>
  requires std::is_enum_v<E>
void get(Reader& r, E& value) {
  const std::uint64_t v = r.varint();
  r.check(v <= static_cast<std::uint64_t>(EnumMax<E>::value), "an unknown enum value");
  value = static_cast<E>(v);
}

inline void put(Writer& w, const std::string& text) { w.bytes(text); }
inline void get(Reader& r, std::string& text) { text.assign(r.bytes()); }

// ---- symbols ----------------------------------------------------------------------------------

template <typename S>
struct SymbolField {
  S& value;
};
template <typename S>
  requires std::same_as<std::remove_const_t<S>, Symbol>
SymbolField<S> sym(S& value) {
  return {value};
}
inline void put(Writer& w, const SymbolField<const Symbol>& field) { w.varint(field.value); }
inline void get(Reader& r, SymbolField<Symbol> field) { field.value = r.symbol(); }

// A container whose elements are written by `each(ar, element)`: for elements that hold
// symbols or need checks of their own.
template <typename C, typename F>
struct EachField {
  C& container;
  F each;
};
template <typename C, typename F>
EachField<C, F> each(C& container, F each_element) {
  return {container, each_element};
}
template <typename C, typename F>
void put(Writer& w, const EachField<C, F>& field) {
  w.varint(field.container.size());
  for (const auto& element : field.container) field.each(w, element);
}
// Containers grow as their elements are read, so a count that lies runs out of bytes before
// it can ask for much memory.
template <typename C, typename F>
void get(Reader& r, EachField<C, F> field) {
  const std::size_t n = r.count();
  field.container.clear();
  for (std::size_t i = 0; i < n; ++i) field.each(r, field.container.emplace_back());
}

template <typename C>
auto syms(C& container) {
  return each(container, [](auto& ar, auto& symbol) { ar(sym(symbol)); });
}

// ---- containers -------------------------------------------------------------------------------

template <typename A, typename B>
void put(Writer& w, const std::pair<A, B>& pair) {
  w(pair.first, pair.second);
}
template <typename A, typename B>
void get(Reader& r, std::pair<A, B>& pair) {
  r(pair.first, pair.second);
}

template <typename T, std::size_t N>
void put(Writer& w, const std::array<T, N>& array) {
  for (const T& element : array) w(element);
}
template <typename T, std::size_t N>
void get(Reader& r, std::array<T, N>& array) {
  for (T& element : array) r(element);
}

template <typename T>
void put(Writer& w, const std::vector<T>& vector) {
  w.varint(vector.size());
  for (const T& element : vector) w(element);
}
template <typename T>
void get(Reader& r, std::vector<T>& vector) {
  vector.clear();
  const std::size_t n = r.count();
  for (std::size_t i = 0; i < n; ++i) r(vector.emplace_back());
}

template <typename T>
void put(Writer& w, const std::deque<T>& deque) {
  w.varint(deque.size());
  for (const T& element : deque) w(element);
}
template <typename T>
void get(Reader& r, std::deque<T>& deque) {
  deque.clear();
  const std::size_t n = r.count();
  for (std::size_t i = 0; i < n; ++i) r(deque.emplace_back());
}

template <typename T>
void put(Writer& w, const std::optional<T>& optional) {
  w(optional.has_value());
  if (optional) w(*optional);
}
template <typename T>
void get(Reader& r, std::optional<T>& optional) {
  bool present = false;
  r(present);
  optional.reset();
  if (present) r(optional.emplace());
}

template <typename K, typename V, typename C>
void put(Writer& w, const std::map<K, V, C>& map) {
  w.varint(map.size());
  for (const auto& entry : map) w(entry.first, entry.second);
}
template <typename K, typename V, typename C>
void get(Reader& r, std::map<K, V, C>& map) {
  map.clear();
  const std::size_t n = r.count();
  for (std::size_t i = 0; i < n; ++i) {
    K key{};
    r(key);
    r.check(map.empty() || map.key_comp()(std::prev(map.end())->first, key), "map keys out of order");
    r(map.emplace_hint(map.end(), std::move(key), V{})->second);
  }
}

template <typename K, typename C>
void put(Writer& w, const std::set<K, C>& set) {
  w.varint(set.size());
  for (const K& key : set) w(key);
}
template <typename K, typename C>
void get(Reader& r, std::set<K, C>& set) {
  set.clear();
  const std::size_t n = r.count();
  for (std::size_t i = 0; i < n; ++i) {
    K key{};
    r(key);
    r.check(set.empty() || set.key_comp()(*std::prev(set.end()), key), "set keys out of order");
    set.emplace_hint(set.end(), std::move(key));
  }
}

// ---- described structs ------------------------------------------------------------------------

// A struct is written field by field through `describe(ar, value)`, found by argument-dependent
// lookup in og::serial (declare it there), for both directions.
template <typename T>
concept Described = requires(Writer& w, const T& value) { describe(w, value); };

template <Described T>
void put(Writer& w, const T& value) {
  describe(w, value);
}
template <Described T>
void get(Reader& r, T& value) {
  describe(r, value);
}

// `ar` as a Writer (true) or a Reader (false), for descriptions that differ by direction.
template <typename Ar>
inline constexpr bool kWriting = std::same_as<Ar, Writer>;

}  // namespace og::serial
