// The `orderguard` binary as users and scripts see it: exit codes, messages, output files.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../run_cli.h"

namespace {

namespace fs = std::filesystem;

using og::test_cli::CommandResult;
using og::test_cli::read_file;
using og::test_cli::run_cli;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("og-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  fs::path dir_;
};

const char* kEvents =
    R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U1","address":{"text":"清河小区3号楼","building":"3","room":"501","lat":40.03,"lng":116.33},"items":[{"sku":"a","qty":1,"unit_price":100}],"amount":100})"
    "\n"
    R"({"id":"e2","type":"order.created","ts":"2026-11-21T10:01:00+08:00","order_id":"O2","user_id":"U2","address":{"text":"清河小区4号楼","building":"4","room":"101","lat":40.03,"lng":116.33},"items":[{"sku":"a","qty":1,"unit_price":100}],"amount":100})"
    "\n"
    R"({"id":"e3","type":"payment.succeeded","ts":"2026-11-21T10:02:00+08:00","order_id":"O2","amount":100,"txn_id":"T2"})"
    "\n"
    R"({"id":"e4","type":"stock.reserved","ts":"2026-11-21T10:03:00+08:00","order_id":"O2"})"
    "\n"
    "this is not json\n"
    R"({"id":"e5","type":"payment.succeeded","ts":1763690400000,"order_id":"O9","amount":-1,"txn_id":"T"})"
    "\n"
    R"({"id":"e6","type":"clock.tick","ts":"2026-11-21T10:30:00+08:00"})"
    "\n";

TEST_F(CliTest, ReplayWritesIncidentsAndReportAndReportsBadLines) {
  const auto input = write("events.ndjson", kEvents);
  const CommandResult result = run_cli("replay --input " + input.string() + " --incidents " + (dir_ / "inc.ndjson").string() +
                         " --report " + (dir_ / "report.json").string() + " --commands " + (dir_ / "cmd.ndjson").string());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("line 5: json: "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("line 6: amount: must not be negative"), std::string::npos) << result.output;
  const std::string incidents = read_file(dir_ / "inc.ndjson");
  EXPECT_NE(incidents.find(R"("type":"PAYMENT_TIMEOUT","severity":"low")"), std::string::npos) << incidents;
  EXPECT_NE(incidents.find(R"("subject":{"kind":"order","id":"O1"})"), std::string::npos);
  EXPECT_NE(incidents.find(R"("detected_at":"2026-11-21T02:15:00.000Z")"), std::string::npos);
  EXPECT_NE(incidents.find(R"("stage":"pick_start")"), std::string::npos) << incidents;
  const std::string report = read_file(dir_ / "report.json");
  EXPECT_NE(report.find(R"("bad_lines":2)"), std::string::npos) << report;
  // The payment playbook reminded the customer, then cancelled 30 min after creation.
  EXPECT_NE(report.find(R"("PAYMENT_TIMEOUT":{"total":1,"resolved":1})"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("auto_handling_rate":{"target":0.85,"value":1,"met":true})"), std::string::npos) << report;
  const std::string commands = read_file(dir_ / "cmd.ndjson");
  EXPECT_NE(commands.find(R"("command":"notify","incident_id":")"), std::string::npos) << commands;
  EXPECT_NE(commands.find(R"("command":"order.cancel")"), std::string::npos) << commands;
}

TEST_F(CliTest, ReplayIsByteIdenticalAcrossRuns) {
  const auto input = write("events.ndjson", kEvents);
  for (const char* name : {"a", "b"}) {
    const CommandResult result = run_cli("replay --input " + input.string() + " --incidents " + (dir_ / name).string() + ".ndjson --report " +
                           (dir_ / name).string() + ".json");
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }
  EXPECT_EQ(read_file(dir_ / "a.ndjson"), read_file(dir_ / "b.ndjson"));
  EXPECT_EQ(read_file(dir_ / "a.json"), read_file(dir_ / "b.json"));
  EXPECT_FALSE(read_file(dir_ / "a.ndjson").empty());
}

TEST_F(CliTest, ReplayReadsStdinAndHonoursUntil) {
  const auto input = write("events.ndjson",
                           R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00Z","order_id":"O1","user_id":"U1","amount":5,"address":{"text":"t","room":"1","lat":1,"lng":1}})"
                           "\n");
  CommandResult early = run_cli("replay --input - --incidents - < " + input.string());
  EXPECT_EQ(early.exit_code, 0) << early.output;
  EXPECT_EQ(early.output.find("PAYMENT_TIMEOUT"), std::string::npos) << early.output;
  CommandResult late = run_cli("replay --input - --incidents - --until 2026-11-21T10:15:00Z < " + input.string());
  EXPECT_EQ(late.exit_code, 0) << late.output;
  EXPECT_NE(late.output.find(R"("type":"PAYMENT_TIMEOUT")"), std::string::npos) << late.output;
  // As an event's ts may be: epoch milliseconds (2026-11-21T10:15:00Z).
  CommandResult epoch = run_cli("replay --input - --incidents - --until 1795256100000 < " + input.string());
  EXPECT_EQ(epoch.exit_code, 0) << epoch.output;
  EXPECT_EQ(epoch.output, late.output);
}

// Commands that read what serve wrote do not take a mistyped --data for an empty store, nor
// create one there.
TEST_F(CliTest, AuditAndTokenListsNeedAnExistingDataDirectory) {
  const std::filesystem::path absent = dir_ / "no-such-data";
  for (const std::string command : {"audit verify", "audit checkpoints", "tokens list", "tokens revoke tok-1"}) {
    const CommandResult result = run_cli(command + " --data " + absent.string());
    EXPECT_EQ(result.exit_code, 2) << command << ": " << result.output;
    EXPECT_NE(result.output.find("no OrderGuard data at"), std::string::npos) << command << ": " << result.output;
    EXPECT_FALSE(std::filesystem::exists(absent)) << command;
  }
  const CommandResult agent = run_cli("tokens create --role agent --data " + (dir_ / "data").string());
  EXPECT_EQ(agent.exit_code, 2) << agent.output;
  EXPECT_NE(agent.output.find("give --agent AGENT_ID"), std::string::npos) << agent.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data"));
  // A newline in a name would forge a line of `tokens list` (popen runs a shell: printf makes one).
  const CommandResult forged = run_cli("tokens create --role viewer --name \"$(printf 'ops\\ntok-0000  admin')\" --data " +
                                       (dir_ / "data").string());
  EXPECT_EQ(forged.exit_code, 2) << forged.output;
  EXPECT_NE(forged.output.find("--name: no control characters"), std::string::npos) << forged.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data"));
}

TEST_F(CliTest, StrictStopsAtTheFirstBadLine) {
  const auto input = write("events.ndjson", kEvents);
  const CommandResult result = run_cli("replay --strict --input " + input.string() + " --incidents " + (dir_ / "inc.ndjson").string());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("line 5: "), std::string::npos);
  EXPECT_EQ(result.output.find("line 6: "), std::string::npos);
}

TEST_F(CliTest, LineOverOneMebibyteIsRejectedAloneAndTheRestCounts) {
  std::string big = R"({"id":"big","type":"clock.tick","ts":0,"pad":")" + std::string(1100000, 'x') + "\"}\n";
  const auto input = write("events.ndjson", big + kEvents);
  const CommandResult result = run_cli("replay --input " + input.string() + " --incidents " + (dir_ / "inc.ndjson").string());
  EXPECT_EQ(result.exit_code, 0) << result.output.substr(0, 500);
  EXPECT_NE(result.output.find("line 1: line: longer than 1 MiB"), std::string::npos) << result.output.substr(0, 500);
  EXPECT_NE(read_file(dir_ / "inc.ndjson").find("PAYMENT_TIMEOUT"), std::string::npos);
}

TEST_F(CliTest, BadConfigurationExitsTwoAndSaysWhatToChange) {
  const auto input = write("events.ndjson", kEvents);
  const auto config = write("rules.toml", "[types.PAYMENT_TIMEOUT]\ntimeout = \"soon\"\n");
  const CommandResult result = run_cli("replay --input " + input.string() + " --config " + config.string() + " --incidents -");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("rules.toml:2: types.PAYMENT_TIMEOUT.timeout: not a duration"), std::string::npos)
      << result.output;
}

TEST_F(CliTest, MissingInputFileExitsOne) {
  const CommandResult result = run_cli("replay --input " + (dir_ / "absent.ndjson").string() + " --incidents -");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("cannot open --input"), std::string::npos);
}

TEST_F(CliTest, ADirectoryIsNotTakenForAnEmptyFile) {
  const CommandResult replay = run_cli("replay --input " + dir_.string() + " --incidents -");
  EXPECT_EQ(replay.exit_code, 1);
  EXPECT_NE(replay.output.find("is a directory; name the NDJSON events file"), std::string::npos) << replay.output;
  // A read error is not an empty file of defaults either (/proc/self/mem reads as EIO).
  const CommandResult unreadable = run_cli("rules check /proc/self/mem");
  EXPECT_EQ(unreadable.exit_code, 2);
  EXPECT_NE(unreadable.output.find("cannot read the rules file"), std::string::npos) << unreadable.output;
  const CommandResult unreadable_input = run_cli("replay --input /proc/self/mem --incidents -");
  EXPECT_EQ(unreadable_input.exit_code, 1);
  EXPECT_NE(unreadable_input.output.find("cannot read --input /proc/self/mem: the read failed"), std::string::npos)
      << unreadable_input.output;
  const CommandResult rules = run_cli("rules check " + dir_.string());
  EXPECT_EQ(rules.exit_code, 2);
  EXPECT_NE(rules.output.find("is a directory; name the rules file"), std::string::npos) << rules.output;
  const auto input = write("events.ndjson", kEvents);
  const CommandResult config = run_cli("replay --input " + input.string() + " --config " + dir_.string() + " --incidents -");
  EXPECT_EQ(config.exit_code, 2);
  const CommandResult serve = run_cli("serve --data " + (dir_ / "data").string() + " --listen 127.0.0.1:0 --config " + dir_.string());
  EXPECT_EQ(serve.exit_code, 2);
  EXPECT_NE(serve.output.find("is a directory; name the rules file"), std::string::npos) << serve.output;
}

TEST_F(CliTest, ServeRefusesToStartAfreshWhereAStoreWasLost) {
  // What an earlier start leaves beside its store; the store itself truncated to nothing.
  const fs::path data = dir_ / "data";
  fs::create_directories(data);
  std::ofstream(data / "audit.pub") << "00\n";
  std::ofstream(data / "orderguard.db");
  const CommandResult empty = run_cli("serve --data " + data.string() + " --listen 127.0.0.1:0");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.output.find("the store orderguard.db is empty, but audit.pub from an earlier start is there: restore"),
            std::string::npos)
      << empty.output;
  fs::remove(data / "orderguard.db");
  const CommandResult missing = run_cli("serve --data " + data.string() + " --listen 127.0.0.1:0");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("the store orderguard.db is missing"), std::string::npos) << missing.output;
  EXPECT_FALSE(fs::exists(data / "orderguard.db"));  // nothing was created in its place
  // Nor by the next thing one tries when a token stops working.
  const CommandResult token = run_cli("tokens create --role admin --data " + data.string());
  EXPECT_EQ(token.exit_code, 2);
  EXPECT_NE(token.output.find("the store orderguard.db is missing"), std::string::npos) << token.output;
  EXPECT_FALSE(fs::exists(data / "orderguard.db"));
}

TEST_F(CliTest, ServeStopsWhenItCannotWriteItsPortFile) {
  // A script that waits for the file would wait for ever.
  const CommandResult serve = run_cli("serve --data " + (dir_ / "data").string() + " --listen 127.0.0.1:0 --port-file " +
                                      (dir_ / "absent" / "port").string());
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_NE(serve.output.find("cannot write --port-file"), std::string::npos) << serve.output;
}

TEST_F(CliTest, AnOutputThatNamesTheInputIsRefusedAndTheInputStays) {
  const auto input = write("events.ndjson", kEvents);
  const CommandResult over_input = run_cli("replay --input " + input.string() + " --incidents " + input.string());
  EXPECT_EQ(over_input.exit_code, 2);
  EXPECT_NE(over_input.output.find("is the --input file: it would be overwritten"), std::string::npos) << over_input.output;
  EXPECT_EQ(read_file(input), kEvents);
  // Another spelling of the same path, and two outputs on one file (not yet there).
  const std::string dotted = (dir_ / "." / "events.ndjson").string();
  EXPECT_EQ(run_cli("replay --input " + input.string() + " --incidents - --report " + dotted).exit_code, 2);
  EXPECT_EQ(read_file(input), kEvents);
  const CommandResult two = run_cli("replay --input " + input.string() + " --incidents " + (dir_ / "out").string() +
                                    " --commands " + (dir_ / "." / "out").string());
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.output.find("--incidents and --commands name the same file"), std::string::npos) << two.output;
  const auto rules = write("rules.toml", "# defaults\n");
  const CommandResult over_rules = run_cli("replay --input " + input.string() + " --config " + rules.string() +
                                           " --incidents - --report " + rules.string());
  EXPECT_EQ(over_rules.exit_code, 2);
  EXPECT_EQ(read_file(rules), "# defaults\n");
  // Not files: /dev/null takes every output.
  EXPECT_EQ(run_cli("replay --input " + input.string() + " --incidents /dev/null --commands /dev/null --report /dev/null").exit_code, 0);
}

TEST_F(CliTest, AnEventYearsPastTheNewestIsABadLineAndTheRestGoesOn) {
  const std::string events = std::string(kEvents) +
                             R"({"id":"z1","type":"clock.tick","ts":"2528-11-21T10:00:00+08:00"})" "\n" +
                             R"({"id":"z2","type":"clock.tick","ts":"2026-11-21T10:45:00+08:00"})" "\n";
  const auto input = write("events.ndjson", events);
  const CommandResult result = run_cli("replay --input " + input.string() + " --incidents - --report " + (dir_ / "r.json").string());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("line 8: ts: 2528-11-21T02:00:00.000Z is 183351 days after the newest event time"), std::string::npos)
      << result.output;
  EXPECT_NE(read_file(dir_ / "r.json").find("\"bad_lines\":3"), std::string::npos) << read_file(dir_ / "r.json");
}

TEST_F(CliTest, BadUsageExitsTwo) {
  EXPECT_EQ(run_cli("replay --incidents -").exit_code, 2);
  const CommandResult unknown = run_cli("no-such-command");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("`no-such-command` is not a command; the commands are replay,"), std::string::npos) << unknown.output;
  EXPECT_EQ(run_cli("replay --input x --incidents - --until yesterday").exit_code, 2);
  const CommandResult help = run_cli("replay --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--incidents"), std::string::npos);
  // --help documents every flag, its default included.
  const CommandResult simulate_help = run_cli("simulate --help");
  EXPECT_NE(simulate_help.output.find("--seed UINT=1 "), std::string::npos) << simulate_help.output;
  EXPECT_NE(simulate_help.output.find("=grocery"), std::string::npos) << simulate_help.output;
}

TEST_F(CliTest, RulesCheckValidatesAndListsChanges) {
  const CommandResult shipped = run_cli("rules check " + std::string(OG_SOURCE_DIR) + "/config/orderguard.toml");
  EXPECT_EQ(shipped.exit_code, 0) << shipped.output;
  EXPECT_NE(shipped.output.find("no change from the defaults"), std::string::npos) << shipped.output;

  const auto changed = write("changed.toml", "[types.DELIVERY_LATE]\ngrace = \"10m\"\n");
  const CommandResult diff = run_cli("rules check " + changed.string());
  EXPECT_EQ(diff.exit_code, 0);
  EXPECT_NE(diff.output.find("types.DELIVERY_LATE.grace: \"5m\" -> \"10m\""), std::string::npos) << diff.output;

  const auto bad = write("bad.toml", "[types.DELIVERY_LATE]\ngrace = \"10m\"\ngrase = \"1m\"\n");
  const CommandResult invalid = run_cli("rules check " + bad.string());
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.output.find("bad.toml:3: types.DELIVERY_LATE.grase: unknown setting (did you mean types.DELIVERY_LATE.grace?)"),
            std::string::npos)
      << invalid.output;
}

}  // namespace
