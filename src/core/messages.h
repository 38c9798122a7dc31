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

}  // namespace og
