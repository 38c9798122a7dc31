// server/incident_list: the page of `GET /v1/incidents`: the incidents a filter selects, most
// urgent first, cut at a cursor. It reads the engine, so it runs on the engine thread, where a
// dashboard's polling competes with ingest: it scans every incident once, compares ids as
// symbols, and puts in order only what comes up to the page.
// Owns: the filter and the page's order. Depends on: engine (incidents, interner), replay
// (an incident's JSON), core.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "engine/incident.h"

namespace og {
class Engine;
}

namespace og::server {

// The query's filters; empty strings filter nothing. `subject` is "O1" or "kind:O1".
struct IncidentFilter {
  std::optional<IncidentStatus> status;
  std::optional<Severity> severity;
  std::optional<IncidentType> type;
  std::string zone, community, subject, order;
};

// {"items":[...],"total":N,"next_cursor":"K"|null}. The order: priority (highest first), then
// the newest detected_at, then the id. Ids are unique, so the order is total and pages of any
// size, walked by next_cursor, give one sequence. `offset` is the cursor (any value; past the
// end the page is empty), `limit` at least 1.
std::string incident_page(const Engine& engine, const IncidentFilter& filter, std::size_t offset, std::size_t limit);

}  // namespace og::server
