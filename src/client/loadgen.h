// client/loadgen: `orderguard loadgen`, the HTTP ingest load generator. POSTs an NDJSON file
// to /v1/events in batches over several keep-alive connections (each with a few requests in
// flight: HTTP/1.1 pipelining; batches go out in file order, each connection taking the next),
// and measures what a producer sees: durable events per second (the server answers a batch
// once it is in its journal) and the latency of each batch. With `rate`, batches leave on a
// schedule (an offered load below saturation), so latencies are those of a server keeping up.
//
// With `latency`, it also follows GET /v1/stream and times every incident from the moment the
// event that triggered it was POSTed. An event waits in the engine's reorder buffer until
// event time has moved one out-of-orderness bound past it (10 s of event time by default), so
// two figures are given: from the POST that carried the incident's last evidence event, and
// from the POST whose events moved the watermark past the incident's detection time (the
// moment the engine could decide: what remains is the server's own time, queue, journal,
// engine and stream). Types decided by a deadline are counted apart.
// Owns: the load and its figures. Depends on: client/http_client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/http_client.h"
#include "core/time.h"

namespace og::client {

struct LoadgenOptions {
  Endpoint endpoint;
  std::string token;
  std::size_t batch = 1000;
  std::size_t connections = 4;
  std::size_t pipeline = 2;
  bool latency = false;
  double rate = 0;  // events per second to offer (batch i leaves at i * batch / rate); 0: as fast as answered
  DurationMs out_of_orderness = 10'000;
};

struct Percentiles {
  std::uint64_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

struct LoadgenReport {
  std::uint64_t lines = 0, bytes = 0, batches = 0;
  std::uint64_t accepted = 0, duplicates = 0, late = 0, rejected = 0;
  std::uint64_t failed_batches = 0;  // no 200/400 answer
  std::string first_error;
  double seconds = 0;                // first POST sent to last answer received
  double events_per_second = 0;      // lines answered per second
  Percentiles batch_latency;         // POST sent to its answer
  // --latency
  Percentiles from_evidence;         // event-triggered incidents: POST of the last evidence event -> on the stream
  Percentiles from_release;          // the same, from the POST that moved the watermark past it
  Percentiles timeouts_from_release; // deadline-triggered incidents, from the POST that moved the watermark past the deadline
  std::uint64_t incidents_seen = 0;
  std::uint64_t unmatched = 0;       // incidents whose evidence or release could not be placed
  std::string stream_error;
  // Server side, from /metrics after the load.
  double journal_groups = 0, journal_records = 0;

  std::string text() const;
  std::string json() const;
};

// `input` is the whole NDJSON text (it must outlive the call).
LoadgenReport run_loadgen(const LoadgenOptions& options, std::string_view input);

}  // namespace og::client
