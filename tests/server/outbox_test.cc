// The outbox delivers every command at least once: to a file, appended; to a webhook, with
// the command id as Idempotency-Key, retried with backoff while the receiver fails. Delivery
// rounds are driven by hand (deliver_due) on a manual clock.
#include "server/outbox.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "server/http.h"

namespace og::server {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("og-outbox-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void add_commands(const std::vector<std::string>& sinks, std::vector<store::OutboxItem> items) {
    auto store = store::Store::open(dir_.string());
    ASSERT_TRUE(store);
    (*store)->set_sinks(sinks);
    ASSERT_TRUE((*store)->append({}, items, {}));
  }

  std::filesystem::path dir_;
  ManualClock clock_{1'000'000};
};

TEST_F(OutboxTest, TheFileSinkAppendsEachCommandOnce) {
  add_commands({"file"}, {{"cmd-1", 0, R"({"id":"cmd-1"})"}, {"cmd-2", 0, R"({"id":"cmd-2"})"}});
  OutboxOptions options;
  options.file = (dir_ / "out.ndjson").string();
  auto outbox = Outbox::open(dir_.string(), options, clock_);
  ASSERT_TRUE(outbox) << outbox.error();
  (*outbox)->deliver_due();
  (*outbox)->deliver_due();  // nothing left: nothing written twice
  std::ifstream in(options.file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{\"id\":\"cmd-1\"}\n{\"id\":\"cmd-2\"}\n");
  EXPECT_EQ((*outbox)->stats().delivered_file, 2U);
}

TEST_F(OutboxTest, ALineCutShortByACrashIsDroppedBeforeAppending) {
  // A process killed in the middle of a line: the next start must not glue a command onto it.
  OutboxOptions options;
  options.file = (dir_ / "out.ndjson").string();
  std::ofstream(options.file, std::ios::binary) << "{\"id\":\"cmd-0\"}\n{\"id\":\"cmd-1\",\"comm";
  add_commands({"file"}, {{"cmd-1", 0, R"({"id":"cmd-1"})"}});
  auto outbox = Outbox::open(dir_.string(), options, clock_);
  ASSERT_TRUE(outbox) << outbox.error();
  (*outbox)->deliver_due();
  std::ifstream in(options.file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{\"id\":\"cmd-0\"}\n{\"id\":\"cmd-1\"}\n");
  // A whole file, and a file of one cut line, are left whole or emptied.
  ASSERT_TRUE(Outbox::open(dir_.string(), options, clock_));
  EXPECT_EQ(std::filesystem::file_size(options.file), text.size());
  std::ofstream(options.file, std::ios::binary) << "{\"id\"";
  ASSERT_TRUE(Outbox::open(dir_.string(), options, clock_));
  EXPECT_EQ(std::filesystem::file_size(options.file), 0U);
}

TEST_F(OutboxTest, TheWebhookIsRetriedWithBackoffUntilItTakesTheCommand) {
  // A receiver that fails its first two calls.
  std::mutex mutex;
  std::vector<std::string> keys;
  int calls = 0;
  boost::asio::io_context io;
  HttpServer receiver(
      io,
      [&](Request& request) -> boost::asio::awaitable<Reply> {
        std::lock_guard lock(mutex);
        keys.emplace_back(request["Idempotency-Key"]);
        const bool fail = ++calls <= 2;
        co_return Reply{json_response(fail ? 503 : 200, "{}"), nullptr};
      },
      HttpLimits{});
  const std::uint16_t port = receiver.listen("127.0.0.1", 0);
  std::thread io_thread([&] { io.run(); });

  add_commands({"webhook"}, {{"cmd-1", 0, R"({"id":"cmd-1"})"}});
  OutboxOptions options;
  options.webhook = "http://127.0.0.1:" + std::to_string(port) + "/hooks/orderguard";
  options.first_retry_ms = 1000;
  auto outbox = Outbox::open(dir_.string(), options, clock_);
  ASSERT_TRUE(outbox) << outbox.error();
  (*outbox)->deliver_due();  // fails: retry in 1 s
  (*outbox)->deliver_due();  // not due yet: no call
  clock_.advance(1000);
  (*outbox)->deliver_due();  // fails again: retry in 2 s
  clock_.advance(1999);
  (*outbox)->deliver_due();  // not due
  clock_.advance(1);
  (*outbox)->deliver_due();  // taken
  clock_.advance(60'000);
  (*outbox)->deliver_due();  // nothing left
  receiver.close();
  io.stop();
  io_thread.join();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(keys, (std::vector<std::string>{"cmd-1", "cmd-1", "cmd-1"}));
  EXPECT_EQ((*outbox)->stats().delivered_webhook, 1U);
  EXPECT_EQ((*outbox)->stats().failures, 2U);
  EXPECT_NE((*outbox)->stats().last_error.find("503"), std::string::npos);
}

TEST_F(OutboxTest, AnUnusableWebhookIsRefusedAtStart) {
  OutboxOptions options;
  options.webhook = "https://example.com/x";
  auto outbox = Outbox::open(dir_.string(), options, clock_);
  ASSERT_FALSE(outbox);
  EXPECT_NE(outbox.error().find("http://"), std::string::npos);
}

}  // namespace
}  // namespace og::server
