// Helpers of the tests that run the real `orderguard serve` binary: the process (port read from
// its stderr), the admin token of its data directory, one request on a connection of its own.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

extern char** environ;

namespace og::server::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A serve process; its stderr is read until it says where it listens.
class ServeProcess {
 public:
  // `args`: serve's flags after --data and --listen.
  ServeProcess(const std::filesystem::path& dir, std::vector<std::string> flags) {
    int pipe_fds[2];
    EXPECT_EQ(::pipe(pipe_fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    const std::string data = (dir / "data").string();
    std::vector<std::string> args{OG_BINARY, "serve", "--data", data, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, OG_BINARY, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    stderr_ = pipe_fds[0];
    std::string seen;
    char buffer[512];
    for (;;) {
      const ssize_t got = ::read(stderr_, buffer, sizeof buffer);
      if (got <= 0) break;
      seen.append(buffer, static_cast<std::size_t>(got));
      const std::size_t at = seen.find("listening on http://127.0.0.1:");
      const std::size_t end = at == std::string::npos ? at : seen.find('\n', at);
      if (end != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::stoi(seen.substr(at + 30, end - at - 30)));
        break;
      }
    }
    log_ = seen;
    EXPECT_NE(port_, 0) << seen;
  }
  ~ServeProcess() {
    if (pid_ > 0) kill_hard();
    if (stderr_ >= 0) ::close(stderr_);
  }
  void kill_hard() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  int stderr_ = -1;
  std::uint16_t port_ = 0;
  std::string log_;
};

inline std::string admin_token(const std::filesystem::path& dir) {
  std::ifstream in(dir / "data" / "admin.token");
  std::string token;
  in >> token;
  return token;
}

inline http::request<http::string_body> make_request(http::verb verb, const std::string& target, const std::string& token,
                                              std::string body) {
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::authorization, "Bearer " + token);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

inline std::pair<unsigned, std::string> call(std::uint16_t port, http::verb verb, const std::string& target,
                                      const std::string& token, std::string body = {}) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  auto request = make_request(verb, target, token, std::move(body));
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  http::read(stream, buffer, parser);
  return {parser.get().result_int(), parser.get().body()};
}

}  // namespace og::server::testing
