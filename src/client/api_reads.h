// client/api_reads: reading answers of the /v1 API back into OrderGuard's forms: the handling
// measures of GET /v1/kpis as the table's figures, every incident of GET /v1/incidents.
// Depends on: replay (the measures), client/http_client.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "client/http_client.h"
#include "replay/measures.h"

namespace og::client {

// The figures of measures_table from the JSON measures_json writes.
tl::expected<MeasuresSummary, std::string> summary_from_json(std::string_view json);

// Every incident the server holds, page by page, each as the server wrote it (one JSON
// object, the form of replay's incidents file).
tl::expected<std::vector<std::string>, std::string> fetch_incidents(HttpClient& client);

}  // namespace og::client
