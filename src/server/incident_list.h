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
#include <string_view>

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

// Where a page starts. next_cursor names the last incident served, by its place in the order
// ("k<priority>.<detected_at ms>.<id>"): the next page is what comes after it, so incidents
// raised, resolved or escalated between two requests neither repeat an incident nor skip one
// that still matches. Not covered: an incident whose priority is raised later (its order or
// payment known late makes it high-value or VIP) may move ahead of the cursor and wait for the
// next walk. A bare number is an offset into the order as it is now (any value; past the end
// the page is empty).
struct PageStart {
  std::size_t offset = 0;
  bool after_key = false;
  int priority = 0;
  TimeMs detected_at = 0;
  std::string id{};
};
std::optional<PageStart> parse_page_cursor(std::string_view cursor);  // nullopt: not a cursor

// {"items":[...],"total":N,"next_cursor":"..."|null}. The order: priority (highest first), then
// the newest detected_at, then the id. Ids are unique, so the order is total and pages of any
// size, walked by next_cursor, give one sequence. `limit` at least 1.
std::string incident_page(const Engine& engine, const IncidentFilter& filter, const PageStart& start, std::size_t limit);

}  // namespace og::server
