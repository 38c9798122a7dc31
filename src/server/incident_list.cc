#include "server/incident_list.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "engine/engine.h"
#include "replay/output.h"

namespace og::server {
namespace {

// The filter's ids as the engine's symbols, found once per request: the scan of every incident
// then compares integers. An id the engine never saw matches no incident.
struct SymbolFilter {
  std::optional<IncidentStatus> status;
  std::optional<Severity> severity;
  std::optional<IncidentType> type;
  std::optional<Symbol> zone, community, order, subject;
  std::optional<std::string_view> subject_kind;  // "order" of "order:O1"
  bool unknown_id = false;

  SymbolFilter(const IncidentFilter& filter, const Interner& interner)
      : status(filter.status), severity(filter.severity), type(filter.type) {
    const auto symbol_of = [&](std::string_view text) -> std::optional<Symbol> {
      if (text.empty()) return std::nullopt;
      const Symbol symbol = interner.find(text);
      if (symbol == kNoSymbol) unknown_id = true;
      return symbol;
    };
    zone = symbol_of(filter.zone);
    community = symbol_of(filter.community);
    order = symbol_of(filter.order);
    std::string_view id = filter.subject;
    // "kind:id" only where the part before the colon is a kind: an id may hold a colon itself.
    if (const std::size_t colon = id.find(':'); colon != std::string_view::npos) {
      const std::string_view kind = id.substr(0, colon);
      for (std::size_t k = 0; k <= static_cast<std::size_t>(SubjectKind::kCommunity); ++k) {
        if (subject_kind_name(static_cast<SubjectKind>(k)) != kind) continue;
        subject_kind = kind;
        id = id.substr(colon + 1);
        break;
      }
    }
    if (!filter.subject.empty()) {
      subject = interner.find(id);
      if (*subject == kNoSymbol) unknown_id = true;
    }
  }

  bool matches(const Incident& incident) const {
    if (status && incident.status != *status) return false;
    if (severity && incident.severity != *severity) return false;
    if (type && incident.type != *type) return false;
    if (zone && incident.zone != *zone) return false;
    if (community && incident.community != *community) return false;
    if (order && incident.order != *order) return false;
    if (subject && incident.subject != *subject) return false;
    if (subject_kind && subject_kind_name(incident.subject_kind) != *subject_kind) return false;
    return true;
  }
};

bool more_urgent(const Incident* a, const Incident* b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  if (a->detected_at != b->detected_at) return a->detected_at > b->detected_at;
  return a->id < b->id;
}

}  // namespace

std::string incident_page(const Engine& engine, const IncidentFilter& filter, std::size_t offset, std::size_t limit) {
  std::vector<const Incident*> found;
  if (const SymbolFilter symbols(filter, engine.interner()); !symbols.unknown_id) {
    for (const Incident& incident : engine.incidents().all()) {
      if (symbols.matches(incident)) found.push_back(&incident);
    }
  }
  // Past the cursor, the page needs only the incidents up to its end in order: the board asks
  // for totals (limit=1) every few seconds.
  const std::size_t page_begin = std::min(offset, found.size());
  const std::size_t page_end = page_begin + std::min(limit, found.size() - page_begin);
  if (page_end > 0) {
    const auto last = found.begin() + static_cast<std::ptrdiff_t>(page_end);
    std::nth_element(found.begin(), last - 1, found.end(), more_urgent);
    std::sort(found.begin(), last, more_urgent);
  }
  std::string out;
  JsonWriter writer(out);
  writer.begin_object().key("items").begin_array();
  std::string body;
  for (std::size_t i = page_begin; i < page_end; ++i) {
    body.clear();
    append_incident_json(body, *found[i], engine.interner());
    writer.raw(body);
  }
  writer.end_array();
  writer.field("total", static_cast<std::int64_t>(found.size()));
  if (page_end < found.size()) {
    writer.field("next_cursor", std::to_string(page_end));
  } else {
    writer.key("next_cursor").null();
  }
  writer.end_object();
  return out;
}

}  // namespace og::server
