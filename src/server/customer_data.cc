#include "server/customer_data.h"

#include <simdjson.h>
#include <string.h>  // memmem (GNU)

#include "core/json_writer.h"

namespace og::server {

std::string address_subject(std::string_view order_id) { return "order:" + std::string(order_id); }
std::string phone_subject(std::string_view user_id) { return "user:" + std::string(user_id); }

struct CustomerExtractor::Impl {
  // On-Demand, not DOM: an order line's items (most of its bytes) are skipped, never built
  // into a tree. The line is copied into a buffer of our own with simdjson's padding, reused.
  simdjson::ondemand::parser parser;
  std::string padded;
};

CustomerExtractor::CustomerExtractor() : impl_(std::make_unique<Impl>()) {}
CustomerExtractor::~CustomerExtractor() = default;

bool CustomerExtractor::carries(EventType type) {
  return type == EventType::kOrderCreated || type == EventType::kOrderAddressChanged || type == EventType::kUserProfile;
}

std::optional<std::string> CustomerExtractor::read(EventType type, std::string_view line) {
  if (!carries(type)) return std::nullopt;
  // Most user.profile lines carry no phone. simdjson matches a key by its bytes as written (no
  // unescaping), so a line without `"phone"` anywhere has no such field: not parsed at all.
  // (Order lines nearly always have their address: looking first would only add to them.)
  // (memmem: string_view::find stops at every quote, 4x slower on these lines.)
  constexpr std::string_view kPhoneKey = "\"phone\"";
  if (type == EventType::kUserProfile && memmem(line.data(), line.size(), kPhoneKey.data(), kPhoneKey.size()) == nullptr) {
    return std::nullopt;
  }
  // Only lines the event parser accepted come here: a shape it refused is not read again.
  std::string& padded = impl_->padded;
  padded.reserve(line.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(line);
  simdjson::ondemand::document document;
  if (impl_->parser.iterate(simdjson::padded_string_view(padded.data(), padded.size(), padded.capacity())).get(document)) {
    return std::nullopt;
  }
  std::string out;
  JsonWriter json(out);
  if (type == EventType::kUserProfile) {
    std::string_view phone;
    if (document["phone"].get_string().get(phone) || phone.empty()) return std::nullopt;
    json.begin_object().field("phone", phone).end_object();
    return out;
  }
  simdjson::ondemand::object address;
  if (document["address"].get_object().get(address)) return std::nullopt;
  // The fields in the vault's order, whatever their order on the line.
  // A repeated key counts once, its first time (as a lookup by name would find it).
  std::string_view values[4];
  std::string numbers[4];  // a numbered building, unit or room (decisions #23), as its text
  bool seen[4] = {};
  static constexpr std::string_view kNames[4] = {"text", "building", "unit", "room"};
  for (auto field : address) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    for (std::size_t i = 0; i < 4; ++i) {
      if (key != kNames[i] || seen[i]) continue;
      seen[i] = true;
      std::string_view value;
      std::int64_t number = 0;
      if (!field.value().get_string().get(value)) {
        values[i] = value;
      } else if (i > 0 && !field.value().get_int64().get(number)) {
        numbers[i] = std::to_string(number);
        values[i] = numbers[i];
      }
    }
  }
  json.begin_object();
  bool any = false;
  for (std::size_t i = 0; i < 4; ++i) {
    if (values[i].empty()) continue;
    json.field(kNames[i], values[i]);
    any = true;
  }
  json.end_object();
  if (!any) return std::nullopt;
  return out;
}

std::optional<CustomerFields> parse_customer_json(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(text.data(), text.size()).get_object().get(object)) return std::nullopt;
  CustomerFields fields;
  for (const auto member : object) {
    std::string_view value;
    if (member.value.get_string().get(value)) continue;
    if (member.key == "phone") fields.phone = value;
    else if (member.key == "text") fields.text = value;
    else if (member.key == "building") fields.building = value;
    else if (member.key == "unit") fields.unit = value;
    else if (member.key == "room") fields.room = value;
  }
  return fields;
}

std::string mask_phone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  if (digits.size() == 13 && digits.starts_with("86")) digits.erase(0, 2);
  if (digits.size() == 15 && digits.starts_with("0086")) digits.erase(0, 4);
  if (digits.size() >= 11) return digits.substr(0, 3) + "****" + digits.substr(digits.size() - 4);
  if (digits.size() >= 6) return "****" + digits.substr(digits.size() - 2);
  return "****";
}

std::string mask_address(std::string_view community) {
  if (community.empty()) return "****";
  return std::string(community) + " ****";
}

}  // namespace og::server
