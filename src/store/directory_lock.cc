#include "store/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace og::store {

namespace {

// "orderguard serve (process 123)" from the file's "123 serve".
std::string holder_of(int fd) {
  char held[64] = {};
  const ssize_t got = ::pread(fd, held, sizeof held - 1, 0);
  std::string text = got > 0 ? std::string(held, static_cast<std::size_t>(got)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const std::size_t space = text.find(' ');
  if (text.empty() || space == std::string::npos) return "another orderguard process";
  return "orderguard " + text.substr(space + 1) + " (process " + text.substr(0, space) + ")";
}

}  // namespace

tl::expected<DirectoryLock, std::string> DirectoryLock::take(const std::string& dir, std::string_view command) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return tl::unexpected("data directory " + dir + ": cannot create it (" + ec.message() + "); pass --data with a writable directory");
  const std::string path = (std::filesystem::path(dir) / "serve.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected("data directory " + dir + ": cannot open " + path + " (" + std::strerror(errno) + ")");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string message = error == EWOULDBLOCK
                              ? "data directory " + dir + " is in use by " + holder_of(fd) + ": stop it first" +
                                    (command == "serve" ? ", or give this serve a --data of its own" : "")
                              : "data directory " + dir + ": cannot lock " + path + " (" + std::strerror(error) + ")";
    ::close(fd);
    return tl::unexpected(std::move(message));
  }
  const std::string pid = std::to_string(::getpid()) + " " + std::string(command) + "\n";
  // The pid is only for the next one's message: a failure to write it costs nothing else.
  [[maybe_unused]] const bool noted =
      ::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
  return DirectoryLock(fd);
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor lets the flock go
}

}  // namespace og::store
