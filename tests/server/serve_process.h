// Tests of the real binary: an `orderguard serve` process (its stderr read until it says where
// it listens, and kept to the end), a one-shot HTTP call, and any other sub-command run to its
// exit with its output. Used by crash_test and privacy_test.
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

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

extern char** environ;

namespace og::server::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Spawns OG_BINARY with `args` (after the program name), stderr and stdout into a pipe.
inline pid_t spawn_binary(std::vector<std::string> args, int& output_fd) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  args.insert(args.begin(), OG_BINARY);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, OG_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  output_fd = pipe_fds[0];
  return pid;
}

// Reads `fd` until it ends, or until `until` returns true of what was read.
template <class Until>
inline void read_until(int fd, std::string& seen, Until until) {
  char buffer[4096];
  while (!until(seen)) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) break;
    seen.append(buffer, static_cast<std::size_t>(got));
  }
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a sub-command to its exit.
inline CommandResult run_binary(std::vector<std::string> args) {
  int fd = -1;
  const pid_t pid = spawn_binary(std::move(args), fd);
  CommandResult result;
  read_until(fd, result.output, [](const std::string&) { return false; });
  ::close(fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A serve process, started with `args` after "serve" (they must include --listen ...:0).
class ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> args) {
    args.insert(args.begin(), "serve");
    pid_ = spawn_binary(std::move(args), output_);
    read_until(output_, log_, [](const std::string& seen) {
      const std::size_t at = seen.find("listening on http://127.0.0.1:");
      return at != std::string::npos && seen.find('\n', at) != std::string::npos;
    });
    if (const std::size_t at = log_.find("listening on http://127.0.0.1:"); at != std::string::npos) {
      port_ = static_cast<std::uint16_t>(std::stoi(log_.substr(at + 30, log_.find('\n', at) - at - 30)));
    }
    EXPECT_NE(port_, 0) << log_;
  }
  ~ServeProcess() {
    if (pid_ > 0) kill_hard();
    if (output_ >= 0) ::close(output_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  void kill_hard() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // SIGTERM; the wait status. The rest of its output joins log().
  int stop() {
    ::kill(pid_, SIGTERM);
    read_until(output_, log_, [](const std::string&) { return false; });
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
  int output_ = -1;
  std::uint16_t port_ = 0;
  std::string log_;
};

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

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The admin token serve wrote at the first start of `data_dir`.
inline std::string admin_token(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "admin.token");
  std::string token;
  in >> token;
  return token;
}

}  // namespace og::server::test_support
