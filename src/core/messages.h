// core/messages: the pieces of error messages about outside input, shared by every reader
// (events, truth files, configuration): "<field>: <what is wrong>", and input text quoted
// safely. Depends on: core/json_writer.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "core/json_writer.h"

namespace og {

// "<field>: <what is wrong>", as an error value.
inline tl::unexpected<std::string> field_error(std::string_view field, std::string_view what) {
  std::string message;
  message.reserve(field.size() + what.size() + 2);
  message.append(field).append(": ").append(what);
  return tl::unexpected(std::move(message));
}

// Input text echoed in a message: at most 64 bytes (cut on a UTF-8 boundary), quoted, with
// control characters escaped, so that one bad line cannot flood or break a log line.
inline std::string quote_input(std::string_view text) {
  std::size_t size = std::min<std::size_t>(text.size(), 64);
  while (size > 0 && size < text.size() && (static_cast<unsigned char>(text[size]) & 0xc0) == 0x80) --size;
  std::string escaped;
  append_json_string(escaped, text.substr(0, size));
  std::string out = "'" + escaped.substr(1, escaped.size() - 2);
  out += size < text.size() ? "...'" : "'";
  return out;
}

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD:
// for messages that echo raw request bytes (a percent-decoded path), so that the JSON answer
// stays valid UTF-8 (RFC 8259 §8.1).
inline std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](std::size_t at) { return at < text.size() ? static_cast<unsigned char>(text[at]) : 0u; };
    const unsigned lead = byte(i);
    std::size_t length = 0;
    unsigned low = 0x80, high = 0xbf;  // the range of the second byte (overlongs and surrogates excluded)
    if (lead < 0x80) length = 1;
    else if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) length = 3, low = lead == 0xe0 ? 0xa0 : 0x80, high = lead == 0xed ? 0x9f : 0xbf;
    else if (lead >= 0xf0 && lead <= 0xf4) length = 4, low = lead == 0xf0 ? 0x90 : 0x80, high = lead == 0xf4 ? 0x8f : 0xbf;
    bool good = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; good && k < length; ++k) {
      const unsigned c = byte(i + k);
      good = k == 1 ? c >= low && c <= high : c >= 0x80 && c <= 0xbf;
    }
    if (good) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

}  // namespace og
