// Crash recovery of the real binary: `orderguard serve` is killed with SIGKILL at random
// points while batches are in flight, restarted on the same data directory, and sent what
// was not acknowledged (as any at-least-once client would). At the end its incidents and the
// commands its outbox delivered must be those of one uninterrupted run over the same events:
// nothing acknowledged lost, no command created twice.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <simdjson.h>
#include <sqlite3.h>

#include "events/parser.h"
#include "replay/output.h"
#include "replay/replay.h"
#include "serve_process.h"
#include "../sim/sim_test_util.h"

namespace og::server {
namespace {

using namespace test_support;

// A serve process on `dir`/data, its commands to `dir`/commands.ndjson.
std::unique_ptr<ServeProcess> start_serve(const std::filesystem::path& dir) {
  return std::make_unique<ServeProcess>(std::vector<std::string>{
      "--data", (dir / "data").string(), "--listen", "127.0.0.1:0", "--outbox-file", (dir / "commands.ndjson").string(),
      // Restarts must not let the wall clock move event time.
      "--quiet-after", "24h", "--snapshot-every", "7"});
}

// Every incident the server holds, one JSON object per line, in id order.
std::set<std::string> server_incidents(std::uint16_t port, const std::string& token) {
  std::set<std::string> out;
  std::string cursor;
  for (;;) {
    const auto [status, body] = call(port, http::verb::get, "/v1/incidents?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor), token);
    EXPECT_EQ(status, 200U) << body;
    simdjson::dom::parser parser;
    simdjson::dom::element page = parser.parse(body);
    for (simdjson::dom::element item : page["items"].get_array()) out.insert(simdjson::minify(item));
    if (page["next_cursor"].is_null()) break;
    cursor = std::string(std::string_view(page["next_cursor"]));
  }
  return out;
}

std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> out;
  for_each_line(text, [&](std::size_t, std::string_view line) { out.emplace(line); });
  return out;
}

// The simulated day of `orders` orders in batches of `lines` lines.
std::vector<std::string> day_in_batches(std::size_t orders, std::size_t lines) {
  const auto day = sim::testing::run_sim(sim::testing::config_for(orders, 5, sim::Platform::kGrocery));
  std::vector<std::string> batches;
  std::string batch;
  std::size_t count = 0;
  for_each_line(day.events, [&](std::size_t, std::string_view line) {
    batch.append(line).push_back('\n');
    if (++count % lines == 0) batches.push_back(std::exchange(batch, {}));
  });
  if (!batch.empty()) batches.push_back(batch);
  return batches;
}

// The server of the moment: clients wait here for the next one when theirs was killed.
class CurrentServer {
 public:
  void publish(std::uint16_t port) {
    {
      std::lock_guard lock(mutex_);
      port_ = port;
      ++generation_;
    }
    changed_.notify_all();
  }
  std::pair<std::uint16_t, std::uint64_t> get() const {
    std::lock_guard lock(mutex_);
    return {port_, generation_};
  }
  // Blocks until a server newer than `generation` is up.
  void wait_newer_than(std::uint64_t generation) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return generation_ > generation; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::uint16_t port_ = 0;
  std::uint64_t generation_ = 0;
};

TEST(CrashTest, KilledAtRandomPointsItLosesNothingAcknowledgedAndRepeatsNoCommand) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("og-crash-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  const std::vector<std::string> batches = day_in_batches(1500, 600);
  ASSERT_GT(batches.size(), 30U);

  // The uninterrupted run.
  Engine reference{RulesConfig{}};
  ReplayRunner runner(reference, nullptr);
  for (const std::string& body : batches) runner.feed_buffer(body);

  std::mt19937 random(20261121);
  std::size_t next = 0;  // the first batch not yet acknowledged
  int kills = 0;
  auto server = start_serve(dir);
  const std::string token = admin_token(dir / "data");
  ASSERT_FALSE(token.empty()) << server->log();
  while (next < batches.size()) {
    if (random() % 5 == 0 && kills < 12) {
      // A kill while a batch is in flight: sent, its answer never read.
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
      auto request = make_request(http::verb::post, "/v1/events", token, batches[next]);
      http::write(stream, request);
      if (random() % 2 == 0) {
        char byte = 0;
        (void)stream.socket().receive(asio::buffer(&byte, 1));  // the answer has begun: it is stored
      }
      server->kill_hard();
      ++kills;
      server = start_serve(dir);
      continue;  // not acknowledged to us: send it again
    }
    const auto [status, body] = call(server->port(), http::verb::post, "/v1/events", token, batches[next]);
    ASSERT_EQ(status, 200U) << body;
    ++next;
  }
  EXPECT_GE(kills, 5);

  EXPECT_EQ(server_incidents(server->port(), token), lines_of(incidents_ndjson(reference, reference.interner())));
  EXPECT_EQ(server->stop(), 0);

  // Delivered at least once: every command, and none the uninterrupted run did not make.
  std::ifstream in(dir / "commands.ndjson");
  std::map<std::string, std::string> delivered;  // id -> line
  for (std::string line; std::getline(in, line);) {
    const std::string id = line.substr(7, 20);  // {"id":"cmd-…"
    if (const auto [it, inserted] = delivered.emplace(id, line); !inserted) {
      EXPECT_EQ(it->second, line);
    }
  }
  std::map<std::string, std::string> expected;
  for (const std::string& line : lines_of(commands_ndjson(reference))) expected.emplace(line.substr(7, 20), line);
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(delivered, expected);
  std::filesystem::remove_all(dir);
}

// With several clients at once, rounds of event batches are journaled while the round before
// is applied (docs/serve.md): kills land in the middle of that overlap. The order of batches
// is the server's here, so the reference is the server's own journal: the state it serves
// live must be the state a restart rebuilds from the journal alone (snapshots deleted), and
// every acknowledged batch must be in that journal (sent again, none of it is new).
TEST(CrashTest, ConcurrentClientsKilledMidOverlapServeWhatTheJournalRebuilds) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("og-crash-concurrent-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::vector<std::string> batches = day_in_batches(1500, 300);
  constexpr std::size_t kClients = 4;

  auto server = start_serve(dir);
  const std::string token = admin_token(dir / "data");
  ASSERT_FALSE(token.empty()) << server->log();
  CurrentServer current;
  current.publish(server->port());

  std::mutex progress_mutex;
  std::condition_variable progress;
  std::size_t acknowledged = 0;
  std::size_t failures = 0;  // requests cut by a kill
  std::vector<std::thread> clients;
  for (std::size_t c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (std::size_t i = c; i < batches.size(); i += kClients) {
        for (;;) {
          const auto [port, generation] = current.get();
          unsigned status = 0;
          try {
            status = call(port, http::verb::post, "/v1/events", token, batches[i]).first;
          } catch (const std::exception&) {
            status = 0;  // killed mid-request: not acknowledged, sent again to the next server
          }
          if (status == 200U) break;
          {
            std::lock_guard lock(progress_mutex);
            ++failures;
          }
          current.wait_newer_than(generation);
        }
        {
          std::lock_guard lock(progress_mutex);
          ++acknowledged;
        }
        progress.notify_all();
      }
    });
  }
  // Kills at acknowledgement counts spread over the day, while the clients keep sending.
  std::mt19937 random(20261122);
  int kills = 0;
  for (std::size_t at = 3; at < batches.size() - 3; at += 2 + random() % 6) {
    {
      std::unique_lock lock(progress_mutex);
      progress.wait(lock, [&] { return acknowledged >= at; });
    }
    server->kill_hard();
    ++kills;
    server = start_serve(dir);
    current.publish(server->port());
  }
  for (std::thread& client : clients) client.join();
  EXPECT_GE(kills, 10);
  EXPECT_GT(failures, 0U) << "no kill landed while a request was in flight";

  // Nothing acknowledged was lost: every batch sent again is wholly known.
  for (const std::string& body : batches) {
    const auto [status, answer] = call(server->port(), http::verb::post, "/v1/events", token, body);
    ASSERT_EQ(status, 200U) << answer;
    EXPECT_NE(answer.find("\"accepted\":0,"), std::string::npos) << answer;
  }
  const std::set<std::string> live = server_incidents(server->port(), token);
  EXPECT_FALSE(live.empty());
  EXPECT_EQ(server->stop(), 0);

  // The journal alone, without snapshots, rebuilds exactly what was served.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "data" / "orderguard.db").string().c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "DELETE FROM snapshots", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  server = start_serve(dir);
  EXPECT_EQ(server_incidents(server->port(), token), live);
  EXPECT_EQ(server->stop(), 0);

  // No command was created twice: one line per command id, however often it was delivered.
  std::ifstream in(dir / "commands.ndjson");
  std::map<std::string, std::string> delivered;
  for (std::string line; std::getline(in, line);) {
    if (const auto [it, inserted] = delivered.emplace(line.substr(7, 20), line); !inserted) {
      EXPECT_EQ(it->second, line);
    }
  }
  EXPECT_FALSE(delivered.empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace og::server
