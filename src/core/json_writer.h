// core/json_writer: appends compact JSON to a string, with keys in the order written, so that
// outputs are byte-identical for identical inputs. No allocation beyond the target string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace og {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& string(std::string_view value);
  JsonWriter& integer(std::int64_t value);
  JsonWriter& number(double value);  // shortest round-trip form; NaN and infinities as null
  JsonWriter& boolean(bool value);
  JsonWriter& null();
  JsonWriter& time_utc(std::int64_t time_ms);  // "YYYY-MM-DDTHH:MM:SS.mmmZ"
  JsonWriter& raw(std::string_view json);       // an already-encoded JSON value

  // Shorthands for key + value.
  JsonWriter& field(std::string_view name, std::string_view value) { return key(name).string(value); }
  JsonWriter& field(std::string_view name, const char* value) { return key(name).string(value); }
  JsonWriter& field(std::string_view name, std::int64_t value) { return key(name).integer(value); }
  JsonWriter& field(std::string_view name, int value) { return key(name).integer(value); }
  JsonWriter& field(std::string_view name, bool value) { return key(name).boolean(value); }

 private:
  void separate();
  std::string& out_;
  bool first_ = true;  // nothing written yet at the current nesting level
  bool after_key_ = false;
};

// Appends `value` as a JSON string literal (quotes included), escaping per RFC 8259.
void append_json_string(std::string& out, std::string_view value);

}  // namespace og
