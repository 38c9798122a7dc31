#include "server/event_body.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <simdjson.h>

namespace og::server {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool join_one_event(std::string& body) {
  // Every line of a batch is a whole object, so its first ends with '}': one test, and a batch
  // (any size) goes on without a parse here on the I/O thread.
  const std::string_view text = body;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return false;
  const std::size_t first_end = text.find('\n', first);
  if (first_end == std::string_view::npos) return false;  // one line already
  std::string_view first_line = text.substr(first, first_end - first);
  while (!first_line.empty() && is_space(first_line.back())) first_line.remove_suffix(1);
  if (first_line.ends_with('}')) return false;
  // JSON's whitespace includes line breaks: the body as it is must be one object.
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS || !root.is_object()) return false;
  std::replace_if(body.begin(), body.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  body.push_back('\n');
  return true;
}

std::size_t ndjson_lines(const std::string& body) {
  std::size_t lines = 0;  // memchr, not a loop over bytes: this runs on the I/O thread for every byte received
  const char* const end = body.data() + body.size();
  for (const char* at = body.data(); (at = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)))) != nullptr; ++at) {
    ++lines;
  }
  return lines + (!body.empty() && body.back() != '\n' ? 1 : 0);
}

}  // namespace og::server
