// `orderguard demo` end to end: a real serve (a child process), a small simulated day driven
// into it over HTTP, the world answering the server's commands and simulated agents working
// its escalations. Checks that what the server ended with is exactly what a replay of the
// events the demo sent gives (incidents and measures, byte for byte), and that the loop was
// closed through the server: world answers to the server's own command ids, agents acting on
// the server's escalations. No figure is asserted beyond sanity; nothing waits on a clock.
// Also `orderguard loadgen` against a real serve.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "events/parser.h"
#include "replay/measures.h"
#include "replay/output.h"
#include "../run_cli.h"

namespace {

namespace fs = std::filesystem;

using og::test_cli::CommandResult;
using og::test_cli::read_file;
using og::test_cli::run_cli;

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("og-demo-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(DemoTest, TheServerEndsWhereAReplayOfWhatTheDemoSentEnds) {
  // A day's span per POST of a minute keeps the run short (fewer, larger batches).
  const CommandResult run = run_cli("demo --orders 400 --seed 3 --listen 127.0.0.1:0 --exit --batch-span-ms 60000 --data " +
                                    (dir_ / "data").string() + " --events-out " + (dir_ / "events.ndjson").string() +
                                    " --incidents-out " + (dir_ / "incidents.ndjson").string() + " --report " +
                                    (dir_ / "kpis.json").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("handling measures, from http://127.0.0.1:"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("auto-handling rate"), std::string::npos) << run.output;
  std::cout << run.output.substr(run.output.find("400 orders"));

  // The same lines, in the same order, through an engine here, as serve applies a journal.
  const std::string events = read_file(dir_ / "events.ndjson");
  ASSERT_FALSE(events.empty());
  og::Engine engine{og::RulesConfig{}};
  og::EventParser parser(engine.interner());
  std::size_t rejected = 0;
  og::for_each_line(events, [&](std::size_t, std::string_view line) {
    if (parser.parse(line, engine.staging_event())) {
      engine.ingest_staged();
    } else {
      ++rejected;
    }
  });
  EXPECT_GT(rejected, 0u);  // the simulator's bad lines reach the server, which rejects them too

  const std::vector<std::string> served = sorted_lines(read_file(dir_ / "incidents.ndjson"));
  const std::vector<std::string> replayed = sorted_lines(og::incidents_ndjson(engine, engine.interner()));
  ASSERT_GT(served.size(), 10u);
  EXPECT_EQ(served, replayed);

  std::string kpis = read_file(dir_ / "kpis.json");
  while (!kpis.empty() && kpis.back() == '\n') kpis.pop_back();
  const og::TimeMs now = engine.watermark() == og::kAbsent ? 0 : engine.watermark();
  const og::HandlingMeasures measures = og::measure_handling(engine, now);
  EXPECT_EQ(kpis, og::measures_json(measures));

  // Sane measures: incidents found and handled, by machines mostly, by people some.
  EXPECT_GT(measures.overall.resolved, measures.overall.incidents / 2);
  ASSERT_TRUE(measures.overall.auto_handling_rate().has_value());
  EXPECT_GT(*measures.overall.auto_handling_rate(), 0.5);
  EXPECT_GT(measures.overall.manual, 0u);
  EXPECT_EQ(measures.agent_refusals, 0u);

  // The loop went through the server: every world answer names a command the server emitted,
  // and the agents acted on incidents the server escalated.
  std::set<std::string> command_ids;
  for (const og::Command& command : engine.commands()) command_ids.insert(command.id);
  std::size_t answers = 0, acks = 0;
  std::istringstream in(events);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("{\"id\":\"w-cmd-")) {
      ++answers;
      const std::string id = line.substr(9, line.find('-', 13) - 9);  // "cmd-" + 16 hex digits
      EXPECT_TRUE(command_ids.contains(id)) << line;
    }
    if (line.find("\"type\":\"agent.ack\"") != std::string::npos) ++acks;
  }
  EXPECT_GT(answers, 10u);
  EXPECT_GT(acks, 0u);
  EXPECT_FALSE(engine.escalations().empty());
}

TEST_F(DemoTest, RefusesADataDirectoryItDidNotMake) {
  std::ofstream(dir_ / "precious.txt") << "not the demo's\n";
  const CommandResult run = run_cli("demo --orders 10 --listen 127.0.0.1:0 --exit --data " + dir_.string());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("holds something the demo did not make"), std::string::npos) << run.output;
  EXPECT_TRUE(fs::exists(dir_ / "precious.txt"));
}

// `orderguard loadgen` against a real serve: every line answered, incidents followed on the
// stream. Only that it works; its figures are for `make bench-http`, never asserted.
TEST_F(DemoTest, LoadgenSendsEveryEventAndFollowsTheStream) {
  const fs::path events = dir_ / "events.ndjson";
  ASSERT_EQ(run_cli("simulate --orders 300 --seed 2 --out " + events.string()).exit_code, 0);
  // serve writes its port into a FIFO once it listens: reading it waits for exactly that.
  const fs::path port_fifo = dir_ / "port.fifo";
  ASSERT_EQ(::mkfifo(port_fifo.c_str(), 0600), 0);
  const fs::path data = dir_ / "data";
  const pid_t serve = ::fork();
  ASSERT_GE(serve, 0);
  if (serve == 0) {
    const std::string log = (dir_ / "serve.log").string();
    std::freopen(log.c_str(), "w", stderr);
    ::execl(OG_BINARY, "orderguard", "serve", "--data", data.c_str(), "--listen", "127.0.0.1:0", "--port-file", port_fifo.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Held open for writing too, so that neither opening nor reading sees an end of file; the
  // wait is bounded only for a server that dies before it listens.
  const int fifo = ::open(port_fifo.c_str(), O_RDWR);
  ASSERT_GE(fifo, 0);
  std::string port;
  for (int tries = 0; tries < 1200 && port.find('\n') == std::string::npos; ++tries) {
    pollfd ready{fifo, POLLIN, 0};
    if (::poll(&ready, 1, 100) == 1) {
      char buffer[32];
      const ssize_t got = ::read(fifo, buffer, sizeof buffer);
      if (got > 0) port.append(buffer, static_cast<std::size_t>(got));
    } else if (int status = 0; ::waitpid(serve, &status, WNOHANG) == serve) {
      break;  // it ended without listening
    }
  }
  ::close(fifo);
  if (!port.empty()) port.pop_back();
  ASSERT_FALSE(port.empty()) << read_file(dir_ / "serve.log");
  const CommandResult load = run_cli("loadgen --url http://127.0.0.1:" + port + " --token-file " + (data / "admin.token").string() +
                                     " --input " + events.string() + " --batch 200 --connections 3 --pipeline 2 --latency --json " +
                                     (dir_ / "load.json").string());
  ::kill(serve, SIGTERM);
  int status = 0;
  ::waitpid(serve, &status, 0);
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_NE(load.output.find("durable ingest: "), std::string::npos) << load.output;
  const std::string json = read_file(dir_ / "load.json");
  const auto number = [&](const std::string& key) {
    const std::size_t at = json.find("\"" + key + "\":");
    return at == std::string::npos ? -1.0 : std::stod(json.substr(at + key.size() + 3));
  };
  const double lines = number("lines");
  EXPECT_GT(lines, 1000);
  EXPECT_EQ(number("accepted") + number("duplicates") + number("rejected"), lines) << json;
  EXPECT_EQ(number("failed_batches"), 0) << json;
  EXPECT_GT(number("incidents_seen"), 0) << json;
  EXPECT_NE(json.find("\"incident_from_release\":{\"count\":"), std::string::npos) << json;
}

}  // namespace
