// Crash recovery of the real binary: `orderguard serve` is killed with SIGKILL at random
// points while batches are in flight, restarted on the same data directory, and sent what
// was not acknowledged (as any at-least-once client would). At the end its incidents and the
// commands its outbox delivered must be those of one uninterrupted run over the same events:
// nothing acknowledged lost, no command created twice.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <simdjson.h>

#include "events/parser.h"
#include "replay/output.h"
#include "replay/replay.h"
#include "../sim/sim_test_util.h"
#include "serve_process.h"

namespace og::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using testing::admin_token;
using testing::call;
using testing::make_request;
using testing::ServeProcess;

std::vector<std::string> serve_flags(const std::filesystem::path& dir) {
  return {"--outbox-file", (dir / "commands.ndjson").string(),
          // Restarts must not let the wall clock move event time.
          "--quiet-after", "24h", "--snapshot-every", "7"};
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

TEST(CrashTest, KilledAtRandomPointsItLosesNothingAcknowledgedAndRepeatsNoCommand) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("og-crash-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  const auto day = sim::testing::run_sim(sim::testing::config_for(1500, 5, sim::Platform::kGrocery));
  std::vector<std::string> batches;
  std::string batch;
  std::size_t count = 0;
  for_each_line(day.events, [&](std::size_t, std::string_view line) {
    batch.append(line).push_back('\n');
    if (++count % 600 == 0) batches.push_back(std::exchange(batch, {}));
  });
  if (!batch.empty()) batches.push_back(batch);
  ASSERT_GT(batches.size(), 30U);

  // The uninterrupted run.
  Engine reference{RulesConfig{}};
  ReplayRunner runner(reference, nullptr);
  for (const std::string& body : batches) runner.feed_buffer(body);

  std::mt19937 random(20261121);
  std::size_t next = 0;  // the first batch not yet acknowledged
  int kills = 0;
  auto server = std::make_unique<ServeProcess>(dir, serve_flags(dir));
  const std::string token = admin_token(dir);
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
      server = std::make_unique<ServeProcess>(dir, serve_flags(dir));
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

}  // namespace
}  // namespace og::server
