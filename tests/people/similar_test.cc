// Tests for the similarity distance and similar_cases ordering.
#include <gtest/gtest.h>

#include "people/people.h"
#include "people_fixture.h"

namespace og::people {
namespace {

using testing::error_of;
using testing::kT0;
using testing::make_agent;
using testing::make_case;

EscalatedCase damaged(std::string id, std::int64_t value, std::string zone, std::string community, std::string user,
                      std::string cause) {
  EscalatedCase escalated = make_case(std::move(id), IncidentType::kDamagedGoods, Severity::kMedium, 40);
  escalated.order_value = value;
  escalated.zone = std::move(zone);
  escalated.community = std::move(community);
  escalated.user = std::move(user);
  escalated.cause = std::move(cause);
  return escalated;
}

const EscalatedCase kSubject = damaged("S", 10000, "Z1", "C1", "U1", "complaint:damaged");

TEST(CaseDistance, IsTheSumOfValuePlaceCustomerAndCause) {
  EXPECT_EQ(case_distance(kSubject, damaged("x", 10000, "Z1", "C1", "U1", "complaint:damaged")), 0);
  // value 40 * 10000/20000 = 20, same zone other community 10, other user 20, same cause 0.
  EXPECT_EQ(case_distance(kSubject, damaged("x", 20000, "Z1", "C2", "U2", "complaint:damaged")), 50);
  // value 40 * 5000/10000 = 20, other zone 20, same user 0, other cause 20.
  EXPECT_EQ(case_distance(kSubject, damaged("x", 5000, "Z9", "C9", "U1", "complaint:quality")), 60);
  // unknown value on one side 40; both unknown 20.
  EXPECT_EQ(case_distance(kSubject, damaged("x", kUnknownOrderValue, "Z1", "C1", "U1", "complaint:damaged")), 40);
  EXPECT_EQ(case_distance(damaged("a", kUnknownOrderValue, "", "", "", ""),
                          damaged("b", kUnknownOrderValue, "", "", "", "")),
            20 + 20 + 20 + 20);  // empty fields never match
  EXPECT_EQ(case_distance(damaged("a", 0, "Z", "C", "U", "c"), damaged("b", 0, "Z", "C", "U", "c")), 0);
  // symmetric
  const EscalatedCase other = damaged("x", 3000, "Z2", "C5", "U3", "c");
  EXPECT_EQ(case_distance(kSubject, other), case_distance(other, kSubject));
}

class SimilarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OG_OK(desk.add_agent(make_agent("A", {Skill::kAftersale}, 20), kT0));
    OG_OK(desk.escalate(damaged("r1", 10000, "Z1", "C1", "U1", "complaint:damaged"), kT0));              // 0
    OG_OK(desk.escalate(damaged("r2", 20000, "Z1", "C2", "U2", "complaint:damaged"), kT0));              // 50
    OG_OK(desk.escalate(damaged("r3", 5000, "Z9", "C9", "U1", "complaint:quality"), kT0));               // 60
    OG_OK(desk.escalate(damaged("r4", kUnknownOrderValue, "Z1", "C1", "U2", "complaint:damaged"), kT0));  // 60
    OG_OK(desk.escalate(damaged("r5", 10000, "Z1", "C1", "U1", "complaint:damaged"), kT0));              // 0
    EscalatedCase other_type = damaged("w1", 10000, "Z1", "C1", "U1", "complaint:damaged");
    other_type.type = IncidentType::kWrongOrMissingItem;
    OG_OK(desk.escalate(other_type, kT0));
    OG_OK(desk.escalate(damaged("open", 10000, "Z1", "C1", "U1", "complaint:damaged"), kT0));  // not closed
    OG_OK(desk.resolve("r3", "A", "refund_full", "refunded 50", kT0 + 1 * kMinuteMs));
    OG_OK(desk.resolve("r4", "A", "refund_partial", "refunded half", kT0 + 2 * kMinuteMs));
    OG_OK(desk.resolve("r2", "A", "replaced", "sent a new box", kT0 + 2 * kMinuteMs));
    OG_OK(desk.resolve("r1", "A", "refund_full", "refunded 100", kT0 + 3 * kMinuteMs));
    OG_OK(desk.mark_false_positive("r5", "A", kT0 + 3 * kMinuteMs));
    OG_OK(desk.escalate(kSubject, kT0 + 4 * kMinuteMs));
  }
  PeopleDesk desk;
};

TEST_F(SimilarTest, NearestFirstThenMostRecentlyClosedThenId) {
  const auto similar = desk.similar_cases("S", 10);
  ASSERT_TRUE(similar.has_value()) << similar.error();
  std::vector<std::string> ids;
  for (const SimilarCase& entry : *similar) ids.push_back(entry.incident_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"r1", "r5", "r2", "r4", "r3"}));
  EXPECT_EQ((*similar)[0].distance, 0);
  EXPECT_EQ((*similar)[0].ended, CaseStatus::kResolved);
  EXPECT_EQ((*similar)[0].resolution_code, "refund_full");
  EXPECT_EQ((*similar)[0].resolution_note, "refunded 100");
  EXPECT_EQ((*similar)[0].closed_by, "A");
  EXPECT_EQ((*similar)[0].handling_ms, 3 * kMinuteMs);
  EXPECT_EQ((*similar)[1].ended, CaseStatus::kFalsePositive);
  EXPECT_EQ((*similar)[2].distance, 50);
  EXPECT_EQ((*similar)[3].distance, 60);
  EXPECT_EQ((*similar)[4].distance, 60);
}

TEST_F(SimilarTest, TakesTheFirstN) {
  const auto similar = desk.similar_cases("S", 2);
  ASSERT_TRUE(similar.has_value());
  ASSERT_EQ(similar->size(), 2U);
  EXPECT_EQ((*similar)[0].incident_id, "r1");
  EXPECT_EQ((*similar)[1].incident_id, "r5");
}

TEST_F(SimilarTest, WorksForAClosedCaseTooAndExcludesItself) {
  const auto similar = desk.similar_cases("r1", 1);
  ASSERT_TRUE(similar.has_value());
  ASSERT_EQ(similar->size(), 1U);
  EXPECT_EQ((*similar)[0].incident_id, "r5");
}

TEST_F(SimilarTest, ValidatesItsArguments) {
  EXPECT_EQ(error_of(desk.similar_cases("S", 0)), "ask for 1-50 similar cases, not 0");
  EXPECT_EQ(error_of(desk.similar_cases("S", 51)), "ask for 1-50 similar cases, not 51");
  EXPECT_EQ(error_of(desk.similar_cases("nope", 3)), "no escalated incident 'nope' at the desk: check the id");
  const auto none = desk.similar_cases("w1", 5);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace og::people
