// Tests for core/messages: what a message may echo of outside input.
#include "core/messages.h"

#include <gtest/gtest.h>

#include <string>

namespace og {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(ValidUtf8, WellFormedTextIsKeptAsItIs) {
  for (const std::string text : {"", "order A/B", "清河小区", "\xF0\x9F\x9B\xB5 scooter", "\x7F\xC2\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(valid_utf8(text), text);
  }
}

TEST(ValidUtf8, EachByteOutsideAWellFormedSequenceBecomesOneReplacement) {
  EXPECT_EQ(valid_utf8("a\xFF\xFE" "b"), "a" + kReplacement + kReplacement + "b");  // never in UTF-8
  EXPECT_EQ(valid_utf8("\xC0\xAF"), kReplacement + kReplacement);                      // overlong '/'
  EXPECT_EQ(valid_utf8("\xE0\x80\xAF"), kReplacement + kReplacement + kReplacement);   // overlong, 3 bytes
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);   // a surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), std::string(kReplacement) + kReplacement + kReplacement + kReplacement);  // past U+10FFFF
  EXPECT_EQ(valid_utf8("\xE6\xB8" "x"), kReplacement + kReplacement + "x");             // cut short
  EXPECT_EQ(valid_utf8("\xE6\xB8"), kReplacement + kReplacement);                       // cut at the end
  EXPECT_EQ(valid_utf8("\x80"), kReplacement);                                          // a lone continuation byte
}

}  // namespace
}  // namespace og
