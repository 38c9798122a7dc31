// The answer's JSON (validate.h has its shape). Keys in a fixed order: the same validation
// always gives the same bytes.
#include "core/json_writer.h"
#include "validate/validate.h"

namespace og {

std::string validation_json(const Validation& validation) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.field("ok", validation.ok());
  json.key("checked_at").time_utc(validation.checked_at);
  json.field("blocking", static_cast<std::int64_t>(validation.count(FindingSeverity::kBlock)));
  json.field("warnings", static_cast<std::int64_t>(validation.count(FindingSeverity::kWarn)));
  json.key("findings").begin_array();
  for (const Finding& finding : validation.findings) {
    json.begin_object();
    json.field("code", finding.code);
    json.field("severity", finding_severity_name(finding.severity));
    json.field("field", finding.field);
    json.field("message", finding.message);
    if (!finding.incident.empty()) json.field("incident", finding.incident);
    if (finding.expected != kAbsent) json.field("expected", finding.expected);
    if (finding.actual != kAbsent) json.field("actual", finding.actual);
    if (!finding.orders.empty()) {
      json.key("orders").begin_array();
      for (const std::string& order : finding.orders) json.string(order);
      json.end_array();
    }
    json.end_object();
  }
  json.end_array();
  json.key("not_checked").begin_array();
  for (const NotChecked& skipped : validation.not_checked) {
    json.begin_object();
    json.field("code", skipped.code);
    json.field("field", skipped.field);
    json.field("reason", skipped.reason);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  return out;
}

std::string draft_error_json(std::string_view message) {
  std::string out;
  JsonWriter(out).begin_object().field("error", message).end_object();
  return out;
}

}  // namespace og
