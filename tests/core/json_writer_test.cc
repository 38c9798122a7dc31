// Tests for core/json_writer: string escaping, separators at every nesting level, times.
#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace og {
namespace {

std::string escaped(std::string_view value) {
  std::string out;
  append_json_string(out, value);
  return out;
}

TEST(AppendJsonString, PlainTextIsQuoted) {
  EXPECT_EQ(escaped(""), R"("")");
  EXPECT_EQ(escaped("abc"), R"("abc")");
  EXPECT_EQ(escaped("a/b"), R"("a/b")");  // '/' needs no escape
}

TEST(AppendJsonString, QuotesAndBackslash) {
  EXPECT_EQ(escaped(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(escaped(R"(C:\dir\)"), R"("C:\\dir\\")");
  EXPECT_EQ(escaped(R"(\")"), R"("\\\"")");
}

TEST(AppendJsonString, ControlCharacters) {
  EXPECT_EQ(escaped("a\nb"), R"("a\nb")");
  EXPECT_EQ(escaped("a\rb"), R"("a\rb")");
  EXPECT_EQ(escaped("a\tb"), R"("a\tb")");
  EXPECT_EQ(escaped("a\bb"), R"("a\bb")");
  EXPECT_EQ(escaped("a\fb"), R"("a\fb")");
  EXPECT_EQ(escaped("\x01"), R"("\u0001")");
  EXPECT_EQ(escaped("\x1f"), R"("\u001f")");
  EXPECT_EQ(escaped("\x0b"), R"("\u000b")");
  EXPECT_EQ(escaped(std::string_view("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(escaped("\x7f"), "\"\x7f\"");  // DEL is not a JSON control character
  EXPECT_EQ(escaped(" "), R"(" ")");
}

TEST(AppendJsonString, EveryControlByteIsEscaped) {
  for (int byte = 0; byte < 0x20; ++byte) {
    const std::string out = escaped(std::string(1, static_cast<char>(byte)));
    ASSERT_GE(out.size(), 4u);
    EXPECT_EQ(out[1], '\\') << byte;
    for (const char c : out) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << byte;
  }
}

TEST(AppendJsonString, Utf8PassesThroughUnchanged) {
  EXPECT_EQ(escaped("清河小区3号楼2单元501"), "\"清河小区3号楼2单元501\"");
  EXPECT_EQ(escaped("配送太慢"), "\"配送太慢\"");
  EXPECT_EQ(escaped("西红柿 500g \"特价\""), "\"西红柿 500g \\\"特价\\\"\"");
  EXPECT_EQ(escaped("emoji 🍅"), "\"emoji 🍅\"");
}

TEST(AppendJsonString, ASpecialByteAnywhereInALongStringIsEscaped) {
  // Plain bytes are skipped sixteen at a time: each special byte at each place in strings of
  // every length around a step or two, beside plain bytes at the edges of the ranges
  // (0x20, 0x7f, 0x80, 0xff), gives what one byte at a time gives.
  const auto by_byte = [](std::string_view value) {
    std::string out = "\"";
    for (const char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (byte < 0x20) {
        static constexpr std::string_view kShort[] = {"\\b", "\\t", "\\n", "", "\\f", "\\r"};
        if (byte >= 8 && byte <= 13 && !kShort[byte - 8].empty()) {
          out += kShort[byte - 8];
        } else {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        }
      } else {
        out += c;
      }
    }
    return out + "\"";
  };
  const std::string plain_bytes = "a \x7f\x80\xffZ09~";
  for (std::size_t length = 1; length <= 40; ++length) {
    std::string base(length, 'x');
    for (std::size_t i = 0; i < length; ++i) base[i] = plain_bytes[i % plain_bytes.size()];
    EXPECT_EQ(escaped(base), by_byte(base)) << length;
    for (std::size_t at = 0; at < length; ++at) {
      for (const char special : {'"', '\\', '\x01', '\x1f', '\n', '\0'}) {
        std::string value = base;
        value[at] = special;
        ASSERT_EQ(escaped(value), by_byte(value)) << "length " << length << ", at " << at << ", byte " << int{special};
      }
    }
  }
}

TEST(AppendJsonString, Appends) {
  std::string out = "x=";
  append_json_string(out, "y");
  EXPECT_EQ(out, R"(x="y")");
}

TEST(JsonWriter, EmptyContainers) {
  std::string out;
  JsonWriter(out).begin_object().end_object();
  EXPECT_EQ(out, "{}");
  out.clear();
  JsonWriter(out).begin_array().end_array();
  EXPECT_EQ(out, "[]");
}

TEST(JsonWriter, FlatObjectKeepsKeyOrder) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("z", "last")
      .field("a", std::int64_t{-42})
      .field("n", 7)
      .field("ok", true)
      .field("s", std::string_view("sv"))
      .key("nothing")
      .null()
      .end_object();
  EXPECT_EQ(out, R"({"z":"last","a":-42,"n":7,"ok":true,"s":"sv","nothing":null})");
}

TEST(JsonWriter, ArraysOfScalars) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().integer(1).integer(2).string("three").boolean(false).null().end_array();
  EXPECT_EQ(out, R"([1,2,"three",false,null])");
}

TEST(JsonWriter, NestingCommas) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("a").begin_array().end_array();
  w.key("b").begin_object().end_object();
  w.key("c").begin_array();
  w.begin_object().field("x", 1).field("y", 2).end_object();
  w.begin_object().end_object();
  w.begin_array().integer(1).begin_array().end_array().integer(2).end_array();
  w.end_array();
  w.key("d").begin_object().key("e").begin_object().field("f", "g").end_object().field("h", 3).end_object();
  w.field("i", false);
  w.end_object();
  EXPECT_EQ(out, R"({"a":[],"b":{},"c":[{"x":1,"y":2},{},[1,[],2]],"d":{"e":{"f":"g"},"h":3},"i":false})");
}

TEST(JsonWriter, KeysAndStringsAreEscaped) {
  std::string out;
  JsonWriter(out).begin_object().field("quo\"te", "line\nbreak\\").field("区域", "海淀").end_object();
  EXPECT_EQ(out, "{\"quo\\\"te\":\"line\\nbreak\\\\\",\"区域\":\"海淀\"}");
}

TEST(JsonWriter, Integers) {
  std::string out;
  JsonWriter(out)
      .begin_array()
      .integer(0)
      .integer(std::numeric_limits<std::int64_t>::min())
      .integer(std::numeric_limits<std::int64_t>::max())
      .end_array();
  EXPECT_EQ(out, "[0,-9223372036854775808,9223372036854775807]");
}

TEST(JsonWriter, NumbersUseShortestRoundTripAndNullForNonFinite) {
  std::string out;
  JsonWriter(out)
      .begin_array()
      .number(1.5)
      .number(0.1)
      .number(40.03)
      .number(-116.33)
      .number(3.0)
      .number(std::numeric_limits<double>::quiet_NaN())
      .number(std::numeric_limits<double>::infinity())
      .number(-std::numeric_limits<double>::infinity())
      .end_array();
  EXPECT_EQ(out, "[1.5,0.1,40.03,-116.33,3,null,null,null]");
}

TEST(JsonWriter, TimeUtc) {
  std::string out;
  JsonWriter(out)
      .begin_object()
      .key("at")
      .time_utc(1795226400123)
      .key("epoch")
      .time_utc(0)
      .key("before")
      .time_utc(-1)
      .end_object();
  EXPECT_EQ(out,
            R"({"at":"2026-11-21T02:00:00.123Z","epoch":"1970-01-01T00:00:00.000Z","before":"1969-12-31T23:59:59.999Z"})");
}

TEST(JsonWriter, TimeUtcInArray) {
  std::string out;
  JsonWriter(out).begin_array().time_utc(946684800000).time_utc(4102444800000).end_array();
  EXPECT_EQ(out, R"(["2000-01-01T00:00:00.000Z","2100-01-01T00:00:00.000Z"])");
}

TEST(JsonWriter, RawIsInsertedAsOneValue) {
  std::string out;
  JsonWriter(out).begin_object().field("a", 1).key("raw").raw(R"({"x":[1,2]})").field("b", 2).end_object();
  EXPECT_EQ(out, R"({"a":1,"raw":{"x":[1,2]},"b":2})");
  out.clear();
  JsonWriter(out).begin_array().raw("1").raw("true").end_array();
  EXPECT_EQ(out, "[1,true]");
}

TEST(JsonWriter, AppendsToExistingText) {
  std::string out = "prefix ";
  JsonWriter(out).begin_object().field("k", "v").end_object();
  EXPECT_EQ(out, R"(prefix {"k":"v"})");
}

TEST(JsonWriter, IdenticalInputsGiveIdenticalBytes) {
  const auto write = [] {
    std::string out;
    JsonWriter w(out);
    w.begin_object().field("id", "e1").key("n").number(0.30000000000000004).key("t").time_utc(12345).end_object();
    return out;
  };
  EXPECT_EQ(write(), write());
  EXPECT_EQ(write(), R"({"id":"e1","n":0.30000000000000004,"t":"1970-01-01T00:00:12.345Z"})");
}

}  // namespace
}  // namespace og
