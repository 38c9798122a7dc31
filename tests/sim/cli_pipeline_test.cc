// The pipeline as a person runs it, through the binary: simulate -> replay -> evaluate
// --min-f1 1.0 must exit 0; and the closed loop prints its measures.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

int run(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class CliPipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("og-sim-cli-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(CliPipeline, SimulateReplayEvaluateAgreesPerfectly) {
  const std::string binary = OG_BINARY;
  ASSERT_EQ(run(binary + " simulate --orders 3000 --seed 4 --platform mixed --incident-rate 0.08 --noise-rate 0.02 --out " +
                path("events.ndjson") + " --truth " + path("truth.ndjson")),
            0);
  ASSERT_EQ(run(binary + " replay --input " + path("events.ndjson") + " --incidents " + path("incidents.ndjson")), 0);
  EXPECT_EQ(run(binary + " evaluate --incidents " + path("incidents.ndjson") + " --truth " + path("truth.ndjson") + " --min-f1 1.0"), 0);
}

TEST_F(CliPipeline, SameSeedSameFiles) {
  const std::string binary = OG_BINARY;
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(run(binary + " simulate --orders 400 --seed 9 --platform errand --out " + path(name) + ".ndjson --truth " + path(name) +
                  ".truth"),
              0);
  }
  EXPECT_EQ(run("cmp " + path("a") + ".ndjson " + path("b") + ".ndjson"), 0);
  EXPECT_EQ(run("cmp " + path("a") + ".truth " + path("b") + ".truth"), 0);
}

TEST_F(CliPipeline, ClosedLoopPrintsMeasuresAndWritesTheReport) {
  const std::string binary = OG_BINARY;
  ASSERT_EQ(run(binary + " simulate --orders 300 --seed 2 --closed-loop --report " + path("a.json") + " --out " + path("a.ndjson")), 0);
  ASSERT_EQ(run(binary + " simulate --orders 300 --seed 2 --closed-loop --report " + path("b.json")), 0);
  EXPECT_TRUE(std::filesystem::file_size(path("a.json")) > 0);
  EXPECT_EQ(run("cmp " + path("a.json") + " " + path("b.json")), 0);
  ASSERT_EQ(run(binary + " simulate --orders 300 --seed 2 --out " + path("c.ndjson")), 0);
  EXPECT_EQ(run("cmp " + path("a.ndjson") + " " + path("c.ndjson")), 0);  // --out: the stream only
}

TEST_F(CliPipeline, OutIsRequiredWithoutTheClosedLoop) {
  EXPECT_EQ(run(std::string(OG_BINARY) + " simulate --orders 10"), 2);
  EXPECT_EQ(run(std::string(OG_BINARY) + " simulate --orders 10 --out " + path("x.ndjson") + " --report " + path("r.json")), 2);
}

TEST_F(CliPipeline, BadStartIsAUsageError) {
  EXPECT_EQ(run(std::string(OG_BINARY) + " simulate --orders 10 --start yesterday --out " + path("x.ndjson")), 2);
}

}  // namespace
