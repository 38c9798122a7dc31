// The page of GET /v1/incidents against the obvious way to cut it: every incident filtered by
// its ids as text, all of them sorted, the page sliced out. On a simulated day whose batches
// arrive late (thousands of incidents, many of one priority and time, so the id decides).
#include "server/incident_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "events/parser.h"
#include "replay/replay.h"
#include "../sim/sim_test_util.h"

namespace og::server {
namespace {

// The day of sim seed 4, with every third slice of 200 lines moved to the end.
std::unique_ptr<Engine> late_day() {
  auto config = sim::testing::config_for(2500, 4, sim::Platform::kGrocery);
  const std::string events = sim::testing::run_sim(config).events;
  std::vector<std::string> slices(1);
  std::size_t lines = 0;
  for_each_line(events, [&](std::size_t, std::string_view line) {
    slices.back().append(line).push_back('\n');
    if (++lines % 200 == 0) slices.emplace_back();
  });
  std::string reordered;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    if (i % 3 != 2) reordered += slices[i];
  }
  for (std::size_t i = 2; i < slices.size(); i += 3) reordered += slices[i];
  auto engine = std::make_unique<Engine>(RulesConfig{});
  ReplayRunner runner(*engine, nullptr);
  runner.feed_buffer(reordered);
  engine->finish();
  return engine;
}

// The ids of a page's items, in order, with its total and next cursor.
struct Page {
  std::vector<std::string> ids;
  std::string total, next;
};
Page read_page(const std::string& body) {
  Page page;
  constexpr std::string_view kItem = "{\"id\":\"";
  for (std::size_t at = body.find(kItem); at != std::string::npos; at = body.find(kItem, at + 1)) {
    const std::size_t from = at + kItem.size();
    page.ids.push_back(body.substr(from, body.find('"', from) - from));
  }
  const std::size_t total = body.rfind("\"total\":") + 8;
  page.total = body.substr(total, body.find(',', total) - total);
  const std::size_t next = body.rfind("\"next_cursor\":") + 14;
  page.next = body.substr(next, body.size() - 1 - next);
  return page;
}

std::vector<const Incident*> reference(const Engine& engine, const IncidentFilter& filter) {
  const Interner& interner = engine.interner();
  std::vector<const Incident*> found;
  for (const Incident& incident : engine.incidents().all()) {
    if (filter.status && incident.status != *filter.status) continue;
    if (filter.severity && incident.severity != *filter.severity) continue;
    if (filter.type && incident.type != *filter.type) continue;
    if (!filter.zone.empty() && interner.view(incident.zone) != filter.zone) continue;
    if (!filter.community.empty() && interner.view(incident.community) != filter.community) continue;
    if (!filter.order.empty() && interner.view(incident.order) != filter.order) continue;
    if (!filter.subject.empty()) {
      // "kind:id" where the part before the first colon is a kind; otherwise the whole is an id.
      const std::string_view subject = filter.subject;
      const std::size_t colon = subject.find(':');
      const std::string_view kind = colon == std::string_view::npos ? std::string_view() : subject.substr(0, colon);
      const bool is_kind = kind == "order" || kind == "user" || kind == "rider" || kind == "sku" || kind == "community";
      const std::string_view id = is_kind ? subject.substr(colon + 1) : subject;
      if (is_kind && subject_kind_name(incident.subject_kind) != kind) continue;
      if (interner.view(incident.subject) != id) continue;
    }
    found.push_back(&incident);
  }
  std::sort(found.begin(), found.end(), [](const Incident* a, const Incident* b) {
    if (a->priority != b->priority) return a->priority > b->priority;
    if (a->detected_at != b->detected_at) return a->detected_at > b->detected_at;
    return a->id < b->id;
  });
  return found;
}

std::string cursor_of(const Incident& incident) {
  return "k" + std::to_string(incident.priority) + "." + std::to_string(incident.detected_at) + "." + incident.id;
}

TEST(IncidentListTest, CursorsAreOffsetsOrThePlaceOfAnIncident) {
  EXPECT_EQ(parse_page_cursor("0")->offset, 0U);
  EXPECT_EQ(parse_page_cursor("18446744073709551615")->offset, SIZE_MAX);
  const auto after = parse_page_cursor("k-3.1763690400000.inc-00ff.x");
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->after_key);
  EXPECT_EQ(after->priority, -3);
  EXPECT_EQ(after->detected_at, 1763690400000);
  EXPECT_EQ(after->id, "inc-00ff.x");
  for (const std::string_view bad : {"", "-1", "1x", "k", "k1", "k1.2", "k1.2.", "kx.2.inc", "k1.y.inc", "18446744073709551616"}) {
    EXPECT_FALSE(parse_page_cursor(bad).has_value()) << bad;
  }
}

TEST(IncidentListTest, EveryPageIsTheSliceOfTheWholeOrder) {
  const auto engine = late_day();
  const auto& all = engine->incidents().all();
  ASSERT_GT(all.size(), 1000U);
  // Filters from the day itself: an incident's type, zone, community, order and subject.
  const Incident& some = all[all.size() / 2];
  const Interner& interner = engine->interner();
  std::vector<IncidentFilter> filters(12);
  filters[1].status = IncidentStatus::kResolved;
  filters[2].severity = Severity::kHigh;
  filters[3].type = some.type;
  filters[4].zone = interner.view(some.zone);
  filters[5].community = interner.view(some.community);
  filters[5].order = interner.view(some.order);
  filters[6].status = some.status;
  filters[6].subject = std::string(subject_kind_name(some.subject_kind)) + ":" + std::string(interner.view(some.subject));
  filters[7].subject = interner.view(some.subject);
  filters[8].subject = "community:" + std::string(interner.view(some.subject));  // another kind
  filters[9].zone = "no such zone";
  filters[10].order = "no such order";
  filters[11].type = IncidentType::kCommunityHotspot;
  std::size_t pages = 0;
  for (const IncidentFilter& filter : filters) {
    const std::vector<const Incident*> whole = reference(*engine, filter);
    for (const std::size_t limit : {std::size_t{1}, std::size_t{7}, std::size_t{50}, std::size_t{500}}) {
      for (const std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{49}, whole.size() / 2, whole.size() - std::min<std::size_t>(whole.size(), 3), whole.size(), whole.size() + 10, SIZE_MAX}) {
        const Page page = read_page(incident_page(*engine, filter, PageStart{.offset = offset}, limit));
        std::vector<std::string> expected;
        for (std::size_t i = offset; i < whole.size() && i - offset < limit; ++i) expected.push_back(whole[i]->id);
        ASSERT_EQ(page.ids, expected) << "offset " << offset << " limit " << limit << " filter #" << (&filter - filters.data());
        EXPECT_EQ(page.total, std::to_string(whole.size()));
        const bool more = offset < whole.size() && whole.size() - offset > limit;
        EXPECT_EQ(page.next, more ? "\"" + cursor_of(*whole[offset + limit - 1]) + "\"" : "null") << offset << " " << limit;
        ++pages;
      }
      // Walked by next_cursor from the start: the whole order, each incident once.
      std::vector<std::string> walked;
      PageStart start;
      for (std::size_t guard = 0; guard <= whole.size(); ++guard) {
        const Page page = read_page(incident_page(*engine, filter, start, limit));
        EXPECT_EQ(page.total, std::to_string(whole.size()));
        walked.insert(walked.end(), page.ids.begin(), page.ids.end());
        if (page.next == "null") break;
        const auto next = parse_page_cursor(page.next.substr(1, page.next.size() - 2));
        ASSERT_TRUE(next.has_value()) << page.next;
        start = *next;
      }
      std::vector<std::string> expected;
      for (const Incident* incident : whole) expected.push_back(incident->id);
      EXPECT_EQ(walked, expected) << "limit " << limit << " filter #" << (&filter - filters.data());
    }
  }
  EXPECT_EQ(pages, filters.size() * 4 * 8);
  // The filters did select: the day has resolved incidents, and the common order has several.
  EXPECT_GT(reference(*engine, filters[1]).size(), 10U);
  EXPECT_GE(reference(*engine, filters[5]).size(), 1U);
}

}  // namespace
}  // namespace og::server
