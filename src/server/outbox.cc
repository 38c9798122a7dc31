#include "server/outbox.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace og::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// A process killed while it appended leaves the file's last line cut short; the next start
// would append straight after it, gluing two commands into one line a reader cannot parse.
// That line was never confirmed (the store still owes it, and sends it again whole), so the
// cut-off bytes go. A file that ends in '\n', or is empty, is left as it is.
tl::expected<void, std::string> drop_torn_line(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return {};  // not there yet: created on open
  std::fseek(file, 0, SEEK_END);
  const long size = std::ftell(file);
  long keep = size;
  char byte = '\n';
  // Back from the end to the last '\n' (a line is a command: a few hundred bytes).
  while (keep > 0) {
    std::fseek(file, keep - 1, SEEK_SET);
    if (std::fread(&byte, 1, 1, file) != 1 || byte == '\n') break;
    --keep;
  }
  std::fclose(file);
  if (keep == size) return {};
  if (::truncate(path.c_str(), keep) != 0) {
    return tl::unexpected("--outbox-file " + path + ": its last line is cut short (a crash while writing) and it cannot be trimmed");
  }
  return {};
}

}  // namespace

std::vector<std::string> outbox_sinks(const OutboxOptions& options) {
  std::vector<std::string> sinks;
  if (!options.file.empty()) sinks.emplace_back("file");
  if (!options.webhook.empty()) sinks.emplace_back("webhook");
  return sinks;
}

Outbox::Outbox(OutboxOptions options, const WallClock& clock) : options_(std::move(options)), clock_(clock) {}

Outbox::~Outbox() {
  stop();
  if (file_ != nullptr) std::fclose(file_);
}

store::Result<std::unique_ptr<Outbox>> Outbox::open(const std::string& data_dir, OutboxOptions options, const WallClock& clock) {
  std::unique_ptr<Outbox> outbox(new Outbox(std::move(options), clock));
  if (!outbox->options_.webhook.empty()) {
    std::string_view url = outbox->options_.webhook;
    if (!url.starts_with("http://")) {
      return tl::unexpected("--webhook " + outbox->options_.webhook + ": give an http:// URL (put a TLS proxy in front for https)");
    }
    url.remove_prefix(7);
    const std::size_t slash = url.find('/');
    const std::string_view authority = url.substr(0, slash);
    outbox->path_ = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    const std::size_t colon = authority.rfind(':');
    outbox->host_ = std::string(authority.substr(0, colon));
    outbox->port_ = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
    if (outbox->host_.empty()) return tl::unexpected("--webhook " + outbox->options_.webhook + ": no host");
  }
  if (!outbox->options_.file.empty()) {
    if (auto trimmed = drop_torn_line(outbox->options_.file); !trimmed) return tl::unexpected(trimmed.error());
    outbox->file_ = std::fopen(outbox->options_.file.c_str(), "ab");
    if (outbox->file_ == nullptr) {
      return tl::unexpected("--outbox-file " + outbox->options_.file + ": cannot open it for appending");
    }
  }
  auto store = store::Store::open(data_dir);
  if (!store) return tl::unexpected(store.error());
  outbox->store_ = std::move(*store);
  return outbox;
}

void Outbox::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "og-outbox");  // shows in top -H, perf, /proc/PID/task
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_ || poked_; });
      if (stopping_) break;
      poked_ = false;
      lock.unlock();
      deliver_due();
      lock.lock();
    }
  });
}

void Outbox::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  deliver_due();  // a graceful stop leaves nothing due behind
}

void Outbox::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_one();
}

OutboxStats Outbox::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool Outbox::post_webhook(const std::string& id, const std::string& json, std::string& error) {
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(resolver.resolve(host_, port_));
    http::request<http::string_body> request{http::verb::post, path_, 11};
    request.set(http::field::host, host_);
    request.set(http::field::content_type, "application/json");
    request.set("Idempotency-Key", id);
    request.body() = json;
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    if (response.result_int() >= 200 && response.result_int() < 300) return true;
    error = "webhook answered " + std::to_string(response.result_int());
  } catch (const std::exception& failure) {
    error = std::string("webhook: ") + failure.what();
  }
  return false;
}

void Outbox::deliver_due() {
  const TimeMs now = clock_.now_ms();
  if (file_ != nullptr) {
    for (;;) {
      auto due = store_->pending("file", now, options_.batch);
      if (!due || due->empty()) break;
      std::vector<std::string> ids;
      for (const store::PendingDelivery& item : *due) {
        std::fwrite(item.json.data(), 1, item.json.size(), file_);
        std::fputc('\n', file_);
        ids.push_back(item.id);
      }
      // On disk before the store forgets them.
      if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) {
        std::lock_guard lock(mutex_);
        ++stats_.failures;
        stats_.last_error = "outbox file: write failed";
        break;
      }
      if (!store_->mark_delivered("file", ids, now)) break;
      std::lock_guard lock(mutex_);
      stats_.delivered_file += ids.size();
      if (static_cast<int>(due->size()) < options_.batch) break;
    }
  }
  if (!host_.empty()) {
    auto due = store_->pending("webhook", now, options_.batch);
    if (!due) return;
    std::vector<std::string> delivered;
    for (const store::PendingDelivery& item : *due) {
      std::string failure;
      if (post_webhook(item.id, item.json, failure)) {
        delivered.push_back(item.id);
        continue;
      }
      const DurationMs backoff = std::min(options_.max_retry_ms, options_.first_retry_ms << std::min(item.attempts, 20));
      (void)store_->mark_failed("webhook", item.id, now + backoff, failure);
      std::lock_guard lock(mutex_);
      ++stats_.failures;
      stats_.last_error = failure;
      break;  // the receiver is likely down: the rest waits for the next round
    }
    if (store_->mark_delivered("webhook", delivered, now)) {
      std::lock_guard lock(mutex_);
      stats_.delivered_webhook += delivered.size();
    }
  }
}

}  // namespace og::server
