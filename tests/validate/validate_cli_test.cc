// `orderguard validate` as operators and scripts see it: the findings JSON on stdout, exit
// codes, messages for a bad draft or bad arguments.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string all;  // stdout and stderr
};

std::string run(const std::string& command) {
  std::string output;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  std::array<char, 4096> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), got);
  const int status = pclose(pipe);
  return output + "\nexit=" + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

CommandResult run_cli(const std::string& arguments) {
  CommandResult result;
  std::string all = run(std::string(OG_BINARY) + " " + arguments + " 2>&1");
  const auto cut = all.rfind("\nexit=");
  result.exit_code = std::stoi(all.substr(cut + 6));
  result.all = all.substr(0, cut);
  const std::string out = run(std::string(OG_BINARY) + " " + arguments + " 2>/dev/null");
  result.out = out.substr(0, out.rfind("\nexit="));
  return result;
}

class ValidateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("og-validate-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  fs::path dir_;
};

const char* kEvents =
    R"({"id":"m1","type":"catalog.item","ts":"2026-11-21T08:00:00+08:00","sku":"tomato","price":590})"
    "\n"
    R"({"id":"m2","type":"stock.level","ts":"2026-11-21T08:00:00+08:00","sku":"tomato","available":5})"
    "\n"
    R"({"id":"m3","type":"zone.config","ts":"2026-11-21T08:00:00+08:00","zone":"Z1","lat":40.0,"lng":116.3,"radius_m":3000})"
    "\n"
    "not json\n"
    R"({"id":"c1","type":"order.created","ts":"2026-11-21T09:55:00+08:00","order_id":"O1","user_id":"U1","zone":"Z1","items":[{"sku":"tomato","qty":2,"unit_price":590}],"amount":1180})"
    "\n"
    R"({"id":"t1","type":"clock.tick","ts":"2026-11-21T10:00:00+08:00"})"
    "\n";

// Pretty-printed, as a person writes a draft file.
const char* kDraft = R"({
  "user_id": "U1",
  "zone": "Z1",
  "address": {"text": "清河小区3号楼2单元501", "building": "3", "room": "501", "lat": 40.0, "lng": 116.3},
  "items": [{"sku": "tomato", "name": "西红柿 500g", "qty": 2, "unit_price": 590, "category": "vegetable"}],
  "amount": 1180
}
)";

TEST_F(ValidateCliTest, PrintsTheFindingsAtTheLastEventsTime) {
  const auto events = write("events.ndjson", kEvents);
  const auto draft = write("draft.json", kDraft);
  const CommandResult result = run_cli("validate --events " + events + " --draft " + draft);
  EXPECT_EQ(result.exit_code, 0) << result.all;
  EXPECT_NE(result.all.find("line 4: json: "), std::string::npos) << result.all;
  // O1 (09:55, unpaid, the same items) is a twin within 10 minutes of 10:00.
  EXPECT_EQ(result.out,
            R"({"ok":true,"checked_at":"2026-11-21T02:00:00.000Z","blocking":0,"warnings":1,"findings":[)"
            R"({"code":"duplicate_unpaid","severity":"warn","field":"items","message":"User 'U1' already has 1 unpaid order with the same items from the last 10m ('O1'): pay or cancel that order instead of placing the same one again.","incident":"DUPLICATE_UNPAID_ORDERS","expected":2,"actual":1,"orders":["O1"]}],)"
            R"("not_checked":[]})"
            "\n");
}

TEST_F(ValidateCliTest, AtMovesTheCheckTimeAndTakesEpochMilliseconds) {
  const auto events = write("events.ndjson", kEvents);
  const auto draft = write("draft.json", kDraft);
  // 10:05 is exactly 10 minutes after O1: out of the window.
  CommandResult result = run_cli("validate --events " + events + " --draft " + draft + " --at 2026-11-21T10:05:00+08:00");
  EXPECT_EQ(result.exit_code, 0) << result.all;
  EXPECT_EQ(result.out, R"({"ok":true,"checked_at":"2026-11-21T02:05:00.000Z","blocking":0,"warnings":0,"findings":[],"not_checked":[]})" "\n");
  result = run_cli("validate --events " + events + " --draft " + draft + " --at 1795226700000");
  EXPECT_EQ(result.exit_code, 0) << result.all;
  EXPECT_NE(result.out.find(R"("checked_at":"2026-11-21T02:05:00.000Z")"), std::string::npos) << result.out;
}

TEST_F(ValidateCliTest, ADraftFromStdinWithBlockingFindings) {
  const auto events = write("events.ndjson", kEvents);
  const auto draft = write("draft.json", R"({"user_id":"U2","zone":"Z1","address":{"text":"x","lat":40.0,"lng":116.3},"items":[{"sku":"tomato","qty":9,"unit_price":500}],"amount":4500})");
  const CommandResult result = run_cli("validate --events " + events + " --draft - < " + draft);
  EXPECT_EQ(result.exit_code, 0) << result.all;
  EXPECT_NE(result.out.find(R"({"ok":false,)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(R"("blocking":3,)"), std::string::npos) << result.out;
  for (const char* code : {"address_incomplete", "out_of_stock", "price_mismatch"}) {
    EXPECT_NE(result.out.find(std::string(R"("code":")") + code + "\""), std::string::npos) << code << "\n" << result.out;
  }
}

TEST_F(ValidateCliTest, BadDraftsAndArgumentsSayWhatToFix) {
  const auto events = write("events.ndjson", kEvents);
  const auto bad = write("bad.json", R"({"user_id":"U1","amount":5,"items":[{"sku":"a","qty":0}]})");
  CommandResult result = run_cli("validate --events " + events + " --draft " + bad);
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.all.find("orderguard validate: --draft " + bad + ": items[0].qty: must be at least 1"), std::string::npos) << result.all;
  EXPECT_EQ(result.out, "");

  const auto draft = write("draft.json", kDraft);
  result = run_cli("validate --events " + events + " --draft " + draft + " --at yesterday");
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.all.find("orderguard validate: --at: "), std::string::npos) << result.all;

  const auto empty = write("empty.ndjson", "");
  result = run_cli("validate --events " + empty + " --draft " + draft);
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.all.find("give --at"), std::string::npos) << result.all;
  result = run_cli("validate --events " + empty + " --draft " + draft + " --at 2026-11-21T10:00:00Z");
  EXPECT_EQ(result.exit_code, 0) << result.all;

  result = run_cli("validate --events " + (dir_ / "missing.ndjson").string() + " --draft " + draft);
  EXPECT_EQ(result.exit_code, 1) << result.all;
  EXPECT_NE(result.all.find("cannot open --events"), std::string::npos) << result.all;

  result = run_cli("validate --events - --draft -");
  EXPECT_EQ(result.exit_code, 2) << result.all;

  const auto config = write("rules.toml", "[engine]\nno_such_key = 1\n");
  result = run_cli("validate --events " + events + " --draft " + draft + " --config " + config);
  EXPECT_EQ(result.exit_code, 2) << result.all;
  EXPECT_NE(result.all.find("bad configuration"), std::string::npos) << result.all;

  result = run_cli("validate --events " + events);
  EXPECT_EQ(result.exit_code, 2) << result.all;
}

}  // namespace
