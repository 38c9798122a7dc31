#include "client/http_client.h"

#include <sys/socket.h>

#include <charconv>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace og::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

tl::expected<Endpoint, std::string> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return tl::unexpected("the URL must start with http:// (got " + std::string(url) + ")");
  url.remove_prefix(kScheme.size());
  url = url.substr(0, url.find('/'));
  const std::size_t colon = url.rfind(':');
  Endpoint endpoint;
  endpoint.host = std::string(url.substr(0, colon));
  if (endpoint.host.empty()) return tl::unexpected(std::string("the URL has no host"));
  if (colon == std::string_view::npos) {
    endpoint.port = 80;
    return endpoint;
  }
  const std::string_view port = url.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return tl::unexpected("the URL's port is not a port number: " + std::string(port));
  }
  endpoint.port = static_cast<std::uint16_t>(value);
  return endpoint;
}

namespace {

// The body is the caller's bytes, not a copy: the load generator sends slices of one file
// (a copy per POST of 200 KB was most of its CPU, in page faults). The request is written
// before send() returns.
using Request = http::request<http::span_body<const char>>;
Request make_request(http::verb verb, std::string_view target, const Endpoint& endpoint, const std::string& token,
                     std::string_view body, std::string_view content_type) {
  Request request{verb, target, 11};
  request.set(http::field::host, endpoint.host + ":" + std::to_string(endpoint.port));
  request.set(http::field::user_agent, "orderguard-client");
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  if (verb == http::verb::post || verb == http::verb::put) {
    request.set(http::field::content_type, content_type);
    request.body() = {body.data(), body.size()};
  }
  request.keep_alive(true);
  request.prepare_payload();
  return request;
}

}  // namespace

// ---- HttpClient -------------------------------------------------------------------------

struct HttpClient::Impl {
  Impl(Endpoint e, std::string t, std::chrono::milliseconds limit) : endpoint(std::move(e)), token(std::move(t)), timeout(limit) {}

  // Runs the io_context until the operation started by `start` completes (or times out:
  // the stream's own expiry cancels it).
  template <class Start>
  beast::error_code run(Start start) {
    beast::error_code result = asio::error::would_block;
    stream->expires_after(timeout);
    start([&result](beast::error_code ec, std::size_t) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  bool connect(std::string& error) {
    if (stream) return true;
    stream = std::make_unique<beast::tcp_stream>(io);
    tcp::resolver resolver(io);
    beast::error_code ec;
    const auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
    if (!ec) {
      ec = run([&](auto done) { stream->async_connect(results, [done](beast::error_code e, const tcp::endpoint&) mutable { done(e, 0); }); });
    }
    if (ec) {
      error = "cannot connect to " + endpoint.host + ":" + std::to_string(endpoint.port) + ": " + ec.message();
      stream.reset();
      return false;
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    buffer.clear();
    return true;
  }

  void drop() {
    if (!stream) return;
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
    stream.reset();
    in_flight = 0;
  }

  Endpoint endpoint;
  std::string token;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::size_t in_flight = 0;
};

HttpClient::HttpClient(Endpoint endpoint, std::string token, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(endpoint), std::move(token), timeout)) {}

HttpClient::~HttpClient() { impl_->drop(); }

void HttpClient::disconnect() { impl_->drop(); }

bool HttpClient::send(std::string_view method, std::string_view target, std::string_view body, std::string_view content_type,
                      std::string& error) {
  if (!impl_->connect(error)) return false;
  const http::verb verb = http::string_to_verb(method);
  auto request = make_request(verb, target, impl_->endpoint, impl_->token, body, content_type);
  const beast::error_code ec = impl_->run([&](auto done) { http::async_write(*impl_->stream, request, std::move(done)); });
  if (ec) {
    error = "sending " + std::string(method) + " " + std::string(target) + ": " + ec.message();
    impl_->drop();
    return false;
  }
  ++impl_->in_flight;
  return true;
}

HttpAnswer HttpClient::receive() {
  HttpAnswer answer;
  if (!impl_->stream || impl_->in_flight == 0) {
    answer.error = "no request is waiting for its answer";
    return answer;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ULL << 30);
  const beast::error_code ec = impl_->run([&](auto done) { http::async_read(*impl_->stream, impl_->buffer, parser, std::move(done)); });
  if (ec) {
    answer.error = "reading the answer: " + ec.message();
    impl_->drop();
    return answer;
  }
  --impl_->in_flight;
  auto response = parser.release();
  answer.status = response.result_int();
  answer.body = std::move(response.body());
  if (!response.keep_alive()) impl_->drop();
  return answer;
}

HttpAnswer HttpClient::get(std::string_view target) {
  HttpAnswer answer;
  if (!send("GET", target, {}, {}, answer.error)) return answer;
  return receive();
}

HttpAnswer HttpClient::post(std::string_view target, std::string_view body, std::string_view content_type) {
  HttpAnswer answer;
  if (!send("POST", target, body, content_type, answer.error)) return answer;
  return receive();
}

// ---- StreamReader -----------------------------------------------------------------------

StreamReader::StreamReader(Endpoint endpoint, std::string token, std::string target, OnMessage on_message,
                           std::function<void()> on_connected, std::function<void(std::string)> on_end)
    : endpoint_(std::move(endpoint)), token_(std::move(token)), target_(std::move(target)), on_message_(std::move(on_message)),
      on_connected_(std::move(on_connected)), on_end_(std::move(on_end)) {
  thread_ = std::thread([this] { run(); });
}

StreamReader::~StreamReader() { stop(); }

void StreamReader::stop() {
  stopping_ = true;
  // Wakes the blocked read: shutdown(2) is safe from another thread, unlike the socket object.
  if (const int fd = fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
}

void StreamReader::run() {
  asio::io_context io;
  tcp::socket socket(io);
  std::string failure;
  const auto finish = [&](std::string why) {
    fd_ = -1;
    beast::error_code ignored;
    socket.close(ignored);
    if (on_end_) on_end_(stopping_ ? std::string() : std::move(why));
  };
  beast::error_code ec;
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port), ec);
  if (!ec) asio::connect(socket, results, ec);
  if (ec) return finish("cannot connect to the event stream: " + ec.message());
  fd_ = socket.native_handle();
  if (stopping_) return finish({});
  auto request = make_request(http::verb::get, target_, endpoint_, token_, {}, {});
  request.set(http::field::accept, "text/event-stream");
  http::write(socket, request, ec);
  if (ec) return finish("cannot ask for the event stream: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> head;
  http::read_header(socket, buffer, head, ec);
  if (ec) return finish("the event stream did not answer: " + ec.message());
  if (head.get().result_int() != 200) {
    http::read(socket, buffer, head, ec);
    return finish("GET " + target_ + " answered " + std::to_string(head.get().result_int()) + ": " + head.get().body());
  }
  // The body is the stream itself: blocks of "field: value" lines ending with an empty line.
  std::string pending(static_cast<const char*>(buffer.data().data()), buffer.size());
  std::size_t scanned = 0;
  char chunk[64 << 10];
  for (;;) {
    std::size_t end;
    while ((end = pending.find("\n\n", scanned)) != std::string::npos) {
      std::string_view block(pending.data() + scanned, end - scanned);
      scanned = end + 2;
      std::string_view event = "message", data;
      bool comment_only = true;
      while (!block.empty()) {
        const std::size_t newline = block.find('\n');
        const std::string_view line = block.substr(0, newline);
        block.remove_prefix(newline == std::string_view::npos ? block.size() : newline + 1);
        if (line.starts_with(':')) {
          if (line == ": connected") {
            if (on_connected_) on_connected_();
          } else if (line != ": ping" && line.size() > 2) {
            on_message_({}, line.substr(2));
          }
          continue;
        }
        comment_only = false;
        if (line.starts_with("event: ")) event = line.substr(7);
        else if (line.starts_with("data: ")) data = line.substr(6);
      }
      if (!comment_only && !data.empty()) on_message_(event, data);
    }
    if (scanned > (1 << 20) || scanned == pending.size()) {
      pending.erase(0, scanned);
      scanned = 0;
    }
    const std::size_t got = socket.read_some(asio::buffer(chunk, sizeof chunk), ec);
    if (ec) return finish(ec == asio::error::eof ? "the server closed the event stream" : "the event stream broke: " + ec.message());
    pending.append(chunk, got);
  }
}

}  // namespace og::client
