// server/api: the HTTP API of docs/spec/INTERFACES.md over the service: routing, roles,
// request bodies (allow-listed fields only), JSON answers with stable error codes, limits,
// the server-sent event stream and the Prometheus metrics.
// Owns: the mapping from HTTP to service calls. Depends on: server/service, server/http,
// server/tokens, replay (JSON forms and measures).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "server/http.h"
#include "server/service.h"
#include "server/tokens.h"

namespace og::server {

class StaticFiles;
class Overload;

struct ApiLimits {
  std::size_t max_batch_lines = 100'000;  // lines in one POST /v1/events
  std::size_t max_page = 500;             // items in one page
  std::size_t default_page = 50;
  std::size_t max_queued_bytes = 256 << 20;  // bodies waiting for the engine; beyond: 429
  std::size_t max_stream_backlog = 10'000;   // changes a slow stream client may owe; beyond: closed
};

class Api {
 public:
  // `reader`: a store connection of the I/O side, for the audit chain (nullptr: no audit API).
  Api(Service& service, TokenCheck& tokens, ApiLimits limits, std::unique_ptr<store::Store> reader = nullptr);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // The HTTP handler (runs on the I/O threads; engine work goes to the service's thread).
  boost::asio::awaitable<Reply> handle(Request& request);

  // Serves the dashboard's files (GET, paths outside /v1) when set; otherwise those are 404.
  void serve_files(std::shared_ptr<const StaticFiles> files);

  // The memory brakes of server/overload.h (set before serving): /readyz and /metrics report
  // them, and hold_body() is the transport's BodyGate::hold: ingest is refused (429, with
  // Retry-After) over the body budget or above the memory high-water mark; other bodies are
  // held and counted, never refused.
  void watch_memory(Overload& overload);
  std::optional<Response> hold_body(const boost::beast::http::request_header<>& header, std::size_t bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace og::server
