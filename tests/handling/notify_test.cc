// Notification text and limits.
#include <gtest/gtest.h>

#include "core/time.h"
#include "handling/notify.h"

namespace og {
namespace {

TEST(RenderTemplate, ReplacesKnownNamesAndKeepsUnknownOnes) {
  EXPECT_EQ(render_template("订单{order_id}已退款{amount}元{nope}", {{"order_id", "O1"}, {"amount", "12.5"}}), "订单O1已退款12.5元{nope}");
  EXPECT_EQ(render_template("no braces {", {}), "no braces {");
}

TEST(Yuan, ReadsLikeMoney) {
  EXPECT_EQ(yuan(1250), "12.5");
  EXPECT_EQ(yuan(1205), "12.05");
  EXPECT_EQ(yuan(300), "3");
  EXPECT_EQ(yuan(-150), "-1.5");
}

TEST(NotifyLimiter, AtMostNPerRecipientInTheHourEndingNow) {
  NotifyLimiter limiter;
  const TimeMs t = 1'000'000'000;
  // Each from another incident (sender): all of them count.
  EXPECT_EQ(limiter.admit(1, 10, 100, t, 2), NotifyVerdict::kSend);
  EXPECT_EQ(limiter.admit(1, 11, 101, t + kMinuteMs, 2), NotifyVerdict::kSend);
  EXPECT_EQ(limiter.admit(1, 12, 102, t + 2 * kMinuteMs, 2), NotifyVerdict::kOverHourlyLimit);
  EXPECT_EQ(limiter.admit(2, 13, 102, t + 2 * kMinuteMs, 2), NotifyVerdict::kSend);  // another recipient
  // The hour ending at t + 1h is (t, t + 1h]: the first one has left it.
  EXPECT_EQ(limiter.admit(1, 14, 103, t + kHourMs, 2), NotifyVerdict::kSend);
}

TEST(NotifyLimiter, AnIncidentsOwnFollowUpsAreNotHeldByTheHourlyLimit) {
  NotifyLimiter limiter;
  const TimeMs t = 1'000'000'000;
  EXPECT_EQ(limiter.admit(1, 10, 100, t, 2), NotifyVerdict::kSend);  // another incident's ETA notice
  // Incident 200's app message, SMS, call and address request: only the one other counts.
  EXPECT_EQ(limiter.admit(1, 20, 200, t + kMinuteMs, 2), NotifyVerdict::kSend);
  EXPECT_EQ(limiter.admit(1, 21, 200, t + 4 * kMinuteMs, 2), NotifyVerdict::kSend);
  EXPECT_EQ(limiter.admit(1, 22, 200, t + 7 * kMinuteMs, 2), NotifyVerdict::kSend);
  EXPECT_EQ(limiter.admit(1, 23, 200, t + 7 * kMinuteMs, 2), NotifyVerdict::kSend);
  // A third incident meets five sent by two others: held back.
  EXPECT_EQ(limiter.admit(1, 30, 300, t + 8 * kMinuteMs, 2), NotifyVerdict::kOverHourlyLimit);
}

TEST(NotifyLimiter, NeverTheSameContentTwice) {
  NotifyLimiter limiter;
  EXPECT_EQ(limiter.admit(1, 42, 100, 0, 10), NotifyVerdict::kSend);
  EXPECT_EQ(limiter.admit(1, 42, 100, 5 * kHourMs, 10), NotifyVerdict::kDuplicate);
  EXPECT_EQ(limiter.admit(2, 42, 101, 5 * kHourMs, 10), NotifyVerdict::kDuplicate);
}

}  // namespace
}  // namespace og
