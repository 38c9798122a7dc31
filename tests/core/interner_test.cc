#include "core/interner.h"
#include "core/same_bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace og {
namespace {

// The hit comparison reads short strings as overlapping words: a difference at any byte, of
// any length up to past the word paths, must be seen.
TEST(Interner, SameBytesSeesEveryByte) {
  for (std::size_t size = 1; size <= 40; ++size) {
    std::string a(size, 'a');
    for (std::size_t i = 0; i < size; ++i) a[i] = static_cast<char>('a' + i % 26);
    const std::string same = a;
    EXPECT_TRUE(same_bytes(a.data(), same.data(), size)) << size;
    for (std::size_t at = 0; at < size; ++at) {
      std::string other = a;
      other[at] = '#';
      EXPECT_FALSE(same_bytes(a.data(), other.data(), size)) << size << " at " << at;
    }
  }
}

TEST(Interner, SymbolsAreDenseStableAndRoundTrip) {
  Interner interner;
  EXPECT_EQ(interner.intern(""), kNoSymbol);
  const Symbol o1 = interner.intern("O1");
  EXPECT_EQ(o1, 1u);
  EXPECT_EQ(interner.intern("O2"), 2u);
  EXPECT_EQ(interner.intern("O1"), o1);
  EXPECT_EQ(interner.find("O1"), o1);
  EXPECT_EQ(interner.find("O3"), kNoSymbol);
  EXPECT_EQ(interner.view(o1), "O1");
}

// intern() compares up to 32 bytes inline and longer strings out of line: strings of every
// length across that line, differing only in one byte, and interned again after the table
// has grown, keep one symbol each.
TEST(Interner, StringsOfEveryLengthKeepTheirSymbols) {
  Interner interner;
  std::vector<std::string> texts;
  for (std::size_t size = 1; size <= 80; ++size) {
    for (std::size_t at = 0; at < size; at += 7) {
      std::string text(size, 'x');
      text[at] = 'y';
      texts.push_back(text);
    }
  }
  std::vector<Symbol> symbols;
  for (const std::string& text : texts) symbols.push_back(interner.intern(text));
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(symbols[i], i + 1) << texts[i];
  for (std::size_t i = 0; i < 5000; ++i) interner.intern("filler-" + std::to_string(i));  // grows the table
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(interner.intern(texts[i]), symbols[i]) << texts[i];
    EXPECT_EQ(interner.view(symbols[i]), texts[i]);
  }
}

// Strings whose 32-bit slot hashes collide must still get their own symbols: the stored bytes
// decide. Among 300,000 strings of one length a few such pairs occur (birthday bound); the
// hash is stable, so which ones is fixed and the test checks that it met some.
TEST(Interner, HashCollisionsOfEqualLengthStayDistinct) {
  std::size_t collisions = 0;
  for (const std::size_t size : {6u, 12u, 24u}) {
    Interner interner;
    std::unordered_map<std::uint32_t, std::string> by_hash;
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < 300000; ++i) {
      std::string text = std::to_string(i);
      text.insert(0, size - text.size(), 'k');
      const auto hash = static_cast<std::uint32_t>(hash64(text));
      if (const auto [it, inserted] = by_hash.emplace(hash, text); !inserted) ++collisions;
      texts.push_back(std::move(text));
    }
    for (std::size_t i = 0; i < texts.size(); ++i) ASSERT_EQ(interner.intern(texts[i]), i + 1) << texts[i];
    for (std::size_t i = 0; i < texts.size(); ++i) {
      ASSERT_EQ(interner.find(texts[i]), i + 1) << texts[i];
      ASSERT_EQ(interner.view(static_cast<Symbol>(i + 1)), texts[i]);
    }
  }
  EXPECT_GT(collisions, 0u);
}

}  // namespace
}  // namespace og
