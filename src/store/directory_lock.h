// store/directory_lock: one `orderguard serve` per data directory. The engine's state lives in
// the process that journals it; a second serve on the same directory would recover the same
// journal, then append records of its own between the first one's, and neither engine would be
// the pure function of the journal that recovery relies on. SQLite's locks guard transactions,
// not that. Commands that only read or administer the store (tokens, audit verify) take no lock.
//
// An advisory flock(2) on DIR/serve.lock, held for the lock's life and let go by the kernel
// when the process ends however it ends, so a crash leaves nothing to clean up. The file holds
// the holder's pid, for the message the next one gets. Depends on nothing but POSIX.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace og::store {

class DirectoryLock {
 public:
  // `command` ("serve", "keys rotate") is written beside the pid, for the next one's message.
  // Errors name the directory, the command and pid that hold it, and what to do.
  static tl::expected<DirectoryLock, std::string> take(const std::string& dir, std::string_view command);

  DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace og::store
