#include "client/loadgen.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/hash.h"
#include "core/json_writer.h"
#include "events/event.h"
#include "rules/incident_type.h"

namespace og::client {

namespace {

using Clock = std::chrono::steady_clock;

struct Batch {
  std::size_t begin = 0, end = 0;  // bytes of the input
  std::size_t lines = 0;
  TimeMs max_ts = kAbsent;
  Clock::time_point sent{}, answered{};
  bool answered_ok = false;
};

// "ts":"2026-...+08:00" or "ts":1763690400000; kAbsent when neither.
TimeMs line_ts(std::string_view line) {
  const std::size_t at = line.find("\"ts\":");
  if (at == std::string_view::npos) return kAbsent;
  std::string_view rest = line.substr(at + 5);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (!rest.empty() && rest.front() == '"') {
    const std::size_t close = rest.find('"', 1);
    if (close == std::string_view::npos) return kAbsent;
    const auto parsed = parse_rfc3339_ms(rest.substr(1, close - 1));
    return parsed ? *parsed : kAbsent;
  }
  TimeMs value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  return ec == std::errc() ? value : kAbsent;
}

std::string_view line_id(std::string_view line) {
  const std::size_t at = line.find("\"id\":\"");
  if (at == std::string_view::npos) return {};
  const std::size_t close = line.find('"', at + 6);
  if (close == std::string_view::npos) return {};
  return line.substr(at + 6, close - at - 6);
}

// Decided by a deadline passing rather than by an event (docs/spec/INCIDENTS.md); a hotspot
// follows other incidents, deadlines included.
bool deadline_type(std::string_view type) {
  static constexpr std::string_view kTypes[] = {"PAYMENT_TIMEOUT", "PAID_NO_ORDER",   "REFUND_FAILED",     "STOCK_NOT_RELEASED",
                                                "ORDER_STUCK",     "RIDER_NOT_ASSIGNED", "RIDER_STALLED",  "DELIVERY_LATE",
                                                "COMMUNITY_HOTSPOT"};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

Percentiles percentiles(std::vector<double> values) {
  Percentiles out;
  out.count = values.size();
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  const auto rank = [&](double q) {
    const auto n = static_cast<std::size_t>(q * static_cast<double>(values.size()) + 0.999999);
    return values[std::clamp<std::size_t>(n, 1, values.size()) - 1];
  };
  out.p50_ms = rank(0.50);
  out.p90_ms = rank(0.90);
  out.p99_ms = rank(0.99);
  out.max_ms = values.back();
  return out;
}

double ms_between(Clock::time_point from, Clock::time_point to) { return std::chrono::duration<double, std::milli>(to - from).count(); }

struct SeenIncident {
  Clock::time_point at;
  bool deadline = false;
  TimeMs detected_at = kAbsent;
  std::vector<std::uint64_t> evidence;  // hashed event ids
};

double metric(const std::string& text, std::string_view name) {
  const std::string key = "orderguard_state{name=\"" + std::string(name) + "\"} ";
  const std::size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + key.size(), nullptr);
}

}  // namespace

LoadgenReport run_loadgen(const LoadgenOptions& options, std::string_view input) {
  LoadgenReport report;
  // Batches of whole lines, in file order.
  std::vector<Batch> batches;
  std::unordered_map<std::uint64_t, std::uint32_t> batch_of_event;  // --latency: event id -> batch
  {
    Batch current;
    std::size_t pos = 0;
    while (pos < input.size()) {
      std::size_t newline = input.find('\n', pos);
      if (newline == std::string_view::npos) newline = input.size();
      const std::string_view line = input.substr(pos, newline - pos);
      pos = std::min(newline + 1, input.size());
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      if (current.lines == 0) current.begin = static_cast<std::size_t>(line.data() - input.data());
      current.end = pos;
      ++current.lines;
      if (options.latency) {
        const TimeMs ts = line_ts(line);
        if (ts != kAbsent && (current.max_ts == kAbsent || ts > current.max_ts)) current.max_ts = ts;
        const std::string_view id = line_id(line);
        if (!id.empty()) batch_of_event.try_emplace(hash64(id), static_cast<std::uint32_t>(batches.size()));
      }
      if (current.lines == options.batch) {
        batches.push_back(current);
        current = Batch{};
      }
    }
    if (current.lines != 0) batches.push_back(current);
  }
  for (const Batch& batch : batches) {
    report.lines += batch.lines;
    report.bytes += batch.end - batch.begin;
  }
  report.batches = batches.size();

  // The stream first, so that nothing of the load is missed.
  std::mutex seen_mutex;
  std::unordered_map<std::string, SeenIncident> seen;
  std::atomic<Clock::rep> last_message{0};
  std::mutex connected_mutex;
  std::condition_variable connected_signal;
  bool connected = false, ended = false;
  std::unique_ptr<StreamReader> stream;  // after what its callbacks use: it goes first
  if (options.latency) {
    stream = std::make_unique<StreamReader>(
        options.endpoint, options.token, "/v1/stream",
        [&](std::string_view event, std::string_view data) {
          const auto now = Clock::now();
          last_message = now.time_since_epoch().count();
          if (event != "incident") return;
          thread_local simdjson::dom::parser parser;
          simdjson::dom::element object;
          if (parser.parse(data.data(), data.size()).get(object)) return;
          std::string_view id, type, detected;
          if (object["id"].get_string().get(id) || object["type"].get_string().get(type) ||
              object["detected_at"].get_string().get(detected)) {
            return;
          }
          std::lock_guard lock(seen_mutex);
          auto [it, first] = seen.try_emplace(std::string(id));
          if (!first) return;
          SeenIncident& incident = it->second;
          incident.at = now;
          incident.deadline = deadline_type(type);
          const auto parsed = parse_rfc3339_ms(detected);
          incident.detected_at = parsed ? *parsed : kAbsent;
          simdjson::dom::array evidence;
          if (!object["evidence"].get_array().get(evidence)) {
            for (simdjson::dom::element e : evidence) {
              std::string_view ev;
              if (!e.get_string().get(ev)) incident.evidence.push_back(hash64(ev));
            }
          }
        },
        [&] {
          std::lock_guard lock(connected_mutex);
          connected = true;
          connected_signal.notify_all();
        },
        [&](std::string error) {
          std::lock_guard lock(connected_mutex);
          ended = true;
          if (!error.empty()) report.stream_error = error;
          connected_signal.notify_all();
        });
    std::unique_lock lock(connected_mutex);
    connected_signal.wait(lock, [&] { return connected || ended; });
    if (!connected) {
      stream.reset();
      return report;
    }
  }

  // The load: each connection takes the next batch, with up to `pipeline` in flight.
  std::atomic<std::size_t> next{0};
  std::mutex totals_mutex;
  const auto started = Clock::now();
  std::vector<std::thread> workers;
  for (std::size_t c = 0; c < options.connections; ++c) {
    workers.emplace_back([&] {
      HttpClient client(options.endpoint, options.token);
      std::deque<std::size_t> in_flight;
      simdjson::dom::parser parser;
      std::uint64_t accepted = 0, duplicates = 0, late = 0, rejected = 0, failed = 0;
      std::string error;
      std::size_t held = SIZE_MAX;  // a batch taken but not due yet (--rate)
      for (;;) {
        while (in_flight.size() < options.pipeline) {
          const std::size_t i = held != SIZE_MAX ? held : next.fetch_add(1);
          held = SIZE_MAX;
          if (i >= batches.size()) break;
          Batch& batch = batches[i];
          if (options.rate > 0) {
            const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(static_cast<double>(i * options.batch) / options.rate));
            // An answer on its way is read first, so that its time is when it came, not when
            // this connection next looked.
            if (!in_flight.empty() && Clock::now() < due) {
              held = i;
              break;
            }
            std::this_thread::sleep_until(due);
          }
          batch.sent = Clock::now();
          std::string send_error;
          if (!client.send("POST", "/v1/events", input.substr(batch.begin, batch.end - batch.begin),
                           "application/x-ndjson", send_error)) {
            ++failed;
            if (error.empty()) error = send_error;
            // What was in flight on this connection is lost with it.
            failed += in_flight.size();
            in_flight.clear();
            continue;
          }
          in_flight.push_back(i);
        }
        if (in_flight.empty()) break;
        const HttpAnswer answer = client.receive();
        const std::size_t i = in_flight.front();
        in_flight.pop_front();
        Batch& batch = batches[i];
        batch.answered = Clock::now();
        simdjson::dom::element counts;
        if ((answer.status == 200 || answer.status == 400) && !parser.parse(answer.body).get(counts)) {
          batch.answered_ok = true;
          std::int64_t n = 0;
          if (!counts["accepted"].get_int64().get(n)) accepted += static_cast<std::uint64_t>(n);
          if (!counts["duplicates"].get_int64().get(n)) duplicates += static_cast<std::uint64_t>(n);
          if (!counts["late"].get_int64().get(n)) late += static_cast<std::uint64_t>(n);
          if (!counts["rejected"].get_int64().get(n)) rejected += static_cast<std::uint64_t>(n);
        } else {
          ++failed;
          if (error.empty()) error = answer.error.empty() ? fmt::format("{} {}", answer.status, answer.body) : answer.error;
          if (!answer.error.empty()) {
            failed += in_flight.size();
            in_flight.clear();
          }
        }
      }
      std::lock_guard lock(totals_mutex);
      report.accepted += accepted;
      report.duplicates += duplicates;
      report.late += late;
      report.rejected += rejected;
      report.failed_batches += failed;
      if (report.first_error.empty()) report.first_error = error;
    });
  }
  for (std::thread& worker : workers) worker.join();
  if (!options.latency && stream) stream->stop();
  Clock::time_point last_answer = started;
  std::vector<double> batch_ms;
  for (const Batch& batch : batches) {
    if (!batch.answered_ok) continue;
    last_answer = std::max(last_answer, batch.answered);
    batch_ms.push_back(ms_between(batch.sent, batch.answered));
  }
  report.seconds = std::chrono::duration<double>(last_answer - started).count();
  const std::uint64_t answered = report.accepted + report.duplicates + report.rejected;
  report.events_per_second = report.seconds > 0 ? static_cast<double>(answered) / report.seconds : 0;
  report.batch_latency = percentiles(std::move(batch_ms));

  // The server's side: journal groups (group commit) and records. This read runs on the engine
  // thread after the last group, whose changes were published before it.
  HttpClient metrics_client(options.endpoint, options.token);
  const HttpAnswer metrics = metrics_client.get("/metrics");
  report.journal_groups = metric(metrics.body, "journal_groups");
  report.journal_records = metric(metrics.body, "journal_records");

  if (!options.latency) return report;
  // Let the stream deliver what the last groups published: until it has been quiet a moment.
  for (int i = 0; i < 100; ++i) {
    const auto quiet = Clock::now() - Clock::time_point(Clock::duration(last_message.load()));
    if (quiet > std::chrono::milliseconds(300)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stream->stop();

  // Release: the first batch (in file order) carrying an event time past detected_at + bound.
  std::vector<TimeMs> prefix_max(batches.size(), kAbsent);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    prefix_max[i] = std::max(i == 0 ? kAbsent : prefix_max[i - 1], batches[i].max_ts);
  }
  std::vector<double> from_evidence, from_release, timeouts;
  std::lock_guard lock(seen_mutex);
  report.incidents_seen = seen.size();
  for (const auto& [id, incident] : seen) {
    if (incident.detected_at == kAbsent) {
      ++report.unmatched;
      continue;
    }
    const TimeMs needed = incident.detected_at + options.out_of_orderness;
    const auto it = std::upper_bound(prefix_max.begin(), prefix_max.end(), needed);
    if (it == prefix_max.end()) {
      ++report.unmatched;  // decided by something after the load (never, with no clock moves)
      continue;
    }
    const Batch& release = batches[static_cast<std::size_t>(it - prefix_max.begin())];
    const double since_release = ms_between(release.sent, incident.at);
    if (incident.deadline) {
      timeouts.push_back(since_release);
      continue;
    }
    from_release.push_back(since_release);
    std::int64_t last = -1;
    for (const std::uint64_t e : incident.evidence) {
      if (const auto found = batch_of_event.find(e); found != batch_of_event.end()) last = std::max<std::int64_t>(last, found->second);
    }
    if (last < 0) {
      ++report.unmatched;
      continue;
    }
    from_evidence.push_back(ms_between(batches[static_cast<std::size_t>(last)].sent, incident.at));
  }
  report.from_evidence = percentiles(std::move(from_evidence));
  report.from_release = percentiles(std::move(from_release));
  report.timeouts_from_release = percentiles(std::move(timeouts));
  return report;
}

std::string LoadgenReport::text() const {
  std::string out;
  out += fmt::format("{} events ({:.1f} MB) in {} POSTs: {} accepted, {} duplicates, {} rejected, {} late, {} failed POSTs\n", lines,
                     static_cast<double>(bytes) / 1e6, batches, accepted, duplicates, rejected, late, failed_batches);
  if (!first_error.empty()) out += fmt::format("first failure: {}\n", first_error);
  out += fmt::format("durable ingest: {:.0f} events/s ({:.1f} MB/s) over {:.2f} s; journal: {:.0f} records in {:.0f} commits\n",
                     events_per_second, seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0, seconds, journal_records,
                     journal_groups);
  const auto row = [&](std::string_view name, const Percentiles& p) {
    out += fmt::format("{:<58} p50 {:7.1f} ms  p90 {:7.1f} ms  p99 {:7.1f} ms  max {:7.1f} ms  (n={})\n", name, p.p50_ms, p.p90_ms,
                       p.p99_ms, p.max_ms, p.count);
  };
  row("batch: POST sent -> answered (durable)", batch_latency);
  if (incidents_seen != 0 || !stream_error.empty()) {
    row("event-triggered incident: POST of its last evidence -> stream", from_evidence);
    row("event-triggered incident: POST passing the watermark -> stream", from_release);
    row("deadline incident: POST passing the deadline -> stream", timeouts_from_release);
    out += fmt::format("{} incidents on the stream, {} not placed{}\n", incidents_seen, unmatched,
                       stream_error.empty() ? "" : "; the stream ended early: " + stream_error);
  }
  return out;
}

std::string LoadgenReport::json() const {
  std::string out;
  JsonWriter json(out);
  const auto group = [&](std::string_view name, const Percentiles& p) {
    json.key(name).begin_object();
    json.field("count", static_cast<std::int64_t>(p.count));
    json.key("p50_ms").number(p.p50_ms);
    json.key("p90_ms").number(p.p90_ms);
    json.key("p99_ms").number(p.p99_ms);
    json.key("max_ms").number(p.max_ms);
    json.end_object();
  };
  json.begin_object();
  json.field("lines", static_cast<std::int64_t>(lines));
  json.field("bytes", static_cast<std::int64_t>(bytes));
  json.field("batches", static_cast<std::int64_t>(batches));
  json.field("accepted", static_cast<std::int64_t>(accepted));
  json.field("duplicates", static_cast<std::int64_t>(duplicates));
  json.field("late", static_cast<std::int64_t>(late));
  json.field("rejected", static_cast<std::int64_t>(rejected));
  json.field("failed_batches", static_cast<std::int64_t>(failed_batches));
  json.key("seconds").number(seconds);
  json.key("events_per_second").number(events_per_second);
  json.key("journal_groups").number(journal_groups);
  json.key("journal_records").number(journal_records);
  group("batch_latency", batch_latency);
  group("incident_from_evidence", from_evidence);
  group("incident_from_release", from_release);
  group("deadline_incident_from_release", timeouts_from_release);
  json.field("incidents_seen", static_cast<std::int64_t>(incidents_seen));
  json.field("unmatched", static_cast<std::int64_t>(unmatched));
  json.end_object();
  return out;
}

}  // namespace og::client
