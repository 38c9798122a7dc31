// server/http's connection limits and body framing over loopback (a real server on port 0, a
// trivial handler): a full server still answers health probes, a client that never finishes
// its headers is let go after header_timeout_s, and a body it cannot read is answered.
#include "server/http.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace og::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class HttpLimitsTest : public ::testing::Test {
 protected:
  void start(HttpLimits limits) {
    const Handler handler = [](Request&) -> asio::awaitable<Reply> { co_return Reply{json_response(200, "{}"), nullptr}; };
    server_ = std::make_unique<HttpServer>(io_, handler, limits);
    port_ = server_->listen("127.0.0.1", 0);
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->close();
    io_.stop();
    io_thread_.join();
  }

  std::unique_ptr<beast::tcp_stream> connect() {
    auto stream = std::make_unique<beast::tcp_stream>(client_io_);
    stream->expires_after(std::chrono::seconds(30));
    stream->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return stream;
  }
  static unsigned get(beast::tcp_stream& stream, const std::string& target) {
    http::request<http::string_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return response.result_int();
  }

  asio::io_context io_;
  asio::io_context client_io_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::thread io_thread_;
};

TEST_F(HttpLimitsTest, AFullServerStillAnswersHealthProbes) {
  HttpLimits limits;
  limits.max_connections = 1;
  start(limits);
  const auto held = connect();
  ASSERT_EQ(get(*held, "/v1/incidents"), 200U);  // answered, and kept alive: the one connection allowed
  const auto probe = connect();
  EXPECT_EQ(get(*probe, "/healthz"), 200U);
  EXPECT_EQ(get(*connect(), "/readyz"), 200U);
  EXPECT_EQ(get(*connect(), "/v1/incidents"), 503U);
  EXPECT_EQ(get(*held, "/v1/incidents"), 200U);  // the connection within the cap goes on
  // Far over the cap (64 more that say nothing), a connection is answered 503 before it
  // sends anything: idle sockets cannot pile up waiting for their headers.
  std::vector<std::unique_ptr<beast::tcp_stream>> silent;
  for (int i = 0; i < 64; ++i) silent.push_back(connect());
  const auto last = connect();
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(*last, buffer, response);
  EXPECT_EQ(response.result_int(), 503U);
}

TEST_F(HttpLimitsTest, HeadersNeverFinishedAreLetGoAfterTheHeaderTimeout) {
  HttpLimits limits;
  limits.header_timeout_s = 1;
  limits.idle_timeout_s = 3600;
  start(limits);
  const auto slow = connect();
  asio::write(slow->socket(), asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));  // no blank line, ever
  // Blocks until the server closes the connection (an hour if it waited for idle_timeout_s;
  // the receive timeout turns a hang into a failure).
  const timeval wait{30, 0};
  ::setsockopt(slow->socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  char byte = 0;
  boost::system::error_code error;
  asio::read(slow->socket(), asio::buffer(&byte, 1), error);
  EXPECT_EQ(error, asio::error::eof);
}

unsigned status_of(beast::tcp_stream& stream, const std::string& raw) {
  asio::write(stream.socket(), asio::buffer(raw));
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response.result_int();
}

TEST_F(HttpLimitsTest, BodiesItCannotReadAreAnsweredNotDropped) {
  start(HttpLimits{});
  const std::string head = "POST /v1/events HTTP/1.1\r\nHost: x\r\n";
  EXPECT_EQ(status_of(*connect(), head + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), 200U);
  EXPECT_EQ(status_of(*connect(), head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"), 400U);
  EXPECT_EQ(status_of(*connect(), head + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n"), 400U);
  EXPECT_EQ(status_of(*connect(), head + "Transfer-Encoding: gzip\r\n\r\nabc"), 501U);
  EXPECT_EQ(status_of(*connect(), head + "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), 501U);
}

}  // namespace
}  // namespace og::server
