// The world answering commands: realistic answers after realistic delays, idempotent per
// command id, deterministic per seed.
#include <gtest/gtest.h>

#include "events/parser.h"
#include "sim/world.h"

namespace og::sim {
namespace {

Command command(std::string id, std::string name, std::int64_t amount = -1) {
  Command c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.order_id = "G-000000001";
  c.at = 1795226400000;  // 2026-11-21T10:00:00+08:00
  c.amount = amount;
  return c;
}

// Every answer is a valid event of the contract, for the command's order, after it.
void expect_valid(const std::vector<WorldEvent>& events, const Command& issued) {
  Interner interner;
  EventParser parser(interner);
  Event event;
  TimeMs previous = issued.at;
  for (const WorldEvent& answer : events) {
    const auto parsed = parser.parse(answer.json, event);
    ASSERT_TRUE(parsed.has_value()) << answer.json << ": " << parsed.error();
    EXPECT_EQ(event.ts, answer.ts);
    EXPECT_GT(event.ts, issued.at);
    EXPECT_GE(event.ts, previous);
    EXPECT_EQ(interner.view(event.order_id), issued.order_id);
    EXPECT_EQ(event_type_name(event.type), answer.type);
    previous = event.ts;
  }
}

TEST(CommandResponder, PaymentRetryAnswersWithAPaymentResult) {
  CommandResponder world(7);
  int succeeded = 0, failed = 0;
  for (int i = 0; i < 200; ++i) {
    const Command retry = command("cmd-pay-" + std::to_string(i), "payment.retry", 1180);
    const auto events = world.respond(retry);
    ASSERT_EQ(events.size(), 1u);
    expect_valid(events, retry);
    EXPECT_LE(events[0].ts - retry.at, 60 * kSecondMs);
    (events[0].type == "payment.succeeded" ? succeeded : failed)++;
  }
  // About 70% succeed: both outcomes happen.
  EXPECT_GT(succeeded, 110);
  EXPECT_GT(failed, 25);
}

TEST(CommandResponder, RefundIssueIsRequestedThenSettled) {
  CommandResponder world(7);
  const Command refund = command("cmd-refund-1", "refund.issue", 500);
  const auto events = world.respond(refund);
  ASSERT_EQ(events.size(), 2u);
  expect_valid(events, refund);
  EXPECT_EQ(events[0].type, "refund.requested");
  EXPECT_TRUE(events[1].type == "refund.succeeded" || events[1].type == "refund.failed");
}

TEST(CommandResponder, EachCommandKindGetsItsEvent) {
  CommandResponder world(3, ResponderConfig{.reassign_success = 1, .cancel_success = 1, .release_success = 1});
  Command reassign = command("c1", "rider.reassign");
  reassign.rider_id = "R-G00007";
  auto events = world.respond(reassign);
  ASSERT_EQ(events.size(), 1u);
  expect_valid(events, reassign);
  EXPECT_EQ(events[0].type, "rider.assigned");
  EXPECT_NE(events[0].json.find("R-G00007"), std::string::npos);

  Command substitute = command("c2", "order.substitute");
  substitute.sku = "egg-10";
  substitute.substitute_sku = "egg-free-range-6";
  events = world.respond(substitute);
  ASSERT_EQ(events.size(), 1u);
  expect_valid(events, substitute);
  EXPECT_EQ(events[0].type, "substitution.responded");

  const Command cancel = command("c3", "order.cancel");
  events = world.respond(cancel);
  ASSERT_EQ(events.size(), 1u);
  expect_valid(events, cancel);
  EXPECT_EQ(events[0].type, "order.cancelled");

  Command release = command("c4", "stock.release");
  release.sku = "egg-10";
  release.qty = 2;
  events = world.respond(release);
  ASSERT_EQ(events.size(), 1u);
  expect_valid(events, release);
  EXPECT_EQ(events[0].type, "stock.released");

  EXPECT_TRUE(world.respond(command("c5", "notify")).empty());
  EXPECT_TRUE(world.respond(command("c6", "coupon.issue", 300)).empty());
}

TEST(CommandResponder, PickingRedoIsStartedAndCompletedWithTheItemsTheOrderNeeds) {
  CommandResponder world(5, ResponderConfig{.redo_success = 1});
  Command redo = command("r1", "picking.redo");
  redo.items = {{"egg-10", 2}, {"milk-1l", 1}};
  auto events = world.respond(redo);
  ASSERT_EQ(events.size(), 2u);
  expect_valid(events, redo);
  EXPECT_EQ(events[0].type, "picking.started");
  EXPECT_EQ(events[1].type, "picking.completed");
  EXPECT_NE(events[1].json.find(R"({"sku":"egg-10","qty":2})"), std::string::npos) << events[1].json;
  EXPECT_NE(events[1].json.find(R"({"sku":"milk-1l","qty":1})"), std::string::npos) << events[1].json;
  // Told nothing about the order, the warehouse only starts again.
  events = world.respond(command("r2", "picking.redo"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "picking.started");
}

TEST(CommandResponder, SameCommandIdIsAnsweredOnce) {
  CommandResponder world(7);
  const Command refund = command("cmd-refund-2", "refund.issue", 500);
  EXPECT_EQ(world.respond(refund).size(), 2u);
  EXPECT_TRUE(world.respond(refund).empty());  // a replay or restart must not refund twice
  EXPECT_EQ(world.answered(), 1u);
}

TEST(CommandResponder, AnswersDependOnSeedAndIdOnly) {
  CommandResponder a(11), b(11);
  const Command first = command("x-1", "payment.retry", 100);
  const Command second = command("x-2", "refund.issue", 100);
  // Asked in opposite orders, the two worlds give the same answers.
  const auto a1 = a.respond(first);
  const auto a2 = a.respond(second);
  const auto b2 = b.respond(second);
  const auto b1 = b.respond(first);
  ASSERT_EQ(a1.size(), b1.size());
  ASSERT_EQ(a2.size(), b2.size());
  for (std::size_t i = 0; i < a1.size(); ++i) EXPECT_EQ(a1[i].json, b1[i].json);
  for (std::size_t i = 0; i < a2.size(); ++i) EXPECT_EQ(a2[i].json, b2[i].json);
}

TEST(CommandResponder, IdempotencyMemoryIsBounded) {
  CommandResponder world(1, ResponderConfig{.max_remembered_commands = 8});
  for (int i = 0; i < 100; ++i) world.respond(command("n-" + std::to_string(i), "order.cancel"));
  // The oldest ids are forgotten, the newest remembered.
  EXPECT_TRUE(world.respond(command("n-99", "order.cancel")).empty());
  EXPECT_FALSE(world.respond(command("n-0", "order.cancel")).empty());
}

}  // namespace
}  // namespace og::sim
