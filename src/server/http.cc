#include "server/http.h"

#include <atomic>
#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "core/json_writer.h"
#include "core/messages.h"

namespace og::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Response json_response(unsigned status, std::string body) {
  Response response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  if (!body.empty() && body.back() != '\n') body.push_back('\n');
  response.body() = std::move(body);
  return response;
}

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  std::string body;
  JsonWriter json(body);
  json.begin_object().key("error").begin_object().field("code", code).field("message", valid_utf8(message)).end_object().end_object();
  return json_response(status, std::move(body));
}

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io_context, Handler request_handler, HttpLimits http_limits, BodyGate body_gate)
      : io(io_context), acceptor(io_context), handler(std::move(request_handler)), limits(http_limits), gate(std::move(body_gate)) {}

  // Body bytes a request holds (BodyGate), given back when it is answered or dropped.
  struct Held {
    const BodyGate& gate;
    std::size_t bytes = 0;
    ~Held() {
      if (bytes > 0 && gate.release) gate.release(bytes);
    }
  };

  // Reads a refused body whose length was declared and drops it, 16 KiB at a time.
  static asio::awaitable<bool> drop_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                         http::request_parser<http::string_body>& parser) {
    http::request_parser<http::buffer_body> sink{std::move(parser)};
    char chunk[16 << 10];
    while (!sink.is_done()) {
      sink.get().body().data = chunk;
      sink.get().body().size = sizeof chunk;
      auto [ec, n] = co_await http::async_read(stream, buffer, sink, kTuple);
      if (ec == http::error::need_buffer) continue;
      if (ec) co_return false;
    }
    co_return true;
  }

  // Reads and drops the `bytes` of a body refused for its declared length, after the 413, so
  // that a client that writes its whole body before it reads (urllib, HttpURLConnection)
  // reads the answer instead of meeting a reset. Up to kMaxDrainBytes, for kDrainSeconds.
  static constexpr std::uint64_t kMaxDrainBytes = std::uint64_t{256} << 20;
  static constexpr int kDrainSeconds = 10;
  static constexpr std::size_t kReadAhead = 16 << 10;  // what one read of a waiting keep-alive connection takes
  static constexpr std::size_t kProbeRoom = 64;        // connections over the cap that may still ask /healthz
  static constexpr std::uint32_t kProbeSeconds = 2;    // for their headers
  static Response busy_response() {
    Response busy = error_response(503, "too_many_connections",
                                   "the server holds its maximum of connections; retry shortly or reuse a keep-alive connection");
    busy.set(http::field::retry_after, "1");
    return busy;
  }
  static asio::awaitable<bool> drain(beast::tcp_stream& stream, beast::flat_buffer& buffer, std::uint64_t bytes) {
    const std::size_t buffered = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, buffer.size()));
    buffer.consume(buffered);
    bytes -= buffered;
    char chunk[16 << 10];
    while (bytes > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, sizeof chunk));
      auto [ec, n] = co_await asio::async_read(stream, asio::buffer(chunk, want), kTuple);
      if (ec) co_return false;
      bytes -= n;
    }
    co_return true;
  }

  // Reads a chunked body, holding it as it grows; on a refusal, drops the rest.
  asio::awaitable<std::optional<Response>> read_chunked(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                        http::request_parser<http::string_body>& parser, Held& held,
                                                        beast::error_code& ec) {
    std::optional<Response> refused;
    while (!parser.is_done()) {
      std::size_t n = 0;
      std::tie(ec, n) = co_await http::async_read_some(stream, buffer, parser, kTuple);
      if (ec) co_return refused;
      std::string& body = parser.get().body();
      if (refused) {
        body.clear();
      } else if (body.size() > held.bytes) {
        refused = gate.hold(parser.get(), body.size() - held.bytes);
        if (refused) {
          body.clear();
          body.shrink_to_fit();
        } else {
          held.bytes = body.size();
        }
      }
    }
    co_return refused;
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
        // Out of descriptors: retrying at once would spin; connections closing free some.
        asio::steady_timer pause(io, std::chrono::milliseconds(100));
        co_await pause.async_wait(kTuple);
        continue;
      }
      if (ec) continue;  // a client that vanished mid-handshake ...: keep accepting
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io, session(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<bool> write(beast::tcp_stream& stream, Response& response, bool keep_alive) {
    response.keep_alive(keep_alive);
    response.prepare_payload();
    stream.expires_after(std::chrono::seconds(limits.idle_timeout_s));
    auto [ec, bytes] = co_await http::async_write(stream, response, kTuple);
    co_return !ec;
  }

  asio::awaitable<void> session(beast::tcp_stream stream) {
    auto self = shared_from_this();
    struct Count {
      std::atomic<std::size_t>& n;
      explicit Count(std::atomic<std::size_t>& counter) : n(counter) { ++n; }
      ~Count() { --n; }
    } count(open_connections);
    beast::flat_buffer buffer;
    // Over the cap, one request is still read, briefly: a health probe must answer when the
    // server is full (a monitor would otherwise take a busy server for a dead one); any other
    // gets 503. Far over it (kProbeRoom more), nothing is read: 503 at once, as before.
    const bool over_cap = open_connections > limits.max_connections;
    if (open_connections > limits.max_connections + kProbeRoom) {
      Response busy = busy_response();
      co_await write(stream, busy, false);
      co_return;
    }
    for (bool first = true;; first = false) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(limits.max_body_bytes);
      parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
      if (!first && buffer.size() == 0) {
        // Keep-alive: the next request may be a while coming; once it starts, its headers
        // have header_timeout_s.
        stream.expires_after(std::chrono::seconds(limits.idle_timeout_s));
        auto [wait_ec, got] = co_await stream.async_read_some(buffer.prepare(kReadAhead), kTuple);
        if (wait_ec) break;
        buffer.commit(got);
      }
      stream.expires_after(std::chrono::seconds(over_cap ? std::min<std::uint32_t>(limits.header_timeout_s, kProbeSeconds) : limits.header_timeout_s));
      auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, kTuple);
      if (header_ec) {
        if (header_ec == http::error::body_limit) {
          // The declared length is over the limit: the parser checks it with the header (and
          // is not to be asked its content_length() after that error, so the field is read).
          const auto field = parser.get()[http::field::content_length];
          std::uint64_t declared = 0;
          const bool known = std::from_chars(field.data(), field.data() + field.size(), declared).ec == std::errc();
          Response too_big = error_response(413, "body_too_large",
                                            "the body is " + (known ? std::to_string(declared) + " bytes" : std::string("larger")) +
                                                "; the limit is " + std::to_string(limits.max_body_bytes) +
                                                ": send the events in smaller batches");
          // Answer first, then drop what the client still sends (for a few seconds, up to
          // kMaxDrainBytes) before closing: one that writes its whole body before it reads
          // then gets the answer, not a reset. Waiting for 100-continue, it sends nothing.
          const bool waits = beast::iequals(parser.get()[http::field::expect], "100-continue");
          if (co_await write(stream, too_big, false) && !waits && known && declared <= kMaxDrainBytes) {
            stream.expires_after(std::chrono::seconds(kDrainSeconds));
            co_await drain(stream, buffer, declared);
          }
        } else if (header_ec == http::error::header_limit) {
          Response too_big = error_response(431, "headers_too_large", "the request headers exceed the limit");
          co_await write(stream, too_big, false);
        } else if (header_ec != http::error::end_of_stream && header_ec != beast::error::timeout &&
                   header_ec != asio::error::connection_reset && header_ec != asio::error::eof) {
          Response bad = error_response(400, "bad_request", std::string("not a valid HTTP request: ") + header_ec.message());
          co_await write(stream, bad, false);
        }
        break;
      }
      if (over_cap) {
        const std::string_view target = parser.get().target();
        if (target != "/healthz" && target != "/readyz") {
          Response busy = busy_response();
          co_await write(stream, busy, false);
          break;
        }
      }
      if (const auto coding = parser.get()[http::field::transfer_encoding]; !coding.empty() && !beast::iequals(coding, "chunked")) {
        // RFC 9112 §6.1: a coding the server does not understand is 501. Beast reads only the
        // chunking, and a body taken past "gzip" would be read as if it were plain.
        Response unsupported = error_response(501, "unsupported_transfer_encoding",
                                              "Transfer-Encoding " + std::string(coding) +
                                                  ": only chunked is understood; send the body plain or chunked");
        co_await write(stream, unsupported, false);
        break;
      }
      stream.expires_after(std::chrono::seconds(limits.idle_timeout_s));  // the body: as long as before
      // A declared length over the limit failed the header read above (body_limit).
      const auto length = parser.content_length();
      const bool expects_continue = beast::iequals(parser.get()[http::field::expect], "100-continue");
      Held held{gate};
      if (gate.hold && length && *length > 0) {
        if (auto refused = gate.hold(parser.get(), static_cast<std::size_t>(*length))) {
          const bool keep = parser.get().keep_alive() && !expects_continue;
          // Waiting for 100-continue, the client has not sent the body: answer and close.
          if (!expects_continue && !co_await drop_body(stream, buffer, parser)) break;
          if (!co_await write(stream, *refused, keep) || !keep) break;
          continue;
        }
        held.bytes = static_cast<std::size_t>(*length);
      }
      if (expects_continue) {
        http::response<http::empty_body> proceed{http::status::continue_, 11};
        auto [ec, n] = co_await http::async_write(stream, proceed, kTuple);
        if (ec) break;
      }
      beast::error_code body_ec;
      if (gate.hold && !length && !parser.is_done()) {
        if (auto refused = co_await read_chunked(stream, buffer, parser, held, body_ec); refused && !body_ec) {
          const bool keep = parser.get().keep_alive();
          if (!co_await write(stream, *refused, keep) || !keep) break;
          continue;
        }
      } else if (length && *length > 0 && !parser.is_done()) {
        // A declared length: read straight into the body (the parser reserved it), not
        // through `buffer` and the parser's copy of every byte. What the header read took
        // past the header is the body's start; bytes beyond it (a pipelined request) stay.
        std::string& body = parser.get().body();
        const std::size_t size = static_cast<std::size_t>(*length);
        body.resize(size);
        const std::size_t have = asio::buffer_copy(asio::buffer(body.data(), size), buffer.data());
        buffer.consume(have);
        if (have < size) {
          std::size_t body_bytes = 0;
          std::tie(body_ec, body_bytes) = co_await asio::async_read(stream, asio::buffer(body.data() + have, size - have), kTuple);
        }
      } else {
        std::size_t body_bytes = 0;
        std::tie(body_ec, body_bytes) = co_await http::async_read(stream, buffer, parser, kTuple);
      }
      if (body_ec) {
        if (body_ec == http::error::body_limit) {
          Response too_big = error_response(413, "body_too_large",
                                            "the body exceeds " + std::to_string(limits.max_body_bytes) +
                                                " bytes: send the events in smaller batches");
          co_await write(stream, too_big, false);
        } else if (body_ec.category() == beast::error_code(http::error::bad_chunk).category() && body_ec != http::error::end_of_stream &&
                   body_ec != http::error::partial_message) {
          // A body the parser refuses (a chunk size that is not hex, overflows or lies): the
          // client hears why instead of a closed connection.
          Response bad = error_response(400, "bad_request", std::string("not a valid HTTP body: ") + body_ec.message());
          co_await write(stream, bad, false);
        }
        break;
      }
      Request request = parser.release();
      const bool keep_alive = request.keep_alive();
      Reply reply = co_await handler(request);
      if (reply.stream) {
        co_await stream_events(stream, reply);
        break;
      }
      if (!co_await write(stream, reply.response, keep_alive && !over_cap) || !keep_alive || over_cap) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> stream_events(beast::tcp_stream& stream, Reply& reply) {
    http::response<http::empty_body> head{http::status::ok, 11};
    for (const auto& field : reply.response) head.set(field.name_string(), field.value());
    head.set(http::field::content_type, "text/event-stream; charset=utf-8");
    head.set(http::field::cache_control, "no-store");
    head.keep_alive(false);
    http::response_serializer<http::empty_body> serializer{head};
    stream.expires_never();
    auto [ec, n] = co_await http::async_write_header(stream, serializer, kTuple);
    std::string chunk;
    while (!ec && co_await reply.stream->next(chunk)) {
      std::tie(ec, n) = co_await asio::async_write(stream, asio::buffer(chunk), kTuple);
    }
    reply.stream->close();
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  Handler handler;
  HttpLimits limits;
  BodyGate gate;
  std::atomic<std::size_t> open_connections = 0;
};

HttpServer::HttpServer(asio::io_context& io, Handler handler, HttpLimits limits, BodyGate gate)
    : impl_(std::make_shared<Impl>(io, std::move(handler), limits, std::move(gate))) {}

HttpServer::~HttpServer() { close(); }

std::uint16_t HttpServer::listen(const std::string& address, std::uint16_t port) {
  const tcp::endpoint endpoint(asio::ip::make_address(address), port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::close() {
  beast::error_code ignored;
  if (impl_->acceptor.is_open()) impl_->acceptor.close(ignored);
}

std::size_t HttpServer::connections() const { return impl_->open_connections; }

}  // namespace og::server
