// `orderguard evaluate` as users and CI scripts run it: output, --json, and the exit codes
// (0 ok, 1 an F1 below --min-f1, 2 a file or usage problem).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../run_cli.h"

namespace {

namespace fs = std::filesystem;

using og::test_cli::read_file;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class EvaluateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("og-evaluate-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    // Ten planted PAYMENT_TIMEOUTs, nine found (one a second late); one retracted incident;
    // one DAMAGED_GOODS planted and missed. Overall F1 = 2*9 / (11 + 9) = 0.9.
    std::string truth, incidents;
    for (int i = 0; i < 10; ++i) {
      const std::string order = "O" + std::to_string(i);
      truth += R"({"type":"PAYMENT_TIMEOUT","subject":{"kind":"order","id":")" + order + R"("},"order_id":")" + order +
               R"(","detected_at":"2026-11-21T02:15:00.000Z"})" + "\n";
      if (i == 9) continue;
      incidents += R"({"id":"inc-)" + std::to_string(i) + R"(","type":"PAYMENT_TIMEOUT","severity":"low","subject":{"kind":"order","id":")" +
                   order + R"("},"order_id":")" + order + R"(","detected_at":"2026-11-21T02:15:0)" + (i == 0 ? "1" : "0") +
                   R"(.000Z","status":"resolved","resolution":"auto","evidence":[],"actions":["notify"]})" + "\n";
    }
    truth += R"({"type":"DAMAGED_GOODS","subject":{"kind":"order","id":"D1"},"order_id":"D1","detected_at":"2026-11-21T03:00:00.000Z","note":"box crushed"})"
             "\n";
    incidents += R"({"id":"inc-r","type":"PAYMENT_TIMEOUT","severity":"low","subject":{"kind":"order","id":"O9"},"detected_at":"2026-11-21T02:15:00.000Z","status":"retracted","evidence":[],"actions":[]})"
                 "\n";
    incidents_ = write("incidents.ndjson", incidents);
    truth_ = write("truth.ndjson", truth);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  CommandResult run(const std::string& arguments) {
    const fs::path err_path = dir_ / "stderr.txt";
    const og::test_cli::CommandResult ran = og::test_cli::run_cli("evaluate " + arguments, err_path.string());
    return CommandResult{ran.exit_code, ran.output, read_file(err_path)};
  }

  std::string files() const { return "--incidents " + incidents_.string() + " --truth " + truth_.string(); }

  fs::path dir_;
  fs::path incidents_;
  fs::path truth_;
};

TEST_F(EvaluateCliTest, PrintsTheTableAndExitsZeroWithoutAThreshold) {
  const CommandResult result = run(files());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("DAMAGED_GOODS                  1       0       0       0       1          -   0.000   0.000"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("PAYMENT_TIMEOUT               10       9       9       0       1      1.000   0.900   0.947"
                            "      0.000     1.000     1.000\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("OVERALL                       11       9       9       0       2      1.000   0.818   0.900"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("retracted incidents left out: 1"), std::string::npos);
  EXPECT_NE(result.out.find("miss         DAMAGED_GOODS order:D1 at 2026-11-21T03:00:00.000Z (truth line 11): box crushed"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(result.err, "");
}

TEST_F(EvaluateCliTest, MinF1ExitsOneAndNamesTheTypesBelow) {
  const CommandResult result = run(files() + " --min-f1 0.5");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("DAMAGED_GOODS (F1 0.0000)"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("PAYMENT_TIMEOUT"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("OVERALL"), std::string::npos) << result.err;
  EXPECT_FALSE(result.out.empty());  // the table still comes first
}

TEST_F(EvaluateCliTest, AnF1ExactlyAtTheThresholdPasses) {
  // Drop DAMAGED_GOODS and add one false alarm: PAYMENT_TIMEOUT and overall are then
  // 2*9 / (10 + 10) = 0.9 exactly, which is not below --min-f1 0.9.
  const std::string truth = read_file(truth_);
  write("truth.ndjson", truth.substr(0, truth.find("{\"type\":\"DAMAGED_GOODS\"")));
  write("incidents.ndjson",
        read_file(incidents_) +
            R"({"id":"inc-x","type":"PAYMENT_TIMEOUT","subject":{"kind":"order","id":"O99"},"detected_at":"2026-11-21T02:15:00.000Z","status":"open"})"
            "\n");
  const CommandResult at_threshold = run(files() + " --min-f1 0.9");
  EXPECT_EQ(at_threshold.exit_code, 0) << at_threshold.err;
  const CommandResult above = run(files() + " --min-f1 0.91");
  EXPECT_EQ(above.exit_code, 1);
  EXPECT_NE(above.err.find("F1 below --min-f1 0.91: PAYMENT_TIMEOUT (F1 0.9000), OVERALL (F1 0.9000)"), std::string::npos)
      << above.err;
}

TEST_F(EvaluateCliTest, JsonIsWrittenWhereAsked) {
  const fs::path json = dir_ / "metrics.json";
  const CommandResult result = run(files() + " --json " + json.string());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::string text = read_file(json);
  EXPECT_EQ(text.rfind(R"({"overall":{"truth":11,"found":9,"true_positives":9,"false_positives":0,"false_negatives":2,)", 0), 0u)
      << text;
  EXPECT_NE(text.find(R"("by_type":{"DAMAGED_GOODS":{)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("delay_ms":{"matched":9,"p50":0,"p99":1000,"max":1000,"negative":0})"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

// As replay and validate: a file that cannot be read is a failure (1), not bad usage (2).
TEST_F(EvaluateCliTest, AMissingFileExitsOneAndSaysWhatToPass) {
  const CommandResult result =
      run("--incidents " + incidents_.string() + " --truth " + (dir_ / "missing.ndjson").string());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("--truth: cannot open " + (dir_ / "missing.ndjson").string() + ": No such file or directory"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("orderguard simulate --truth"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

// A path that opens but cannot be read (a directory: EISDIR on the first read) fails the
// same way as a missing one.
TEST_F(EvaluateCliTest, AFileThatOpensButCannotBeReadExitsOne) {
  const CommandResult result = run("--incidents " + dir_.string() + " --truth " + incidents_.string());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("--incidents: cannot read " + dir_.string() + ": Is a directory"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST_F(EvaluateCliTest, BadUsageExitsTwoAndAFileThatCannotBeWrittenOne) {
  EXPECT_EQ(run("--incidents " + incidents_.string()).exit_code, 2);              // --truth missing
  EXPECT_EQ(run(files() + " --min-f1 1.5").exit_code, 2);                          // out of range
  const CommandResult unwritable = run(files() + " --json " + (dir_ / "no" / "such" / "dir.json").string());
  EXPECT_EQ(unwritable.exit_code, 1);  // as replay's outputs
  EXPECT_NE(unwritable.err.find("cannot write --json"), std::string::npos) << unwritable.err;
}

TEST_F(EvaluateCliTest, MalformedLinesGoToStderrAsFileAndLineAndTheRunGoesOn) {
  std::string truth = read_file(truth_);
  truth.insert(0, "{\"type\":\"PAYMENT_TIMEOUT\"}\n");
  write("truth.ndjson", truth);
  const CommandResult result = run(files());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find(truth_.string() + ":1: subject: missing\n"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("skipped 0 bad line(s) in " + incidents_.string() + " and 1 in " + truth_.string()),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("bad lines skipped (see stderr): incidents 0, truth 1"), std::string::npos) << result.out;
}

}  // namespace
