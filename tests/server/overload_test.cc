// Overload of the real binary (docs/serve.md "Overload"): `orderguard serve --max-memory 320`
// is measured with a short calibration run, then hit by a storm from many connections on
// loopback: a burst of batches over the body budget at once, then about three times what it
// drains (the calibration's rate, or the storm's own when faster), for a fixed number of batches.
// It must refuse some with 429 and a Retry-After, never answer 5xx, keep answering reads, stay
// under its memory cap (VmHWM), and in the end hold every event of every batch it acknowledged:
// the client sends a refused batch again once its Retry-After has passed, so everything gets in.
// Prints the figures of the README's HTTP section.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/time.h"
#include "events/parser.h"
#include "server/overload.h"
#include "../sim/sim_test_util.h"
#include "serve_process.h"

namespace og::server {
namespace {

using test_support::admin_token;
using test_support::ServeProcess;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

// More connections than the burst has batches, so it is offered at once. A refused batch comes
// back after its Retry-After (1 s at least), when the rest of the storm is in.
// A batch that comes back minutes of event time late makes the engine raise incidents the ordered
// day does not have (timeouts of its orders, then their retractions), and what the server holds
// for them (about 4.5 KB each beside the engine) is state the resident-memory brake cannot shed;
// it only refuses new ingest (docs/serve.md, "Overload"). With the day's own times the peak went
// from 40 to 320 MiB run to run, by how many batches came back late. So the test's day is pressed
// into kDaySpanMs of event time: a refused batch is then less late than any deadline, and what is
// measured is the brake, not the lateness.
constexpr std::size_t kMaxMemoryMb = 320;
constexpr std::size_t kConnections = 34;
constexpr std::size_t kBatches = 80;
constexpr std::size_t kCalibration = 6;
// The body budget is 1/16 of the cap: the storm opens with 5/4 of it at once, so some must wait.
constexpr std::size_t kBurstBytes = (kMaxMemoryMb << 20) / 16 * 5 / 4;
// Under PAID_NO_ORDER's 2 min, the shortest deadline, less the 10 s bound: a payment applied before
// its order, which comes back late, never times out.
constexpr TimeMs kDaySpanMs = 100 * kSecondMs;

struct Answer {
  unsigned status = 0;
  std::string body;
  std::string retry_after;
};

// One keep-alive connection.
class Connection {
 public:
  Connection(std::uint16_t port, std::string token) : stream_(io_), token_(std::move(token)) {
    stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  Answer send(http::verb verb, const std::string& target, std::string body = {}) {
    auto request = test_support::make_request(verb, target, token_, std::move(body));
    http::write(stream_, request);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream_, buffer_, parser);
    return Answer{parser.get().result_int(), parser.get().body(), std::string(parser.get()[http::field::retry_after])};
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string token_;
};

// The value of a metric's line in Prometheus text.
std::string gauge(const std::string& metrics, std::string_view name_and_labels) {
  const std::size_t at = metrics.find(name_and_labels);
  if (at == std::string::npos) return "?";
  const std::size_t from = at + name_and_labels.size();
  return metrics.substr(from, metrics.find('\n', from) - from);
}

// {"accepted":N,...}: the answer's first field.
std::int64_t accepted_of(const std::string& body) {
  constexpr std::string_view kKey = "{\"accepted\":";
  if (!body.starts_with(kKey)) return -1;
  return std::stoll(body.substr(kKey.size()));
}

// Batches handed out at the offered rate, and again after a refusal's Retry-After. The rate is
// three times the faster of the calibration and what the storm drained in its last quarter
// second (acknowledged bytes): one request at a time, each waits for its own commit, while the
// storm's rounds share theirs, so the calibration alone was once a third of what the server
// drained, and three times it overloaded nothing. Measured as it goes, the offer rises to
// three times what the server really drains.
class Schedule {
 public:
  // The first batches, up to `burst_bytes`, are due at once.
  Schedule(std::vector<std::size_t> sizes, double calibrated_bytes_per_s, std::size_t burst_bytes)
      : sizes_(std::move(sizes)), calibrated_(calibrated_bytes_per_s), burst_bytes_(burst_bytes), start_(Clock::now()),
        next_fresh_at_(start_) {}
  // The next batch once it is due; nullopt when every batch was acknowledged.
  std::optional<std::size_t> next() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (acknowledged_ == sizes_.size()) return std::nullopt;
      const Clock::time_point now = Clock::now();
      const auto retry = std::min_element(retries_.begin(), retries_.end());
      if (retry != retries_.end() && retry->first <= now) {
        const std::size_t batch = retry->second;
        retries_.erase(retry);
        return batch;
      }
      if (fresh_ < sizes_.size() && next_fresh_at_ <= now) {
        const std::size_t batch = fresh_++;
        if (burst_offered_ < burst_bytes_) {
          burst_offered_ += sizes_[batch];
          return batch;
        }
        const double seconds = static_cast<double>(sizes_[batch]) / (3 * drain_bytes_per_s(now));
        next_fresh_at_ = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
        return batch;
      }
      // The offered rate and Retry-After are times by definition: the load generator keeps them.
      std::optional<Clock::time_point> wake;
      if (retry != retries_.end()) wake = retry->first;
      if (fresh_ < sizes_.size()) wake = wake ? std::min(*wake, next_fresh_at_) : next_fresh_at_;
      if (wake) {
        wake_.wait_until(lock, *wake);
      } else {
        wake_.wait(lock);
      }
    }
  }
  void acknowledged(std::size_t batch) {
    std::lock_guard lock(mutex_);
    ++acknowledged_;
    drained_.push_back({Clock::now(), sizes_[batch]});
    wake_.notify_all();
  }
  void refused(std::size_t batch, std::chrono::seconds retry_after) {
    std::lock_guard lock(mutex_);
    retries_.push_back({Clock::now() + retry_after, batch});
    wake_.notify_all();
  }
  // Three times this is the offered rate now.
  double drain_bytes_per_s() {
    std::lock_guard lock(mutex_);
    return drain_bytes_per_s(Clock::now());
  }

 private:
  double drain_bytes_per_s(Clock::time_point now) const {
    constexpr auto kWindow = std::chrono::milliseconds(250);
    const double seconds = std::chrono::duration<double>(std::min<Clock::duration>(now - start_, kWindow)).count();
    std::size_t bytes = 0;
    for (const auto& [at, size] : drained_) bytes += at + kWindow > now ? size : 0;
    return seconds > 0 ? std::max(calibrated_, static_cast<double>(bytes) / seconds) : calibrated_;
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  const std::vector<std::size_t> sizes_;
  const double calibrated_;
  const std::size_t burst_bytes_;
  const Clock::time_point start_;
  std::size_t fresh_ = 0;  // batches below this went out at least once
  std::size_t burst_offered_ = 0;
  Clock::time_point next_fresh_at_;
  std::vector<std::pair<Clock::time_point, std::size_t>> retries_;
  std::size_t acknowledged_ = 0;
  std::vector<std::pair<Clock::time_point, std::size_t>> drained_;  // acknowledgments: when, bytes
};

TEST(OverloadLimits, BodiesOverTheBudgetAndMemoryOverTheMarkAreRefused) {
  const OverloadLimits shares = OverloadLimits::for_cap(std::size_t{256} << 20);
  EXPECT_EQ(shares.body_budget_bytes, std::size_t{16} << 20);
  EXPECT_EQ(shares.high_water_bytes, std::size_t{160} << 20);
  double drain = 0;
  Overload overload(OverloadLimits{std::size_t{64} << 20, 1000, std::size_t{1} << 40}, [&drain] { return drain; });
  EXPECT_FALSE(overload.hold(5000));  // alone, a body larger than the budget is taken
  const auto refused = overload.hold(10);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->retry_after_s, 1U);  // no drain rate known yet
  EXPECT_FALSE(overload.hold(10, true));  // not ingest: held and counted, never refused
  overload.release(5010);
  EXPECT_FALSE(overload.hold(600));
  EXPECT_FALSE(overload.hold(400));  // exactly the budget
  drain = 100;  // bytes per second: 1400 bytes wait for 14 s
  EXPECT_EQ(overload.hold(400)->retry_after_s, 14U);
  drain = 1;
  EXPECT_EQ(overload.hold(400)->retry_after_s, 60U);  // clamped
  EXPECT_EQ(overload.refused(OverloadReason::kBodies), 3U);
  EXPECT_FALSE(overload.memory_refusal());  // far below a 1 TiB mark
  EXPECT_EQ(overload.held_bytes_max(), 5010U);
  // A mark below what this process already holds: ingest refused, for at least 5 s.
  Overload full(OverloadLimits{std::size_t{2} << 20, 1000, 1 << 20}, [] { return 0.0; });
  EXPECT_TRUE(full.memory_high());
  const auto memory = full.memory_refusal();
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->reason, OverloadReason::kMemory);
  EXPECT_EQ(memory->retry_after_s, 5U);
  EXPECT_GT(resident_bytes(), std::size_t{1} << 20);
  EXPECT_GE(peak_resident_bytes(), resident_bytes() / 2);
}

TEST(OverloadTest, AStormOverTheBodyBudgetIsRefusedWithRetryAfterLosesNothingAcknowledgedAndStaysUnderTheCap) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("og-overload-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // A simulated day in batches of about 1 MiB; no noise, so every line is one new event. The lines
  // keep their order, and their times are spread evenly over kDaySpanMs from the day's start.
  auto config = sim::testing::config_for(24000, 9, sim::Platform::kGrocery);
  config.noise_rate = 0;
  const auto day = sim::testing::run_sim(config);
  std::vector<std::vector<std::string_view>> batch_lines(1);
  std::size_t batch_bytes = 0;
  for_each_line(day.events, [&](std::size_t, std::string_view line) {
    if (batch_lines.size() > kBatches) return;
    batch_lines.back().push_back(line);
    if ((batch_bytes += line.size() + 1) >= (1 << 20)) {
      batch_lines.emplace_back();
      batch_bytes = 0;
    }
  });
  ASSERT_GT(batch_lines.size(), kBatches);
  batch_lines.resize(kBatches);  // a fixed amount of work
  std::size_t total_lines = 0;
  for (const auto& in_batch : batch_lines) total_lines += in_batch.size();
  std::vector<std::string> batches;
  std::size_t line_index = 0;
  for (const auto& in_batch : batch_lines) {
    std::string& text = batches.emplace_back();
    for (const std::string_view line : in_batch) {
      constexpr std::string_view kTs = "\"ts\":\"";
      const std::size_t ts_at = line.find(kTs);
      ASSERT_NE(ts_at, std::string_view::npos) << line;
      const std::size_t ts_end = line.find('"', ts_at + kTs.size());
      const TimeMs ts = config.start_ms + static_cast<TimeMs>(line_index++) * kDaySpanMs / static_cast<TimeMs>(total_lines);
      text.append(line.substr(0, ts_at)).append("\"ts\":").append(std::to_string(ts)).append(line.substr(ts_end + 1)).push_back('\n');
    }
  }
  std::size_t total_bytes = 0;
  for (const std::string& text : batches) total_bytes += text.size();

  const std::string data = (dir / "data").string();
  ServeProcess server({"--data", data, "--listen", "127.0.0.1:0", "--max-memory", std::to_string(kMaxMemoryMb), "--quiet-after", "24h"});
  const std::string token = admin_token(dir / "data");

  // Calibration: the first batches, one at a time on one connection: what the server drains.
  std::int64_t accepted_total = 0;
  const auto calibration_start = Clock::now();
  {
    Connection connection(server.port(), token);
    for (std::size_t i = 0; i < kCalibration; ++i) {
      const Answer answer = connection.send(http::verb::post, "/v1/events", batches[i]);
      ASSERT_EQ(answer.status, 200U) << answer.body;
      accepted_total += accepted_of(answer.body);
    }
  }
  const double calibration_s = std::chrono::duration<double>(Clock::now() - calibration_start).count();
  const std::size_t calibrated_rss = peak_resident_bytes(server.pid());
  std::size_t calibration_bytes = 0;
  for (std::size_t i = 0; i < kCalibration; ++i) calibration_bytes += batches[i].size();
  const double capacity_bytes_per_s = static_cast<double>(calibration_bytes) / calibration_s;

  // The storm: the other batches offered at 3x what the server drains, from many connections.
  const std::size_t storm = batches.size() - kCalibration;
  std::vector<std::size_t> storm_sizes;
  for (std::size_t i = 0; i < storm; ++i) storm_sizes.push_back(batches[kCalibration + i].size());
  Schedule schedule(std::move(storm_sizes), capacity_bytes_per_s, kBurstBytes);
  std::atomic<std::size_t> posts = 0, refused = 0, refused_without_retry_after = 0, errors_5xx = 0, other = 0;
  std::atomic<std::int64_t> accepted_storm = 0;
  std::atomic<bool> storming = true;
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  const auto storm_start = Clock::now();
  std::vector<std::thread> senders;
  for (std::size_t c = 0; c < kConnections; ++c) {
    senders.emplace_back([&] {
      try {
        Connection connection(server.port(), token);
        while (const auto next = schedule.next()) {
          ++posts;
          const Answer answer = connection.send(http::verb::post, "/v1/events", batches[kCalibration + *next]);
          if (answer.status == 200) {
            accepted_storm += accepted_of(answer.body);
            schedule.acknowledged(*next);
          } else if (answer.status == 429) {
            ++refused;
            int seconds = 0;
            if (answer.retry_after.empty() || (seconds = std::stoi(answer.retry_after)) < 1) ++refused_without_retry_after;
            schedule.refused(*next, std::chrono::seconds(std::max(seconds, 1)));
          } else {
            ++(answer.status >= 500 ? errors_5xx : other);
            std::lock_guard lock(failures_mutex);
            failures.push_back(std::to_string(answer.status) + " " + answer.body);
            schedule.refused(*next, std::chrono::seconds(1));
          }
        }
      } catch (const std::exception& error) {
        std::lock_guard lock(failures_mutex);
        failures.push_back(std::string("client: ") + error.what());
      }
    });
  }
  // Reads go on during the storm.
  std::size_t reads = 0, reads_ok = 0;
  {
    Connection reader(server.port(), token);
    while (storming) {
      const Answer answer = reader.send(http::verb::get, "/v1/incidents?limit=5");
      ++reads;
      reads_ok += answer.status == 200;
      if (reads >= 20) break;  // enough reads to show they are answered; the storm goes on
    }
  }
  for (std::thread& sender : senders) sender.join();
  storming = false;
  const double storm_s = std::chrono::duration<double>(Clock::now() - storm_start).count();

  // The day's end: a tick past the last event by the bound, so the events still waiting for the
  // watermark are applied (far from any deadline).
  const std::string tick = R"({"id":"overload-end","type":"clock.tick","ts":)" +
                           std::to_string(config.start_ms + kDaySpanMs + 11 * kSecondMs) + "}\n";
  const auto [tick_status, tick_answer] = test_support::call(server.port(), http::verb::post, "/v1/events", token, tick);
  EXPECT_EQ(tick_status, 200U) << tick_answer;

  // Afterwards: the server holds every event it acknowledged (each batch was acknowledged once).
  const auto [metrics_status, metrics] = test_support::call(server.port(), http::verb::get, "/metrics", token);
  EXPECT_NE(metrics.find("orderguard_overload{name=\"ingest_refused_bodies\"} " + std::to_string(refused.load()) + "\n"),
            std::string::npos) << metrics;
  const std::size_t peak_rss = peak_resident_bytes(server.pid());
  {
    std::lock_guard lock(failures_mutex);
    EXPECT_TRUE(failures.empty()) << failures.front();
  }
  EXPECT_EQ(errors_5xx.load(), 0U);
  EXPECT_EQ(other.load(), 0U);
  EXPECT_GT(refused.load(), 0U) << "5/4 of the body budget at once, then 3x the capacity, and nothing was refused";
  EXPECT_EQ(refused_without_retry_after.load(), 0U);
  // The brake itself: 5/4 of the budget came at once, and the server never held more than it.
  const std::string held_max = gauge(metrics, "orderguard_overload{name=\"body_bytes_held_max\"} ");
  const std::string budget = gauge(metrics, "orderguard_overload{name=\"body_budget_bytes\"} ");
  ASSERT_NE(held_max, "?") << metrics;
  ASSERT_NE(budget, "?") << metrics;
  EXPECT_LE(std::stod(held_max), std::stod(budget));
  EXPECT_GT(std::stod(held_max), std::stod(budget) / 2);
  EXPECT_EQ(accepted_total + accepted_storm.load(), static_cast<std::int64_t>(total_lines));
  EXPECT_EQ(reads, reads_ok);
  EXPECT_GT(reads, 0U);
  // The orders the engine knows are the orders of the batches sent (all of them, acknowledged).
  std::set<std::string> sent_orders;
  for (const std::string& text : batches) {
    for_each_line(text, [&](std::size_t, std::string_view line) {
      if (const auto at = line.find("\"order_id\":\""); at != std::string_view::npos) {
        sent_orders.emplace(line.substr(at + 12, line.find('"', at + 12) - at - 12));
      }
    });
  }
  EXPECT_NE(metrics.find("orderguard_state{name=\"orders\"} " + std::to_string(sent_orders.size()) + "\n"), std::string::npos)
      << sent_orders.size() << " orders sent\n" << metrics;
  EXPECT_GT(peak_rss, 0U);
  EXPECT_LT(peak_rss, kMaxMemoryMb << 20) << "VmHWM " << (peak_rss >> 20) << " MiB over the cap of " << kMaxMemoryMb << " MiB";

  const double offered_bytes_per_s = 3 * schedule.drain_bytes_per_s();  // at the end of the storm
  std::printf("overload: --max-memory %zu MiB; capacity %.1f MiB/s (%.0f events/s, calibration %zu x %.1f MiB); offered "
              "%.1f MiB/s from %zu connections; %zu of %zu POSTs refused 429 (%.0f%%), all retried after Retry-After; "
              "%zu events in %.1f s; %s incidents; bodies held at most %.1f MiB (budget %.0f); peak RSS %.1f MiB (%.1f MiB after calibration); %zu reads answered during the storm\n",
              kMaxMemoryMb, capacity_bytes_per_s / (1 << 20),
              capacity_bytes_per_s * static_cast<double>(total_lines) / static_cast<double>(total_bytes), kCalibration,
              static_cast<double>(calibration_bytes) / kCalibration / (1 << 20), offered_bytes_per_s / (1 << 20),
              kConnections, refused.load(), posts.load(), 100.0 * static_cast<double>(refused) / static_cast<double>(posts),
              total_lines, storm_s, gauge(metrics, "orderguard_state{name=\"incidents\"} ").c_str(),
              std::stod(held_max) / (1 << 20), std::stod(budget) / (1 << 20), static_cast<double>(peak_rss) / (1 << 20), static_cast<double>(calibrated_rss) / (1 << 20), reads_ok);
  EXPECT_EQ(server.stop(), 0);
  std::filesystem::remove_all(dir);
}

// The resident-memory brake of the real binary: with a cap so small that the process at rest
// is already above its high-water mark (5/8 of 8 MiB: 5 MiB, against about 10 MiB resident), ingest
// is refused with 429, a Retry-After and a message saying why; readiness says overloaded; the
// process stays alive and reads go on; nothing of the refused batch is stored.
TEST(OverloadTest, ResidentMemoryAboveTheMarkRefusesIngestButNotReads) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("og-overload-memory-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string data = (dir / "data").string();
  ServeProcess server({"--data", data, "--listen", "127.0.0.1:0", "--max-memory", "8", "--quiet-after", "24h"});
  const std::string token = admin_token(dir / "data");
  ASSERT_FALSE(token.empty()) << server.log();
  Connection connection(server.port(), token);

  const Answer ready = connection.send(http::verb::get, "/readyz");
  EXPECT_EQ(ready.status, 503U) << ready.body;
  EXPECT_NE(ready.body.find("overloaded"), std::string::npos) << ready.body;
  const std::string order =
      R"({"id":"m1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"M1","user_id":"U1","amount":100})"
      "\n";
  for (int attempt = 0; attempt < 3; ++attempt) {
    const Answer refused = connection.send(http::verb::post, "/v1/events", order);
    EXPECT_EQ(refused.status, 429U) << refused.body;
    EXPECT_FALSE(refused.retry_after.empty());
    EXPECT_GE(std::stoi(refused.retry_after.empty() ? "0" : refused.retry_after), 1);
    EXPECT_NE(refused.body.find("resident memory"), std::string::npos) << refused.body;
  }
  EXPECT_EQ(connection.send(http::verb::get, "/v1/kpis").status, 200U);
  EXPECT_EQ(connection.send(http::verb::get, "/v1/incidents").status, 200U);
  EXPECT_EQ(connection.send(http::verb::get, "/v1/orders/M1").status, 404U);  // nothing of it stored
  EXPECT_EQ(connection.send(http::verb::get, "/healthz").status, 200U);
  EXPECT_EQ(server.stop(), 0) << server.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace og::server
