#include "handling/command.h"

#include "core/json_writer.h"

namespace og {

std::string command_json(const Command& command) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.field("id", command.id);
  json.field("command", command.name);
  json.field("incident_id", command.incident_id);
  if (!command.order_id.empty()) json.field("order_id", command.order_id);
  json.key("at").time_utc(command.at);
  const auto text = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) json.field(name, value);
  };
  const auto number = [&](std::string_view name, std::int64_t value) {
    if (value != kNoAmount) json.field(name, value);
  };
  const auto list = [&](std::string_view name, const std::vector<std::string>& values) {
    if (values.empty()) return;
    json.key(name).begin_array();
    for (const auto& value : values) json.string(value);
    json.end_array();
  };
  number("amount", command.amount);
  text("sku", command.sku);
  number("qty", command.qty);
  text("substitute_sku", command.substitute_sku);
  number("unit_price", command.unit_price);
  list("substitute_skus", command.substitute_skus);
  text("rider_id", command.rider_id);
  text("user_id", command.user_id);
  text("zone", command.zone);
  text("pickup_point_id", command.pickup_point_id);
  text("reference", command.reference);
  text("to", command.to);
  text("channel", command.channel);
  text("template", command.template_name);
  text("text", command.text);
  text("text_en", command.text_en);
  text("reason", command.reason);
  list("linked", command.linked);
  json.end_object();
  return out;
}

}  // namespace og
