#include "server/incident_list.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "core/whole_number.h"
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

bool key_before(int priority_a, TimeMs detected_a, std::string_view id_a, int priority_b, TimeMs detected_b,
                std::string_view id_b) {
  if (priority_a != priority_b) return priority_a > priority_b;
  if (detected_a != detected_b) return detected_a > detected_b;
  return id_a < id_b;
}

bool more_urgent(const Incident* a, const Incident* b) {
  return key_before(a->priority, a->detected_at, a->id, b->priority, b->detected_at, b->id);
}

std::string cursor_after(const Incident& incident) {
  return "k" + std::to_string(incident.priority) + "." + std::to_string(incident.detected_at) + "." + incident.id;
}

}  // namespace

std::optional<PageStart> parse_page_cursor(std::string_view cursor) {
  PageStart start;
  if (!cursor.starts_with('k')) {
    const auto offset = whole_number<std::size_t>(cursor);
    if (!offset) return std::nullopt;
    start.offset = *offset;
    return start;
  }
  cursor.remove_prefix(1);
  const std::size_t first = cursor.find('.');
  const std::size_t second = first == std::string_view::npos ? first : cursor.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto priority = whole_number<int>(cursor.substr(0, first));
  const auto detected_at = whole_number<TimeMs>(cursor.substr(first + 1, second - first - 1));
  if (!priority || !detected_at || second + 1 == cursor.size()) return std::nullopt;
  start.after_key = true;
  start.priority = *priority;
  start.detected_at = *detected_at;
  start.id = std::string(cursor.substr(second + 1));
  return start;
}

std::string incident_page(const Engine& engine, const IncidentFilter& filter, const PageStart& start, std::size_t limit) {
  std::vector<const Incident*> found;
  std::size_t before_start = 0;  // matching incidents the page starts after
  if (const SymbolFilter symbols(filter, engine.interner()); !symbols.unknown_id) {
    for (const Incident& incident : engine.incidents().all()) {
      if (!symbols.matches(incident)) continue;
      if (start.after_key &&
          !key_before(start.priority, start.detected_at, start.id, incident.priority, incident.detected_at, incident.id)) {
        ++before_start;
        continue;
      }
      found.push_back(&incident);
    }
  }
  const std::size_t offset = start.after_key ? 0 : start.offset;
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
  writer.field("total", static_cast<std::int64_t>(found.size() + before_start));
  if (page_end < found.size()) {
    writer.field("next_cursor", cursor_after(*found[page_end - 1]));
  } else {
    writer.key("next_cursor").null();
  }
  writer.end_object();
  return out;
}

}  // namespace og::server
