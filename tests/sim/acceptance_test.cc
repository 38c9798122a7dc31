// THE acceptance test of `orderguard simulate`: for seeds {1,2,3} x every platform, simulate
// ~3000 orders, replay the events through the engine, and judge the incidents against the
// truth with the evaluator (src/evaluate): F1 = 1.0 for every type, every detection at the
// very time the truth says, and every one of the 31 types planted at least once per platform
// (RIDER_STALLED and DELIVERY_LATE_RISK do not apply to mall orders).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/engine.h"
#include "evaluate/evaluate.h"
#include "replay/output.h"
#include "replay/replay.h"
#include "rules/incident_type.h"
#include "sim_test_util.h"

namespace og::sim::testing {
namespace {

struct Judged {
  Evaluation evaluation;
  std::set<std::string> truth_types;
  std::uint64_t bad_lines = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t late = 0;
};

Judged simulate_and_judge(const SimConfig& config) {
  const SimRun run = run_sim(config);
  Engine engine{RulesConfig{}};
  ReplayRunner runner(engine, nullptr);
  runner.feed_buffer(run.events);
  engine.finish();
  const std::string incidents = incidents_ndjson(engine, engine.interner());
  Judged judged;
  judged.bad_lines = runner.stats().bad_lines;
  judged.duplicates = runner.stats().duplicates;
  judged.late = runner.stats().late;
  const auto complain = [](std::string_view file, std::uint64_t line, const std::string& reason) {
    ADD_FAILURE() << file << ":" << line << ": " << reason;
  };
  const IncidentsInput found = read_incidents(incidents, "incidents", complain);
  const TruthInput truth = read_truth(run.truth, "truth", complain);
  for (const PlantedIncident& planted : truth.planted) judged.truth_types.insert(std::string(incident_type_name(planted.key.type)));
  judged.evaluation = evaluate(found, truth);
  return judged;
}

class Acceptance : public ::testing::TestWithParam<Platform> {};

TEST_P(Acceptance, EveryTypeDetectedExactlyAsPlanted) {
  const Platform platform = GetParam();
  std::set<std::string> covered;
  for (const std::uint64_t seed : {1, 2, 3}) {
    SimConfig config = config_for(3000, seed, platform);
    config.incident_rate = 0.08;
    config.noise_rate = 0.02;
    const Judged judged = simulate_and_judge(config);
    covered.insert(judged.truth_types.begin(), judged.truth_types.end());
    EXPECT_GT(judged.bad_lines, 0u) << "seed " << seed;
    EXPECT_GT(judged.duplicates, 0u) << "seed " << seed;
    EXPECT_EQ(judged.late, 0u) << "seed " << seed;
    const Evaluation& evaluation = judged.evaluation;
    EXPECT_GT(evaluation.overall.truth, 100u) << "seed " << seed;
    for (const TypeEvaluation& type : evaluation.by_type) {
      const std::string name(incident_type_name(type.type));
      ASSERT_TRUE(type.scores.f1.has_value()) << name;
      EXPECT_EQ(*type.scores.f1, 1.0) << "seed " << seed << " " << name << ": truth " << type.scores.truth << ", found "
                                      << type.scores.found << ", missed "
                                      << (type.example_misses.empty() ? std::string("-") : describe_key(type.example_misses.front().key))
                                      << ", false alarm "
                                      << (type.example_false_alarms.empty() ? std::string("-")
                                                                            : describe_key(type.example_false_alarms.front().key));
      EXPECT_EQ(type.scores.delay.max, 0) << "seed " << seed << " " << name << ": detected later than the truth says";
      EXPECT_EQ(type.scores.delay.negative, 0u) << "seed " << seed << " " << name << ": detected earlier than the truth says";
    }
  }
  std::set<std::string> expected;
  for (std::size_t i = 0; i < kIncidentTypeCount; ++i) {
    const auto type = static_cast<IncidentType>(i);
    if (platform == Platform::kMall && (type == IncidentType::kRiderStalled || type == IncidentType::kDeliveryLateRisk)) continue;
    expected.insert(std::string(incident_type_name(type)));
  }
  for (const std::string& name : expected) EXPECT_TRUE(covered.count(name)) << name << " never planted on this platform";
}

std::string platform_name(const ::testing::TestParamInfo<Platform>& info) {
  switch (info.param) {
    case Platform::kGrocery: return "grocery";
    case Platform::kErrand: return "errand";
    case Platform::kMall: return "mall";
    case Platform::kMixed: return "mixed";
  }
  return "unknown";
}

INSTANTIATE_TEST_SUITE_P(Platforms, Acceptance,
                         ::testing::Values(Platform::kGrocery, Platform::kErrand, Platform::kMall, Platform::kMixed), platform_name);

}  // namespace
}  // namespace og::sim::testing
