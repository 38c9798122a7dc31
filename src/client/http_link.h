// client/http_link: the closed loop's EngineLink over the HTTP API of a running `serve`, for
// `orderguard demo`. Events the loop sends (the simulated stream, the world's answers, the
// agents' agent.* events, clock.tick when time moves without events) are POSTed to
// /v1/events in order on one keep-alive connection, in batches that each cover at most a few
// seconds of event time; commands and escalations come back from GET /v1/stream, read on a
// thread of its own. After each POST the link waits until the stream has caught up with the
// journal record the server answered with (its ": seq N" comment), so the world answers what
// the server sent right after the batch that caused it, and a run does not depend on timing:
// the same seed and batch span give the same requests. Before an agent acts, the batch is sent
// and the case is read with GET /v1/incidents/{id}; the supervisor choice reads GET /v1/agents.
//
// Nothing is decided on the client: it keeps an interner only to parse the lines it sends
// (the loop needs their time and the orders' items), and a count of open incidents for the
// progress line, from the stream.
// Owns: batching, the stream's bookkeeping, progress counters. Depends on: loop, client/http_client.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "client/http_client.h"
#include "loop/engine_link.h"

namespace og::client {

struct HttpLinkOptions {
  Endpoint endpoint;
  std::string token;
  DurationMs out_of_orderness = 10'000;  // the server's max_out_of_orderness
  DurationMs batch_span_ms = 5'000;      // a batch covers at most this much event time
  std::size_t batch_lines = 20'000;      // and at most this many lines
  std::FILE* events_out = nullptr;       // every line POSTed, in order (for a replay)
  const std::atomic<bool>* stop = nullptr;  // set: the next batch throws Stopped
};

// Thrown out of the loop when `stop` is set (Ctrl-C).
struct Stopped {};

// Counters for the progress line and the summary; safe to read from any thread.
struct LinkCounters {
  std::atomic<std::uint64_t> lines{0};        // lines POSTed
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> accepted{0}, duplicates{0}, late{0}, rejected{0};
  std::atomic<std::int64_t> event_time{0};    // the newest event time sent
  std::atomic<std::uint64_t> incidents{0};    // seen on the stream
  std::atomic<std::int64_t> open_incidents{0};
  std::atomic<std::uint64_t> commands{0};
  std::atomic<std::uint64_t> escalations{0};
  std::atomic<std::uint64_t> case_reads{0};
};

class HttpLink final : public loop::EngineLink {
 public:
  // Subscribes to the stream (and waits for the server's greeting) before anything is sent.
  static tl::expected<std::unique_ptr<HttpLink>, std::string> open(HttpLinkOptions options);
  ~HttpLink() override;

  DurationMs out_of_orderness() const override { return options_.out_of_orderness; }
  Interner& interner() override { return interner_; }
  Event& staging_event() override { return staging_; }
  IngestOutcome ingest_staged(std::string_view line) override;
  IngestOutcome ingest(const Event& event, std::string_view line) override;
  void unparsed_line(std::string_view line) override;
  void advance_watermark(TimeMs time_ms) override;
  TimeMs watermark() const override;
  const Command* next_command() override;
  const loop::EscalationView* next_escalation() override;
  loop::CaseView case_of(const loop::EscalationView& escalation) override;
  int free_capacity(const std::string& agent_id) override;

  // Sends what is waiting. Throws std::runtime_error when the server refuses or is gone.
  void flush();
  const LinkCounters& counters() const { return counters_; }
  HttpClient& client() { return *client_; }

 private:
  explicit HttpLink(HttpLinkOptions options);
  void append(std::string_view line, TimeMs ts);
  void maybe_flush();
  void take_from_stream();
  void on_message(std::string_view event, std::string_view data);

  HttpLinkOptions options_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<StreamReader> stream_;
  Interner interner_;
  Event staging_;
  std::string batch_;
  std::size_t batch_lines_ = 0;
  TimeMs batch_start_ = kAbsent;  // event time at the first line of the batch
  TimeMs newest_ = kAbsent;       // the newest event time sent (or about to be)
  std::string line_;              // an agent event rendered

  // What the stream delivered, waiting for the loop (guarded by mutex_).
  std::mutex mutex_;
  std::deque<Command> arrived_commands_;
  std::deque<loop::EscalationView> arrived_escalations_;
  std::atomic<std::size_t> arrived_{0};
  std::string stream_error_;
  std::uint64_t synced_ = 0;      // the newest ": seq N" of the stream: it has delivered all that N caused
  bool connected_ = false;
  std::condition_variable connected_signal_;
  // The stream thread's own bookkeeping: incidents seen, open or not, escalated or not.
  struct Seen {
    bool open = true;
    bool escalated = false;
  };
  std::unordered_map<std::string, Seen> seen_;

  // Handed to the loop one at a time.
  std::deque<Command> commands_;
  std::deque<loop::EscalationView> escalations_;
  bool command_out_ = false, escalation_out_ = false;

  LinkCounters counters_;
};

// The events the loop builds itself (agent.joined, agent.ack, agent.resolve,
// agent.false_positive ...) as NDJSON lines (no newline), ts in epoch milliseconds.
std::string agent_event_json(const Event& event);

}  // namespace og::client
