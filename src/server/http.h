// server/http: the HTTP/1.1 transport of `orderguard serve` (Boost.Beast on Asio, C++20
// coroutines): keep-alive connections, request limits, 100-continue, server-sent events.
// Knows nothing of OrderGuard: a Handler turns a request into a response or a stream.
// Owns: sockets, timeouts, the connection cap. Depends on: Boost.Beast only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace og::server {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct HttpLimits {
  std::size_t max_body_bytes = 32 << 20;     // a request body; larger: 413
  std::size_t max_header_bytes = 16 << 10;
  std::size_t max_connections = 1024;        // beyond: 503 and close (/healthz and /readyz still answer)
  std::uint32_t idle_timeout_s = 60;         // a keep-alive connection with nothing to read
  // From a new connection's start, or a request's first byte, to the end of its headers: a
  // client that sends its headers a byte at a time holds a connection this long, not idle_timeout_s.
  std::uint32_t header_timeout_s = 10;
};

// A stream of server-sent events: the handler returns one instead of a response; the
// transport writes the headers, then every chunk `next` produces until it returns false.
struct EventStream {
  // Waits for the next chunk (already in "event: ...\ndata: ...\n\n" form); false: the end.
  std::function<boost::asio::awaitable<bool>(std::string& chunk)> next;
  std::function<void()> close;  // the client went away
};

struct Reply {
  Response response;
  std::shared_ptr<EventStream> stream;  // set: an event stream, `response` holds its headers
};

using Handler = std::function<boost::asio::awaitable<Reply>(Request&)>;

// Request bodies held in memory, asked for before they are read (optional). `hold` gets the
// headers and the bytes about to be held (the declared length; for a chunked body, each
// growth as it arrives) and answers a refusal to send instead, or nothing. A refused body is
// read and dropped in small pieces, so the connection stays usable (unless the client waits
// for 100-continue: then the refusal goes at once and the connection closes). Every byte
// held is given back with `release` once the request is answered.
struct BodyGate {
  std::function<std::optional<Response>(const boost::beast::http::request_header<>& header, std::size_t bytes)> hold;
  std::function<void(std::size_t bytes)> release;
};

// The error body every endpoint uses: {"error":{"code":"...","message":"..."}}.
Response error_response(unsigned status, std::string_view code, std::string_view message);
Response json_response(unsigned status, std::string body);

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, Handler handler, HttpLimits limits, BodyGate gate = {});
  ~HttpServer();
  // Binds and starts accepting. Port 0 picks a free port; returns the bound port.
  std::uint16_t listen(const std::string& address, std::uint16_t port);
  void close();
  std::size_t connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace og::server
