#include "server/customer_data.h"

#include <simdjson.h>

#include "core/json_writer.h"

namespace og::server {

std::string address_subject(std::string_view order_id) { return "order:" + std::string(order_id); }
std::string phone_subject(std::string_view user_id) { return "user:" + std::string(user_id); }

struct CustomerExtractor::Impl {
  simdjson::dom::parser parser;
};

CustomerExtractor::CustomerExtractor() : impl_(std::make_unique<Impl>()) {}
CustomerExtractor::~CustomerExtractor() = default;

bool CustomerExtractor::carries(EventType type) {
  return type == EventType::kOrderCreated || type == EventType::kOrderAddressChanged || type == EventType::kUserProfile;
}

std::optional<std::string> CustomerExtractor::read(EventType type, std::string_view line) {
  if (!carries(type)) return std::nullopt;
  // Only lines the event parser accepted come here: a shape it refused is not read again.
  simdjson::dom::element root;
  if (impl_->parser.parse(line.data(), line.size()).get(root)) return std::nullopt;
  std::string out;
  JsonWriter json(out);
  if (type == EventType::kUserProfile) {
    std::string_view phone;
    if (root["phone"].get_string().get(phone) || phone.empty()) return std::nullopt;
    json.begin_object().field("phone", phone).end_object();
    return out;
  }
  simdjson::dom::object address;
  if (root["address"].get_object().get(address)) return std::nullopt;
  json.begin_object();
  bool any = false;
  for (const char* name : {"text", "building", "unit", "room"}) {
    std::string_view value;
    if (address[name].get_string().get(value) || value.empty()) continue;
    json.field(name, value);
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
