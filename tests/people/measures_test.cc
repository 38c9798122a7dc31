// Tests for compute_measures on the hand-checked day of people_fixture.h.
#include "people/measures.h"

#include <gtest/gtest.h>

#include "people/people.h"
#include "people_fixture.h"

namespace og::people {
namespace {

using testing::run_handling_day;

const HandlingMeasures& of(const Measures& measures, IncidentType type) {
  return measures.by_type[static_cast<std::size_t>(type)];
}
const SlaCount& sla(const HandlingMeasures& measures, Severity severity) {
  return measures.sla[static_cast<std::size_t>(severity)];
}

TEST(Measures, PaymentFailedOnTheHandCheckedDay) {
  PeopleDesk desk;
  run_handling_day(desk);
  const Measures measures = compute_measures(desk.log());
  const HandlingMeasures& payment = of(measures, IncidentType::kPaymentFailed);
  EXPECT_EQ(payment.escalated, 3);
  EXPECT_EQ(payment.handled, 3);
  // p1 acknowledged after 2 min, p2 marked after 2 min, p3 escalated further after 1 min.
  EXPECT_EQ(payment.first_handling_total_ms, 5 * kMinuteMs);
  EXPECT_EQ(payment.first_handling_max_ms, 2 * kMinuteMs);
  EXPECT_EQ(payment.mean_first_handling_ms(), 100 * kSecondMs);
  EXPECT_EQ(payment.resolved, 2);
  EXPECT_EQ(payment.false_positives, 1);
  EXPECT_EQ(payment.reviewed(), 3);
  ASSERT_TRUE(payment.precision().has_value());
  EXPECT_DOUBLE_EQ(*payment.precision(), 1.0 - 1.0 / 3.0);
  // Closed after 10, 2 and 14 minutes.
  EXPECT_EQ(payment.close_total_ms, 26 * kMinuteMs);
  EXPECT_EQ(payment.mean_close_ms(), 26 * kMinuteMs / 3);
  EXPECT_EQ(payment.sla_breaches, 0);
  EXPECT_EQ(sla(payment, Severity::kMedium).met, 3);
  EXPECT_EQ(sla(payment, Severity::kMedium).missed, 0);
  EXPECT_DOUBLE_EQ(sla(payment, Severity::kMedium).attainment().value_or(-1), 1.0);
}

TEST(Measures, DeliveryLateOnTheHandCheckedDay) {
  PeopleDesk desk;
  run_handling_day(desk);
  const Measures measures = compute_measures(desk.log());
  const HandlingMeasures& late = of(measures, IncidentType::kDeliveryLate);
  EXPECT_EQ(late.escalated, 2);
  EXPECT_EQ(late.handled, 1);  // d2 only has a comment, which is not handling
  EXPECT_EQ(late.first_handling_total_ms, 4 * kMinuteMs);
  EXPECT_EQ(late.resolved, 1);
  EXPECT_EQ(late.false_positives, 0);
  EXPECT_DOUBLE_EQ(late.precision().value_or(-1), 1.0);
  EXPECT_EQ(late.sla_breaches, 1);
  EXPECT_EQ(sla(late, Severity::kHigh).missed, 1);
  EXPECT_DOUBLE_EQ(sla(late, Severity::kHigh).attainment().value_or(-1), 0.0);
  EXPECT_EQ(sla(late, Severity::kLow).pending, 1);
  EXPECT_FALSE(sla(late, Severity::kLow).attainment().has_value());
}

TEST(Measures, OverallOnTheHandCheckedDay) {
  PeopleDesk desk;
  run_handling_day(desk);
  const Measures measures = compute_measures(desk.log());
  const HandlingMeasures& all = measures.overall;
  EXPECT_EQ(all.escalated, 5);
  EXPECT_EQ(all.handled, 4);
  EXPECT_EQ(all.first_handling_total_ms, 9 * kMinuteMs);
  EXPECT_EQ(all.first_handling_max_ms, 4 * kMinuteMs);
  EXPECT_EQ(all.mean_first_handling_ms(), 135 * kSecondMs);
  EXPECT_EQ(all.resolved, 3);
  EXPECT_EQ(all.false_positives, 1);
  EXPECT_DOUBLE_EQ(all.precision().value_or(-1), 0.75);
  EXPECT_EQ(all.sla_breaches, 1);
  EXPECT_EQ(sla(all, Severity::kMedium).met, 3);
  EXPECT_EQ(sla(all, Severity::kHigh).missed, 1);
  EXPECT_EQ(sla(all, Severity::kLow).pending, 1);
  // Types with no escalation stay empty.
  const HandlingMeasures& none = of(measures, IncidentType::kLowStock);
  EXPECT_EQ(none.escalated, 0);
  EXPECT_FALSE(none.precision().has_value());
  EXPECT_FALSE(none.mean_first_handling_ms().has_value());
}

TEST(Measures, ActionsWithoutTheirEscalationAreSkipped) {
  PeopleDesk desk;
  run_handling_day(desk);
  // From p2's escalation on (#8): p1 and d1 escalated before, so their later actions are skipped.
  const std::vector<Action> tail(desk.log().begin() + 7, desk.log().end());
  ASSERT_EQ(tail.front().incident_id, "p2");
  const Measures measures = compute_measures(tail);
  EXPECT_EQ(measures.overall.escalated, 3);  // p2, d2, p3
  EXPECT_EQ(measures.overall.resolved, 1);   // p3 (p1 and d1 are skipped)
  EXPECT_EQ(measures.overall.false_positives, 1);
  EXPECT_EQ(measures.overall.sla_breaches, 0);
  EXPECT_EQ(compute_measures({}).overall.escalated, 0);
}

TEST(Measures, AHandlingActionAtTheDeadlineMeetsTheSla) {
  PeopleDesk desk;
  OG_OK(desk.add_agent(testing::make_agent("A", {Skill::kPayment}, 1), testing::kT0));
  OG_OK(desk.escalate(testing::payment_case("p"), testing::kT0));
  OG_OK(desk.acknowledge("p", "A", testing::kT0 + 5 * kMinuteMs));
  const Measures measures = compute_measures(desk.log());
  EXPECT_EQ(sla(measures.overall, Severity::kMedium).met, 1);
}

}  // namespace
}  // namespace og::people
