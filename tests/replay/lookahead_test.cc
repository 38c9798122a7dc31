// The look-ahead (replay/lookahead.h) only prefetches: lines reach the engine in the same
// order, with the same numbers, outcomes, bad lines and stats as when they are fed one by one
// (the way the server feeds a request body), and the engine ends in the same state, byte for
// byte. Streams here mix bad lines, duplicates, late events and lines the look-ahead's scan
// cannot read into every golden case.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "engine/engine.h"
#include "events/parser.h"
#include "golden_case.h"
#include "replay/lookahead.h"
#include "replay/output.h"
#include "replay/replay.h"
#include "rules/config.h"

namespace og::testing {
namespace {

struct Outcome {
  ReplayStats stats;
  std::vector<std::pair<std::uint64_t, std::string>> bad_lines;
  bool completed = true;
  std::string incidents;
  std::string snapshot;
  std::uint64_t accepted = 0, late = 0, duplicates = 0;
};

std::unique_ptr<Engine> fresh_engine() {
  auto config = load_rules("", "test");
  EXPECT_TRUE(config.has_value());
  return std::make_unique<Engine>(std::move(*config));
}

void finish(Engine& engine, Outcome& out) {
  engine.finish();
  out.incidents = incidents_ndjson(engine, engine.interner());
  out.snapshot = engine.snapshot();
  out.accepted = engine.counters().events_accepted;
  out.late = engine.counters().events_late;
  out.duplicates = engine.counters().events_duplicate;
}

// Line by line, without look-ahead: what ReplayRunner did before it, and what the server does.
Outcome one_by_one(const std::string& ndjson, bool strict) {
  Outcome out;
  auto engine = fresh_engine();
  EventParser parser(engine->interner());
  for_each_line(ndjson, [&](std::size_t line_number, std::string_view line) {
    if (!out.completed) return;
    ++out.stats.lines;
    auto parsed = parser.parse(line, engine->staging_event());
    if (!parsed) {
      ++out.stats.bad_lines;
      out.bad_lines.emplace_back(line_number, parsed.error());
      if (strict) out.completed = false;
      return;
    }
    switch (engine->ingest_staged()) {
      case IngestOutcome::kRefused:
        ++out.stats.bad_lines;
        out.bad_lines.emplace_back(line_number, engine->refusal());
        if (strict) out.completed = false;
        return;
      case IngestOutcome::kDuplicate: ++out.stats.duplicates; break;
      case IngestOutcome::kLate: ++out.stats.late; break;
      case IngestOutcome::kAccepted: break;
    }
    ++out.stats.events;
  });
  finish(*engine, out);
  return out;
}

Outcome through_runner(const std::string& ndjson, bool strict, bool as_stream) {
  Outcome out;
  auto engine = fresh_engine();
  ReplayRunner runner(
      *engine, [&](std::uint64_t line, const std::string& reason) { out.bad_lines.emplace_back(line, reason); }, strict);
  if (as_stream) {
    std::FILE* file = std::tmpfile();
    EXPECT_NE(file, nullptr);
    EXPECT_EQ(std::fwrite(ndjson.data(), 1, ndjson.size(), file), ndjson.size());
    std::rewind(file);
    out.completed = runner.feed_stream(file);
    std::fclose(file);
  } else {
    out.completed = runner.feed_buffer(ndjson);
  }
  out.stats = runner.stats();
  finish(*engine, out);
  return out;
}

void expect_same(const Outcome& got, const Outcome& want) {
  EXPECT_EQ(got.completed, want.completed);
  EXPECT_EQ(got.stats.lines, want.stats.lines);
  EXPECT_EQ(got.stats.events, want.stats.events);
  EXPECT_EQ(got.stats.bad_lines, want.stats.bad_lines);
  EXPECT_EQ(got.stats.duplicates, want.stats.duplicates);
  EXPECT_EQ(got.stats.late, want.stats.late);
  EXPECT_EQ(got.bad_lines, want.bad_lines);
  EXPECT_EQ(got.accepted, want.accepted);
  EXPECT_EQ(got.late, want.late);
  EXPECT_EQ(got.duplicates, want.duplicates);
  EXPECT_EQ(got.incidents, want.incidents);
  EXPECT_TRUE(got.snapshot == want.snapshot) << "the engines' snapshots differ";
}

// Every golden case's events, then the same with noise: each third event sent twice, a bad
// line after each fifth, lines the scan cannot read (leading blanks, keys in another order,
// a fake key inside a string), and the first half again at the end (late duplicates).
std::string noisy_stream() {
  std::string out;
  std::size_t n = 0;
  for (const std::string& path : all_case_paths()) {
    const GoldenCase golden = read_case(path);
    for (const std::string& event : golden.events) {
      ++n;
      if (n % 7 == 0) {
        out += "  " + event + "\n";
      } else if (n % 11 == 0 && event.starts_with("{\"id\":")) {
        out += "{\"note\":\"x\\\"order_id\\\":\\\"G1\",\"id\":" + event.substr(6) + "\n";
      } else {
        out += event + "\n";
      }
      if (n % 3 == 0) out += event + "\n";
      if (n % 5 == 0) out += "{\"id\":\"broken-" + std::to_string(n) + "\",\"type\":\"order.created\",\"order_id\":\"O1\"\n";
      if (n % 13 == 0) out += "\n";
    }
  }
  const std::string first_half = out.substr(0, out.find('\n', out.size() / 2) + 1);
  return out + first_half + "not json at all";
}

TEST(IngestLookahead, VisitsEveryLineOnceInOrderAndStopsWhenAVisitSaysSo) {
  const auto engine = fresh_engine();
  std::vector<std::string> lines;
  for (int i = 0; i < 40; ++i) lines.push_back("{\"id\":\"e" + std::to_string(i) + "\",\"order_id\":\"O" + std::to_string(i % 3) + "\"}");
  std::vector<std::uint64_t> seen;
  IngestLookahead ahead(*engine);
  const auto visit = [&](std::uint64_t number, std::string_view line, std::string_view id, std::uint64_t id_hash) {
    EXPECT_EQ(line, lines[number - 1]);
    // The id's own bytes in the line, and their hash (the parser takes it in place of its own).
    EXPECT_EQ(id, "e" + std::to_string(number - 1));
    EXPECT_EQ(id.data(), line.data() + 7);
    EXPECT_EQ(id_hash, hash64(id));
    seen.push_back(number);
    return true;
  };
  for (std::size_t i = 0; i < lines.size(); ++i) ASSERT_TRUE(ahead.push(i + 1, lines[i], visit));
  EXPECT_LT(seen.size(), lines.size());  // some still wait in the window
  EXPECT_EQ(ahead.queued(), lines.size() - seen.size());
  ASSERT_TRUE(ahead.flush(visit));
  ASSERT_EQ(seen.size(), lines.size());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_EQ(ahead.queued(), 0u);

  // A visit that says stop: nothing after it is visited, by push or by flush.
  IngestLookahead stopping(*engine);
  std::vector<std::uint64_t> visited;
  const auto stop_at_5 = [&](std::uint64_t number, std::string_view, std::string_view, std::uint64_t) {
    visited.push_back(number);
    return number != 5;
  };
  bool going = true;
  for (std::size_t i = 0; i < lines.size() && going; ++i) going = stopping.push(i + 1, lines[i], stop_at_5);
  if (going) going = stopping.flush(stop_at_5);
  EXPECT_FALSE(going);
  EXPECT_EQ(visited, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
}

TEST(IngestLookahead, ReplayGivesWhatLineByLineGives) {
  const std::string stream = noisy_stream();
  const Outcome want = one_by_one(stream, false);
  ASSERT_GT(want.stats.bad_lines, 10u);
  ASSERT_GT(want.stats.duplicates, 10u);
  ASSERT_GT(want.stats.late, 10u);
  ASSERT_FALSE(want.incidents.empty());
  expect_same(through_runner(stream, false, false), want);
  expect_same(through_runner(stream, false, true), want);
}

TEST(IngestLookahead, StrictReplayStopsAtTheSameLineInTheSameState) {
  const std::string stream = noisy_stream();
  const Outcome want = one_by_one(stream, true);
  ASSERT_FALSE(want.completed);
  ASSERT_EQ(want.stats.bad_lines, 1u);
  expect_same(through_runner(stream, true, false), want);
  expect_same(through_runner(stream, true, true), want);
}

TEST(IngestLookahead, StreamAcrossReadBlocksGivesWhatLineByLineGives) {
  // feed_stream reads 4 MiB blocks: lines straddle their edges, and the window is emptied at
  // each one. The noisy stream, repeated past two blocks, with the repeats mostly duplicates.
  const std::string one = noisy_stream() + "\n";
  std::string stream;
  while (stream.size() < (9u << 20)) stream += one;
  const Outcome want = one_by_one(stream, false);
  expect_same(through_runner(stream, false, true), want);
}

}  // namespace
}  // namespace og::testing
