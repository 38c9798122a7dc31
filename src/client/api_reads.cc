#include "client/api_reads.h"

#include <simdjson.h>

namespace og::client {

namespace {

std::optional<double> optional_number(simdjson::dom::element object, std::string_view key) {
  double value = 0;
  if (object[key].get_double().get(value)) return std::nullopt;  // null or absent
  return value;
}

}  // namespace

tl::expected<MeasuresSummary, std::string> summary_from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root, overall, sla, loss;
  if (parser.parse(json.data(), json.size()).get(root) || root["overall"].get(overall)) {
    return tl::unexpected(std::string("the measures are not the JSON of GET /v1/kpis"));
  }
  MeasuresSummary summary;
  std::int64_t incidents = 0;
  if (!overall["incidents"].get_int64().get(incidents)) summary.incidents = static_cast<std::uint64_t>(incidents);
  summary.auto_handling_rate = optional_number(overall, "auto_handling_rate");
  summary.manual_rate = optional_number(overall, "manual_intervention_rate");
  summary.mean_handling_ms = optional_number(overall, "mean_handling_ms");
  summary.p90_handling_ms = optional_number(overall, "p90_handling_ms");
  summary.precision = optional_number(overall, "precision");
  if (!overall["sla_attainment"].get(sla)) {
    for (std::size_t s = 0; s < kSeverityCount; ++s) summary.sla_attainment[s] = optional_number(sla, severity_name(static_cast<Severity>(s)));
  }
  if (!root["loss"].get(loss)) summary.loss_rate = optional_number(loss, "rate");
  return summary;
}

tl::expected<std::vector<std::string>, std::string> fetch_incidents(HttpClient& client) {
  std::vector<std::string> out;
  std::string cursor;
  simdjson::ondemand::parser parser;
  for (;;) {
    const std::string target = "/v1/incidents?limit=500" + (cursor.empty() ? std::string() : "&cursor=" + cursor);
    const HttpAnswer answer = client.get(target);
    if (!answer.ok()) return tl::unexpected("GET " + target + ": " + (answer.error.empty() ? std::to_string(answer.status) + " " + answer.body : answer.error));
    simdjson::padded_string body(answer.body);
    simdjson::ondemand::document page;
    if (parser.iterate(body).get(page)) return tl::unexpected("GET " + target + ": not JSON");
    simdjson::ondemand::array items;
    if (page["items"].get_array().get(items)) return tl::unexpected("GET " + target + ": no items");
    for (auto element : items) {
      simdjson::ondemand::object item;
      std::string_view raw;
      if (element.get_object().get(item) || item.raw_json().get(raw)) return tl::unexpected("GET " + target + ": a bad item");
      out.emplace_back(raw);
    }
    simdjson::ondemand::value next;
    if (page["next_cursor"].get(next)) return out;
    std::string_view next_cursor;
    if (next.get_string().get(next_cursor)) return out;  // null: the last page
    cursor = std::string(next_cursor);
  }
}

}  // namespace og::client
