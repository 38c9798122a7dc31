// Matching, metrics and reading of `orderguard evaluate` (src/evaluate), on small hand-made
// incidents and truth files whose right answers can be worked out on paper.
#include "evaluate/evaluate.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace og {
namespace {

// "02:35:00.000" -> "2026-11-21T02:35:00.000Z": every test happens on one day.
std::string at(std::string_view clock) { return "2026-11-21T" + std::string(clock) + "Z"; }

// An incident line as `orderguard replay` writes it. `extra` is inserted verbatim after the
// subject, e.g. R"("stage":"pick",)".
std::string incident(std::string_view type, std::string_view kind, std::string_view id, std::string_view clock,
                     std::string_view extra = "", std::string_view status = "open", std::string_view incident_id = "inc-1") {
  return R"({"id":")" + std::string(incident_id) + R"(","type":")" + std::string(type) +
         R"(","severity":"low","priority":10,"subject":{"kind":")" + std::string(kind) + R"(","id":")" + std::string(id) +
         R"("},)" + std::string(extra) + R"("detected_at":")" + at(clock) + R"(","status":")" + std::string(status) +
         R"(","evidence":["e1"],"actions":["notify"]})" + "\n";
}

// A truth line per docs/truth-format.md.
std::string planted(std::string_view type, std::string_view kind, std::string_view id, std::string_view clock,
                    std::string_view extra = "") {
  return R"({"type":")" + std::string(type) + R"(","subject":{"kind":")" + std::string(kind) + R"(","id":")" +
         std::string(id) + R"("},)" + std::string(extra) + R"("detected_at":")" + at(clock) + R"("})" + "\n";
}

struct Reported {
  std::string file;
  std::uint64_t line;
  std::string reason;
};

class EvaluateTest : public ::testing::Test {
 protected:
  Evaluation run(const std::string& incidents_ndjson, const std::string& truth_ndjson) {
    const BadLineReporter report = [this](std::string_view file, std::uint64_t line, const std::string& reason) {
      reported_.push_back({std::string(file), line, reason});
    };
    // Read in sequence, so that reports come incidents first (argument order is unspecified).
    const IncidentsInput incidents = read_incidents(incidents_ndjson, "incidents.ndjson", report);
    const TruthInput truth = read_truth(truth_ndjson, "truth.ndjson", report);
    return evaluate(incidents, truth);
  }
  std::vector<Reported> reported_;
};

const TypeEvaluation* find_type(const Evaluation& evaluation, IncidentType type) {
  for (const TypeEvaluation& entry : evaluation.by_type) {
    if (entry.type == type) return &entry;
  }
  return nullptr;
}

TEST_F(EvaluateTest, PerfectMatchScoresOneEverywhere) {
  const std::string truth = planted("PAYMENT_TIMEOUT", "order", "O1", "02:15:00.000") +
                            planted("ORDER_STUCK", "order", "O2", "02:35:00.000", R"("stage":"pick",)") +
                            planted("OUT_OF_STOCK", "order", "O3", "03:00:00.000", R"("sku":"milk",)") +
                            planted("COMMUNITY_HOTSPOT", "community", "C1", "04:00:00.000", R"("incident_type":"DELIVERY_LATE",)");
  const std::string incidents = incident("PAYMENT_TIMEOUT", "order", "O1", "02:15:00.000") +
                                incident("ORDER_STUCK", "order", "O2", "02:35:00.000", R"("order_id":"O2","stage":"pick",)") +
                                incident("OUT_OF_STOCK", "order", "O3", "03:00:00.000", R"("sku":"milk",)") +
                                incident("COMMUNITY_HOTSPOT", "community", "C1", "04:00:00.000",
                                         R"("incident_type":"DELIVERY_LATE","zone":"Z1",)");
  const Evaluation evaluation = run(incidents, truth);
  EXPECT_TRUE(reported_.empty());
  ASSERT_EQ(evaluation.by_type.size(), 4u);
  for (const TypeEvaluation& type : evaluation.by_type) {
    SCOPED_TRACE(std::string(incident_type_name(type.type)));
    EXPECT_EQ(type.scores.true_positives, 1u);
    EXPECT_EQ(type.scores.false_positives, 0u);
    EXPECT_EQ(type.scores.false_negatives, 0u);
    EXPECT_EQ(type.scores.f1, 1.0);
    EXPECT_TRUE(type.example_misses.empty());
    EXPECT_TRUE(type.example_false_alarms.empty());
  }
  EXPECT_EQ(evaluation.overall.precision, 1.0);
  EXPECT_EQ(evaluation.overall.recall, 1.0);
  EXPECT_EQ(evaluation.overall.f1, 1.0);
  EXPECT_EQ(evaluation.overall.delay.matched, 4u);
  EXPECT_EQ(evaluation.overall.delay.max, 0);
  EXPECT_TRUE(f1_below(evaluation, 1.0).empty());
}

TEST_F(EvaluateTest, TypesAreListedByNameAndTypesWithNothingAreLeftOut) {
  const Evaluation evaluation = run(incident("RIDER_CANCELLED", "order", "O1", "01:00:00.000") +
                                        incident("AMOUNT_ANOMALY", "order", "O2", "01:00:00.000"),
                                    planted("DELIVERY_LATE", "order", "O3", "01:00:00.000"));
  ASSERT_EQ(evaluation.by_type.size(), 3u);
  EXPECT_EQ(evaluation.by_type[0].type, IncidentType::kAmountAnomaly);
  EXPECT_EQ(evaluation.by_type[1].type, IncidentType::kDeliveryLate);
  EXPECT_EQ(evaluation.by_type[2].type, IncidentType::kRiderCancelled);
}

TEST_F(EvaluateTest, AMissLowersRecallAndIsListedWithItsLineAndNote) {
  const std::string truth =
      planted("DELIVERY_LATE", "order", "O1", "10:00:00.000") +
      planted("DELIVERY_LATE", "order", "O2", "11:00:00.000", R"("order_id":"O2","note":"rider stuck at gate",)");
  const Evaluation evaluation = run(incident("DELIVERY_LATE", "order", "O1", "10:00:00.000"), truth);
  const TypeEvaluation* late = find_type(evaluation, IncidentType::kDeliveryLate);
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->scores.truth, 2u);
  EXPECT_EQ(late->scores.found, 1u);
  EXPECT_EQ(late->scores.false_negatives, 1u);
  EXPECT_EQ(late->scores.precision, 1.0);
  EXPECT_EQ(late->scores.recall, 0.5);
  EXPECT_DOUBLE_EQ(*late->scores.f1, 2.0 / 3.0);
  ASSERT_EQ(late->example_misses.size(), 1u);
  EXPECT_EQ(late->example_misses[0].key.subject_id, "O2");
  EXPECT_EQ(late->example_misses[0].line, 2u);
  EXPECT_EQ(late->example_misses[0].note, "rider stuck at gate");
  EXPECT_EQ(late->example_misses[0].detected_at, *parse_rfc3339_ms(at("11:00:00.000")));
}

TEST_F(EvaluateTest, AFalseAlarmLowersPrecisionAndIsListedWithItsId) {
  const std::string incidents = incident("PAYMENT_FAILED", "order", "O1", "09:00:00.000") +
                                incident("PAYMENT_FAILED", "order", "O9", "09:30:00.000", "", "open", "inc-00ff");
  const Evaluation evaluation = run(incidents, planted("PAYMENT_FAILED", "order", "O1", "09:00:00.000"));
  const TypeEvaluation* failed = find_type(evaluation, IncidentType::kPaymentFailed);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->scores.false_positives, 1u);
  EXPECT_EQ(failed->scores.precision, 0.5);
  EXPECT_EQ(failed->scores.recall, 1.0);
  ASSERT_EQ(failed->example_false_alarms.size(), 1u);
  EXPECT_EQ(failed->example_false_alarms[0].incident_id, "inc-00ff");
  EXPECT_EQ(failed->example_false_alarms[0].line, 2u);
  EXPECT_EQ(describe_key(failed->example_false_alarms[0].key), "PAYMENT_FAILED order:O9");
}

TEST_F(EvaluateTest, UndefinedRatiosAreEmptyNotZeroOrOne) {
  // Truth but no detections: precision is 0/0. Detections but no truth: recall is 0/0.
  // F1 is 0 in both: the type is all misses or all false alarms.
  const Evaluation evaluation = run(incident("NEGATIVE_REVIEW", "order", "O1", "09:00:00.000"),
                                    planted("REFUND_FAILED", "order", "O2", "09:00:00.000"));
  const TypeEvaluation* refund = find_type(evaluation, IncidentType::kRefundFailed);
  const TypeEvaluation* review = find_type(evaluation, IncidentType::kNegativeReview);
  ASSERT_NE(refund, nullptr);
  ASSERT_NE(review, nullptr);
  EXPECT_FALSE(refund->scores.precision.has_value());
  EXPECT_EQ(refund->scores.recall, 0.0);
  EXPECT_EQ(refund->scores.f1, 0.0);
  EXPECT_EQ(review->scores.precision, 0.0);
  EXPECT_FALSE(review->scores.recall.has_value());
  EXPECT_EQ(review->scores.f1, 0.0);
  EXPECT_EQ(refund->scores.delay.matched, 0u);

  const std::string json = evaluation_json(evaluation);
  EXPECT_NE(json.find(R"("REFUND_FAILED":{"truth":1,"found":0,"true_positives":0,"false_positives":0,)"
                      R"("false_negatives":1,"precision":null,"recall":0,"f1":0,)"
                      R"("delay_ms":{"matched":0,"p50":null,"p99":null,"max":null,"negative":0})"),
            std::string::npos)
      << json;
  const std::string table = evaluation_table(evaluation);
  EXPECT_NE(table.find("REFUND_FAILED                  1       0       0       0       1          -   0.000   0.000"
                       "          -         -         -\n"),
            std::string::npos)
      << table;
}

TEST_F(EvaluateTest, NothingAtAllHasNoOverallF1AndFailsNoThreshold) {
  const Evaluation evaluation = run("", "");
  EXPECT_TRUE(evaluation.by_type.empty());
  EXPECT_FALSE(evaluation.overall.f1.has_value());
  EXPECT_TRUE(f1_below(evaluation, 0.9).empty());
}

TEST_F(EvaluateTest, WrongSubjectIsAMissAndAFalseAlarm) {
  const std::string truth = planted("RIDER_STALLED", "rider", "R1", "12:00:00.000") +
                            planted("FREQUENT_CANCELLATION", "user", "U1", "12:00:00.000");
  const std::string incidents = incident("RIDER_STALLED", "rider", "R2", "12:00:00.000") +  // another rider
                                incident("FREQUENT_CANCELLATION", "order", "U1", "12:00:00.000");  // same id, other kind
  const Evaluation evaluation = run(incidents, truth);
  EXPECT_EQ(evaluation.overall.true_positives, 0u);
  EXPECT_EQ(evaluation.overall.false_positives, 2u);
  EXPECT_EQ(evaluation.overall.false_negatives, 2u);
  const TypeEvaluation* stalled = find_type(evaluation, IncidentType::kRiderStalled);
  ASSERT_NE(stalled, nullptr);
  ASSERT_EQ(stalled->example_misses.size(), 1u);
  EXPECT_EQ(describe_key(stalled->example_misses[0].key), "RIDER_STALLED rider:R1");
  ASSERT_EQ(stalled->example_false_alarms.size(), 1u);
  EXPECT_EQ(describe_key(stalled->example_false_alarms[0].key), "RIDER_STALLED rider:R2");
}

TEST_F(EvaluateTest, WrongStageSkuOrHotspotTypeIsNoMatch) {
  const std::string truth = planted("ORDER_STUCK", "order", "O1", "12:00:00.000", R"("stage":"pick",)") +
                            planted("OUT_OF_STOCK", "order", "O2", "12:00:00.000", R"("sku":"milk",)") +
                            planted("EXPIRING_PRODUCT", "order", "O3", "12:00:00.000", R"("sku":"eggs",)") +
                            planted("COMMUNITY_HOTSPOT", "community", "C1", "12:00:00.000", R"("incident_type":"DELIVERY_LATE",)");
  const std::string incidents =
      incident("ORDER_STUCK", "order", "O1", "12:00:00.000", R"("stage":"pick_start",)") +
      incident("OUT_OF_STOCK", "order", "O2", "12:00:00.000", R"("sku":"bread",)") +
      incident("EXPIRING_PRODUCT", "order", "O3", "12:00:00.000") +  // sku absent: not the same key
      incident("COMMUNITY_HOTSPOT", "community", "C1", "12:00:00.000", R"("incident_type":"DELIVERY_FAILED",)");
  const Evaluation evaluation = run(incidents, truth);
  EXPECT_TRUE(reported_.empty());
  EXPECT_EQ(evaluation.overall.true_positives, 0u);
  EXPECT_EQ(evaluation.overall.false_positives, 4u);
  EXPECT_EQ(evaluation.overall.false_negatives, 4u);
  const TypeEvaluation* stuck = find_type(evaluation, IncidentType::kOrderStuck);
  ASSERT_NE(stuck, nullptr);
  ASSERT_EQ(stuck->example_false_alarms.size(), 1u);
  EXPECT_EQ(describe_key(stuck->example_false_alarms[0].key), "ORDER_STUCK order:O1 stage=pick_start");
  const TypeEvaluation* hotspot = find_type(evaluation, IncidentType::kCommunityHotspot);
  ASSERT_NE(hotspot, nullptr);
  ASSERT_EQ(hotspot->example_misses.size(), 1u);
  EXPECT_EQ(describe_key(hotspot->example_misses[0].key), "COMMUNITY_HOTSPOT community:C1 of=DELIVERY_LATE");
}

TEST_F(EvaluateTest, RetractedIncidentsAreNotDetections) {
  const std::string incidents = incident("ORDER_STUCK", "order", "O1", "12:00:00.000", R"("stage":"reserve",)", "retracted") +
                                incident("ORDER_STUCK", "order", "O2", "12:00:00.000", R"("stage":"reserve",)", "retracted") +
                                incident("ORDER_STUCK", "order", "O3", "12:00:00.000", R"("stage":"reserve",)", "resolved");
  const std::string truth = planted("ORDER_STUCK", "order", "O1", "12:00:00.000", R"("stage":"reserve",)") +
                            planted("ORDER_STUCK", "order", "O3", "12:00:00.000", R"("stage":"reserve",)");
  const Evaluation evaluation = run(incidents, truth);
  EXPECT_EQ(evaluation.retracted_left_out, 2u);
  const TypeEvaluation* stuck = find_type(evaluation, IncidentType::kOrderStuck);
  ASSERT_NE(stuck, nullptr);
  EXPECT_EQ(stuck->scores.found, 1u);
  EXPECT_EQ(stuck->scores.true_positives, 1u);
  EXPECT_EQ(stuck->scores.false_positives, 0u);  // O2 was retracted: no false alarm
  EXPECT_EQ(stuck->scores.false_negatives, 1u);  // O1 was retracted: a miss
  ASSERT_EQ(stuck->example_misses.size(), 1u);
  EXPECT_EQ(stuck->example_misses[0].key.subject_id, "O1");
}

TEST_F(EvaluateTest, SeveralRecordsWithOneKeyMatchTheNearestUnmatchedInTimeOrder) {
  // One SKU low three times in a day; two detections. 10:29 takes 10:30 (1 min away, not
  // 10:00); 11:05 takes 11:00 (10:30 is already taken). 10:00 is the miss.
  const std::string truth = planted("LOW_STOCK", "sku", "milk", "11:00:00.000") +
                            planted("LOW_STOCK", "sku", "milk", "10:00:00.000") +
                            planted("LOW_STOCK", "sku", "milk", "10:30:00.000");
  const std::string incidents =
      incident("LOW_STOCK", "sku", "milk", "11:05:00.000") + incident("LOW_STOCK", "sku", "milk", "10:29:00.000");
  const Evaluation evaluation = run(incidents, truth);
  const TypeEvaluation* low = find_type(evaluation, IncidentType::kLowStock);
  ASSERT_NE(low, nullptr);
  EXPECT_EQ(low->scores.true_positives, 2u);
  EXPECT_EQ(low->scores.false_negatives, 1u);
  ASSERT_EQ(low->example_misses.size(), 1u);
  EXPECT_EQ(low->example_misses[0].detected_at, *parse_rfc3339_ms(at("10:00:00.000")));
  EXPECT_EQ(low->example_misses[0].line, 2u);
  // Delays -60 s and +300 s.
  EXPECT_EQ(low->scores.delay.matched, 2u);
  EXPECT_EQ(low->scores.delay.p50, -60'000);
  EXPECT_EQ(low->scores.delay.max, 300'000);
  EXPECT_EQ(low->scores.delay.negative, 1u);
}

TEST_F(EvaluateTest, AnEqualDistanceGoesToTheEarlierRecord) {
  const std::string truth =
      planted("LOW_STOCK", "sku", "milk", "10:10:00.000") + planted("LOW_STOCK", "sku", "milk", "10:00:00.000");
  const Evaluation evaluation = run(incident("LOW_STOCK", "sku", "milk", "10:05:00.000"), truth);
  const TypeEvaluation* low = find_type(evaluation, IncidentType::kLowStock);
  ASSERT_NE(low, nullptr);
  EXPECT_EQ(low->scores.delay.max, 5 * kMinuteMs);  // +5 min to 10:00, not -5 min to 10:10
  ASSERT_EQ(low->example_misses.size(), 1u);
  EXPECT_EQ(low->example_misses[0].detected_at, *parse_rfc3339_ms(at("10:10:00.000")));
}

TEST_F(EvaluateTest, MoreDetectionsThanRecordsLeaveTheFarthestAsFalseAlarms) {
  const std::string incidents = incident("DUPLICATE_PAYMENT", "order", "O1", "10:00:01.000") +
                                incident("DUPLICATE_PAYMENT", "order", "O1", "10:00:00.000");
  const Evaluation evaluation = run(incidents, planted("DUPLICATE_PAYMENT", "order", "O1", "10:00:00.000"));
  const TypeEvaluation* duplicate = find_type(evaluation, IncidentType::kDuplicatePayment);
  ASSERT_NE(duplicate, nullptr);
  EXPECT_EQ(duplicate->scores.true_positives, 1u);
  EXPECT_EQ(duplicate->scores.delay.max, 0);  // the earlier detection took the record
  ASSERT_EQ(duplicate->example_false_alarms.size(), 1u);
  EXPECT_EQ(duplicate->example_false_alarms[0].detected_at, *parse_rfc3339_ms(at("10:00:01.000")));
}

TEST_F(EvaluateTest, DelayPercentilesAreNearestRankOnAHandComputedCase) {
  // Ten orders, one PAYMENT_TIMEOUT each, detected late by these amounts (ms):
  const std::vector<DurationMs> delays = {4000, -1000, 500, 0, 60000, 2000, 1000, 3000, 6000, 5000};
  // Sorted: -1000 0 500 1000 2000 3000 4000 5000 6000 60000.
  // p50: rank ceil(0.50 * 10) = 5 -> 2000. p99: rank ceil(0.99 * 10) = 10 -> 60000.
  std::string truth, incidents;
  const TimeMs base = *parse_rfc3339_ms(at("10:00:00.000"));
  for (std::size_t i = 0; i < delays.size(); ++i) {
    const std::string order = "O" + std::to_string(i);
    const std::string planted_at = format_utc_ms(base);
    const std::string detected_at = format_utc_ms(base + delays[i]);
    truth += planted("PAYMENT_TIMEOUT", "order", order, std::string_view(planted_at).substr(11, 12));
    incidents += incident("PAYMENT_TIMEOUT", "order", order, std::string_view(detected_at).substr(11, 12));
  }
  const Evaluation evaluation = run(incidents, truth);
  ASSERT_TRUE(reported_.empty());
  const DelayStats& stats = evaluation.overall.delay;
  EXPECT_EQ(stats.matched, 10u);
  EXPECT_EQ(stats.p50, 2000);
  EXPECT_EQ(stats.p99, 60000);
  EXPECT_EQ(stats.max, 60000);
  EXPECT_EQ(stats.negative, 1u);
  const std::string table = evaluation_table(evaluation);
  EXPECT_NE(table.find("      2.000    60.000    60.000\n"), std::string::npos) << table;
  EXPECT_NE(table.find("detected earlier than the truth allows: 1 (PAYMENT_TIMEOUT 1)"), std::string::npos) << table;
}

TEST_F(EvaluateTest, P99IsNotTheMaximumWhenThereAreEnoughPairs) {
  // 200 pairs with delays 10, 20, ..., 2000 ms: p50 is rank 100 (1000 ms), p99 rank 198 (1980 ms).
  std::string truth, incidents;
  const TimeMs base = *parse_rfc3339_ms(at("10:00:00.000"));
  for (int i = 1; i <= 200; ++i) {
    const std::string order = "O" + std::to_string(i);
    truth += planted("PAYMENT_TIMEOUT", "order", order, "10:00:00.000");
    incidents += incident("PAYMENT_TIMEOUT", "order", order, format_utc_ms(base + i * 10).substr(11, 12));
  }
  const Evaluation evaluation = run(incidents, truth);
  EXPECT_EQ(evaluation.overall.delay.p50, 1000);
  EXPECT_EQ(evaluation.overall.delay.p99, 1980);
  EXPECT_EQ(evaluation.overall.delay.max, 2000);
  EXPECT_EQ(evaluation.overall.delay.negative, 0u);
}

TEST_F(EvaluateTest, MalformedLinesAreReportedWithFileAndLineAndTheRestIsRead) {
  const std::string incidents = incident("PAYMENT_TIMEOUT", "order", "O1", "10:00:00.000") +  // line 1
                                "{\"type\": \n" +                                            // line 2
                                "\n" +                                                        // line 3, blank
                                incident("PAYMENT_TIMEOUT", "order", "O2", "10:00:00.000", "", "open").substr(0, 20) +
                                "\n" +                                                             // line 4
                                R"({"type":"PAYMENT_TIMEOUT","subject":{"kind":"order","id":"O3"},"detected_at":")" +
                                at("10:00:00.000") + "\"}\n" +                                     // line 5: no status
                                incident("PAYMENT_TIMEOUT", "order", "O4", "10:00:00.000");   // line 6
  const std::string truth =
      planted("PAYMENT_TIMEOUT", "order", "O1", "10:00:00.000") +                                      // line 1
      planted("PAYMENT_TIMEOUT", "parcel", "O2", "10:00:00.000") +                                     // line 2
      planted("PAYMENT_TIMEOUT", "order", "O4", "10:00:00.000") +                                      // line 3
      planted("PAYMENT_TIMOUT", "order", "O5", "10:00:00.000") +                                       // line 4
      R"({"type":"ORDER_STUCK","subject":{"kind":"order","id":"O6"},"stage":"packing","detected_at":")" +
      at("10:00:00.000") + "\"}\r\n" +                                                                 // line 5
      R"({"type":"PAYMENT_TIMEOUT","subject":{"kind":"order","id":"O7"},"detected_at":"yesterday"})" "\r\n" +  // line 6
      R"({"type":"PAYMENT_TIMEOUT","subject":{"kind":"order"},"detected_at":")" + at("10:00:00.000") + "\"}\n" +  // line 7
      R"({"type":"PAYMENT_TIMEOUT","type":"PAYMENT_FAILED","subject":{"kind":"order","id":"O8"},"detected_at":")" +
      at("10:00:00.000") + "\"}\n" +                                                                   // line 8
      "[1,2]\n" +                                                                                      // line 9
      R"({"type":"PAYMENT_TIMEOUT","subject":{"kind":"order","id":"O9"},"detected_at":")" + at("10:00:00.000") +
      "\"} trailing\n";                                                                                // line 10
  const Evaluation evaluation = run(incidents, truth);

  std::vector<std::string> where;
  for (const Reported& report : reported_) where.push_back(report.file + ":" + std::to_string(report.line));
  EXPECT_EQ(where, (std::vector<std::string>{"incidents.ndjson:2", "incidents.ndjson:4", "incidents.ndjson:5",
                                             "truth.ndjson:2", "truth.ndjson:4", "truth.ndjson:5", "truth.ndjson:6",
                                             "truth.ndjson:7", "truth.ndjson:8", "truth.ndjson:9", "truth.ndjson:10"}));
  ASSERT_EQ(reported_.size(), 11u);
  EXPECT_EQ(reported_[2].reason, "status: missing (needed to leave retracted incidents out)");
  EXPECT_EQ(reported_[3].reason, "subject.kind: 'parcel' is not one of order, user, rider, sku, community");
  EXPECT_EQ(reported_[4].reason,
            "type: unknown incident type 'PAYMENT_TIMOUT' (see docs/spec/INCIDENTS.md for the list)");
  EXPECT_EQ(reported_[5].reason, "stage: unknown stage 'packing' (reserve, pick_start, pick, assign, pickup)");
  EXPECT_EQ(reported_[6].reason.rfind("detected_at: ", 0), 0u) << reported_[6].reason;
  EXPECT_EQ(reported_[7].reason, "subject.id: missing");
  EXPECT_EQ(reported_[8].reason, "type: appears twice in one object");
  EXPECT_EQ(reported_[9].reason, "json: not a JSON object: each line must be one object");
  EXPECT_EQ(reported_[10].reason.rfind("json: invalid JSON", 0), 0u) << reported_[10].reason;

  EXPECT_EQ(evaluation.bad_incident_lines, 3u);
  EXPECT_EQ(evaluation.bad_truth_lines, 8u);
  // The good lines still count: O1 and O4 on both sides.
  EXPECT_EQ(evaluation.overall.found, 2u);
  EXPECT_EQ(evaluation.overall.truth, 2u);
  EXPECT_EQ(evaluation.overall.true_positives, 2u);
}

TEST_F(EvaluateTest, JsonHasAFixedShapeAndKeyOrder) {
  const std::string truth =
      planted("OUT_OF_STOCK", "order", "O1", "10:00:00.000", R"("sku":"milk","note":"warehouse short",)") +
      planted("OUT_OF_STOCK", "order", "O2", "10:00:00.000", R"("sku":"milk",)");
  const std::string incidents = incident("OUT_OF_STOCK", "order", "O2", "10:00:01.500", R"("sku":"milk",)") +
                                incident("OUT_OF_STOCK", "order", "O3", "10:00:00.000", R"("sku":"eggs",)", "open", "inc-3");
  const Evaluation evaluation = run(incidents, truth);
  EXPECT_EQ(evaluation_json(evaluation),
            R"({"overall":{"truth":2,"found":2,"true_positives":1,"false_positives":1,"false_negatives":1,)"
            R"("precision":0.5,"recall":0.5,"f1":0.5,"delay_ms":{"matched":1,"p50":1500,"p99":1500,"max":1500,"negative":0},)"
            R"("retracted_left_out":0,"bad_lines":{"incidents":0,"truth":0}},)"
            R"("by_type":{"OUT_OF_STOCK":{"truth":2,"found":2,"true_positives":1,"false_positives":1,"false_negatives":1,)"
            R"("precision":0.5,"recall":0.5,"f1":0.5,"delay_ms":{"matched":1,"p50":1500,"p99":1500,"max":1500,"negative":0},)"
            R"("misses":[{"type":"OUT_OF_STOCK","subject":{"kind":"order","id":"O1"},"sku":"milk",)"
            R"("detected_at":"2026-11-21T10:00:00.000Z","line":1,"note":"warehouse short"}],)"
            R"("false_alarms":[{"type":"OUT_OF_STOCK","subject":{"kind":"order","id":"O3"},"sku":"eggs",)"
            R"("detected_at":"2026-11-21T10:00:00.000Z","line":2,"id":"inc-3"}]}}})"
            "\n");
}

TEST_F(EvaluateTest, ExamplesAreCappedAtTenEarliestFirst) {
  std::string truth;
  for (int i = 0; i < 15; ++i) {
    // Written latest first, so that the cap must sort rather than keep file order.
    truth += planted("DELIVERY_FAILED", "order", "O" + std::to_string(i), "1" + std::to_string(4 - i / 10) + ":0" +
                                                                              std::to_string(9 - i % 10) + ":00.000");
  }
  const Evaluation evaluation = run("", truth);
  const TypeEvaluation* failed = find_type(evaluation, IncidentType::kDeliveryFailed);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->scores.false_negatives, 15u);
  ASSERT_EQ(failed->example_misses.size(), kExamplesPerType);
  for (std::size_t i = 1; i < failed->example_misses.size(); ++i) {
    EXPECT_LT(failed->example_misses[i - 1].detected_at, failed->example_misses[i].detected_at);
  }
  EXPECT_EQ(failed->example_misses.front().key.subject_id, "O14");  // 13:05, the earliest
  const std::string table = evaluation_table(evaluation);
  EXPECT_NE(table.find("  ... 12 more misses of DELIVERY_FAILED\n"), std::string::npos) << table;
}

TEST_F(EvaluateTest, F1ThresholdNamesEveryTypeBelowAndOverall) {
  std::string truth, incidents;
  for (int i = 0; i < 10; ++i) {
    const std::string order = "O" + std::to_string(i);
    truth += planted("PAYMENT_TIMEOUT", "order", order, "10:00:00.000");
    if (i < 9) incidents += incident("PAYMENT_TIMEOUT", "order", order, "10:00:00.000");
  }
  truth += planted("DAMAGED_GOODS", "order", "D1", "10:00:00.000");
  const Evaluation evaluation = run(incidents, truth);
  // PAYMENT_TIMEOUT: 2*9 / (10 + 9) = 0.947; DAMAGED_GOODS 0; overall 18 / 20 = 0.9 exactly.
  EXPECT_EQ(f1_below(evaluation, 0.9), (std::vector<std::string>{"DAMAGED_GOODS (F1 0.0000)"}));
  EXPECT_EQ(f1_below(evaluation, 0.95),
            (std::vector<std::string>{"DAMAGED_GOODS (F1 0.0000)", "PAYMENT_TIMEOUT (F1 0.9474)", "OVERALL (F1 0.9000)"}));
  EXPECT_TRUE(f1_below(evaluation, 0.0).empty());
}

class EvaluateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("og-evaluate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(EvaluateFileTest, StreamsFilesLargerThanOneReadBlockAndReportsOverlongLines) {
  // ~3 MiB of incidents: lines cross the 1 MiB read blocks; one 2 MiB line in the middle.
  const std::filesystem::path path = dir_ / "incidents.ndjson";
  std::size_t written = 0;
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 6000; ++i) {
      out << incident("PAYMENT_TIMEOUT", "order", "O" + std::to_string(i), "10:00:00.000");
      ++written;
      if (i == 3000) out << std::string(2 << 20, 'x') << "\n";
    }
    // The last line without its newline still counts.
    const std::string last = incident("PAYMENT_TIMEOUT", "order", "LAST", "10:00:00.000");
    out << last.substr(0, last.size() - 1);
    ++written;
  }
  std::vector<std::string> reports;
  auto read = read_incidents_file(path.string(), [&](std::string_view file, std::uint64_t line, const std::string& reason) {
    reports.push_back(std::string(file) + ":" + std::to_string(line) + ": " + reason);
  });
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->detections.size(), written);
  EXPECT_EQ(read->detections.back().key.subject_id, "LAST");
  EXPECT_EQ(read->detections.back().line, 6002u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].rfind(path.string() + ":3002: line: longer than 1 MiB", 0), 0u) << reports[0];
}

TEST_F(EvaluateFileTest, AFileThatCannotBeReadIsAnErrorNamingIt) {
  const auto missing = read_truth_file((dir_ / "nope.ndjson").string(), nullptr);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("nope.ndjson"), std::string::npos);
  EXPECT_NE(missing.error().find("No such file"), std::string::npos);
  const auto directory = read_truth_file(dir_.string(), nullptr);
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().find("cannot read"), std::string::npos) << directory.error();
}

}  // namespace
}  // namespace og
