// client/http_client: the client side of `orderguard serve`'s HTTP API, for the demo and the
// load generator: a keep-alive connection that sends requests with the bearer token (one at a
// time, or several back to back: HTTP/1.1 pipelining), and a reader of the server-sent event
// stream (GET /v1/stream) on a thread of its own.
// Owns: sockets and timeouts of the client side. Depends on: Boost.Beast.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <tl/expected.hpp>

namespace og::client {

// "http://HOST:PORT" (a path after it is ignored). https is not spoken here.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};
tl::expected<Endpoint, std::string> parse_url(std::string_view url);

struct HttpAnswer {
  unsigned status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;    // the transport's error: connect, write, read, timeout
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

class HttpClient {
 public:
  HttpClient(Endpoint endpoint, std::string token, std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request and its answer. Connects on first use and after a failure.
  HttpAnswer get(std::string_view target);
  HttpAnswer post(std::string_view target, std::string_view body, std::string_view content_type = "application/json");

  // Pipelining: send() writes a request without waiting; receive() reads the oldest answer
  // not read yet. The server answers in order.
  bool send(std::string_view method, std::string_view target, std::string_view body, std::string_view content_type, std::string& error);
  HttpAnswer receive();
  void disconnect();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// GET /v1/stream on a thread of its own: `on_message(event, data)` for each server-sent
// event, and for each comment with `event` empty and the comment's text as `data` (": seq 12"
// gives "seq 12"; heartbeats are skipped), `on_connected()` once the server's greeting arrived
// (the subscription is in place from then on), `on_end(error)` when the stream ends.
class StreamReader {
 public:
  using OnMessage = std::function<void(std::string_view event, std::string_view data)>;
  StreamReader(Endpoint endpoint, std::string token, std::string target, OnMessage on_message,
               std::function<void()> on_connected, std::function<void(std::string)> on_end);
  ~StreamReader();  // stops and joins
  void stop();

 private:
  void run();
  Endpoint endpoint_;
  std::string token_, target_;
  OnMessage on_message_;
  std::function<void()> on_connected_;
  std::function<void(std::string)> on_end_;
  std::atomic<int> fd_ = -1;
  std::atomic<bool> stopping_ = false;
  std::thread thread_;
};

}  // namespace og::client
