// server/outbox: delivers the commands of the store's outbox at least once to each sink:
// an NDJSON file (appended and fsynced, one command per line) and/or a webhook (HTTP POST
// of the command JSON, `Idempotency-Key: <command id>`, retried with exponential backoff).
// A command is deleted from a sink's queue only after that sink has taken it, so a crash
// delivers it again (receivers deduplicate by id) and never loses it.
// Owns: the delivery thread and its own store connection. Depends on: store, Boost.Beast.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/service.h"
#include "store/store.h"

namespace og::server {

struct OutboxOptions {
  std::string file;          // NDJSON sink ("" = none)
  std::string webhook;       // http://host:port/path ("" = none); https is not spoken here
  DurationMs first_retry_ms = kSecondMs;
  DurationMs max_retry_ms = 5 * kMinuteMs;
  int batch = 500;
};

struct OutboxStats {
  std::uint64_t delivered_file = 0;
  std::uint64_t delivered_webhook = 0;
  std::uint64_t failures = 0;
  std::string last_error;
};

// The sink names Store::set_sinks needs for these options.
std::vector<std::string> outbox_sinks(const OutboxOptions& options);

class Outbox {
 public:
  // Errors: an unusable webhook URL, a file that cannot be opened.
  static store::Result<std::unique_ptr<Outbox>> open(const std::string& data_dir, OutboxOptions options,
                                                      const WallClock& clock);
  ~Outbox();
  void start();
  void stop();
  void poke();  // new commands are waiting
  // Delivers what is due now, once (the thread's loop body; tests call it directly).
  void deliver_due();
  OutboxStats stats() const;

 private:
  Outbox(OutboxOptions options, const WallClock& clock);
  bool post_webhook(const std::string& id, const std::string& json, std::string& error);
  OutboxOptions options_;
  const WallClock& clock_;
  std::unique_ptr<store::Store> store_;
  std::FILE* file_ = nullptr;
  std::string host_, port_, path_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread thread_;
  OutboxStats stats_;
};

}  // namespace og::server
