// Customer data (PIPL, docs/privacy.md), end to end through the real binary: a canary phone
// and address pushed through every path (valid events, bad lines carrying them in many
// fields, validation drafts, order reads as each role, the event stream, metrics, the outbox,
// error bodies, the log) must come out of nothing but the two clear answers (the unmask, a
// supervisor's read of the order), and no file of the data directory may hold them in any
// simple form, before or after a key rotation. Also: masking, who may unmask, the audit
// links it leaves, and a wrong master key refused with exit code 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "client/http_client.h"
#include "serve_process.h"

namespace og::server {
namespace {

using namespace test_support;

constexpr const char* kPhone = "13912345678";
// Forms of the canary a leak could take: the phone as given and with separators, the
// address's parts (ASCII and Chinese), and the Chinese as \u escapes.
const std::vector<std::string> kNeedles = {"13912345678", "139-1234-5678", "139 1234 5678", "12345678", "canary", "金丝雀",
                                           "\\u91d1\\u4e1d\\u96c0", "\\u91D1\\u4E1D\\u96C0"};

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The needles found in `text` (ASCII case ignored).
std::vector<std::string> leaks(const std::string& text) {
  const std::string lower = lowercase(text);
  std::vector<std::string> found;
  for (const std::string& needle : kNeedles) {
    if (lower.find(lowercase(needle)) != std::string::npos) found.push_back(needle);
  }
  return found;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

const std::string kAddress =
    R"({"text":"清河小区金丝雀路Canary-Lane-8837号","building":"Canary-B7","unit":"Canary-U3","room":"Canary-R1202","lat":40.03,"lng":116.33})";

// Valid events carrying the canary, then bad lines carrying it in many fields.
std::string canary_events() {
  std::string out;
  out += R"({"id":"z1","type":"zone.config","ts":"2026-11-21T09:00:00+08:00","zone":"Z1","lat":40.03,"lng":116.33,"radius_m":5000})" "\n";
  out += std::string(R"({"id":"u1","type":"user.profile","ts":"2026-11-21T09:00:00+08:00","user_id":"U1","channels":["app","phone"],"phone":")") +
         kPhone + "\"}\n";
  out += R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U1","zone":"Z1","community":"清河小区","address":)" +
         kAddress + R"(,"items":[{"sku":"tomato","name":"西红柿","qty":2,"unit_price":590}],"amount":1180,"promise_at":"2026-11-21T10:45:00+08:00"})" "\n";
  out += R"({"id":"e2","type":"order.address_changed","ts":"2026-11-21T10:01:00+08:00","order_id":"O1","address":)" + kAddress + "}\n";
  out += R"({"id":"e3","type":"delivery.attempt_failed","ts":"2026-11-21T10:30:00+08:00","order_id":"O1","reason":"no_answer"})" "\n";
  // Bad lines: each is rejected, and its error must not echo the canary.
  out += R"({"id":"b1","type":"order.created","ts":"2026-11-21T10:02:00+08:00","order_id":"O2","user_id":"U1","address":{"text":"金丝雀路 Canary-Lane-8837")" "\n";
  out += R"({"id":"b2","type":"order.created","ts":"2026-11-21T10:02:00+08:00","order_id":"O2","user_id":"U1","address":)" + kAddress + "}\n";
  out += R"({"id":"b3","type":"order.created","ts":"not a time 13912345678","order_id":"O2","user_id":"U1","amount":1,"address":)" + kAddress + "}\n";
  out += R"({"id":"b4","type":"order.created","ts":"2026-11-21T10:02:00+08:00","order_id":"O2","user_id":"U1","amount":1,"address":"Canary-Lane-8837 13912345678"})" "\n";
  out += R"({"id":"b5","type":"order.created","ts":"2026-11-21T10:02:00+08:00","order_id":"O2","user_id":"U1","amount":1,"address":{"text":13912345678,"building":"Canary-B7"}})" "\n";
  out += "{\"id\":\"b6\",\"type\":\"order.address_changed\",\"ts\":\"2026-11-21T10:02:00+08:00\",\"order_id\":\"O1\",\"address\":{\"text\":\"Canary\xff\xfe 13912345678\"}}\n";
  out += R"({"id":"b7","type":"user.profile","ts":"2026-11-21T10:02:00+08:00","phone":"13912345678","channels":["app"]})" "\n";
  out += R"({"id":"b8","type":"user.profile","ts":"2026-11-21T10:02:00+08:00","user_id":"U1","phone":"13912345678","tier":"gold"})" "\n";
  out += R"({"id":"b9","type":"order.address_changed","ts":"2026-11-21T10:02:00+08:00","order_id":"O1","address":{"text":"Canary-Lane-8837","lat":"north"}})" "\n";
  out += "Canary-Lane-8837 13912345678 金丝雀路\n";
  out += R"({"id":"b10","type":"order.created","ts":"2026-11-21T10:02:00+08:00","order_id":"O2","user_id":"U1","amount":-5,"address":)" + kAddress + "}\n";
  return out;
}

class PrivacyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("og-privacy-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> serve_args(const std::string& key_file = {}) const {
    std::vector<std::string> args{"--data", data().string(), "--listen", "127.0.0.1:0", "--outbox-file",
                                  (dir_ / "commands.ndjson").string(), "--quiet-after", "24h", "--snapshot-every", "3"};
    if (!key_file.empty()) args.insert(args.end(), {"--master-key-file", key_file});
    return args;
  }
  std::filesystem::path data() const { return dir_ / "data"; }
  std::string token(const std::string& role, const std::string& agent = {}) {
    std::vector<std::string> args{"tokens", "create", "--role", role, "--data", data().string()};
    if (!agent.empty()) args.insert(args.end(), {"--agent", agent});
    const CommandResult made = run_binary(args);
    EXPECT_EQ(made.exit_code, 0) << made.output;
    const std::size_t at = made.output.find("og_");
    return at == std::string::npos ? "" : made.output.substr(at, made.output.find('\n', at) - at);
  }
  // What every file of the data directory, and the outbox file, leak.
  std::string file_leaks() const {
    std::string report;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
      if (!entry.is_regular_file()) continue;
      if (const auto found = leaks(read_file(entry.path())); !found.empty()) {
        report += entry.path().filename().string() + ": " + joined(found) + "\n";
      }
    }
    return report;
  }
  std::filesystem::path dir_;
};

TEST_F(PrivacyTest, CanaryLeavesOnlyThroughUnmask) {
  auto server = std::make_unique<ServeProcess>(serve_args());
  const std::uint16_t port = server->port();
  const std::string admin = read_file(data() / "admin.token").substr(0, 46);
  ASSERT_TRUE(std::filesystem::exists(data() / "master.key"));
  EXPECT_NE(server->log().find("keep it elsewhere"), std::string::npos) << server->log();
  const std::string ingest = token("ingest");
  const std::string viewer = token("viewer");
  const std::string agent = token("agent", "A1");
  const std::string supervisor = token("supervisor");

  // Everything any client is answered, to search at the end.
  std::string answers;
  const auto ask = [&](http::verb verb, const std::string& target, const std::string& who, std::string body = {}) {
    auto answer = call(port, verb, target, who, std::move(body));
    answers += target + " " + std::to_string(answer.first) + " " + answer.second + "\n";
    return answer;
  };

  // The stream, followed from before the first event until the last change arrived.
  std::mutex mutex;
  std::condition_variable arrived;
  std::string streamed;
  std::string last_seq;
  bool connected = false;
  client::StreamReader stream(
      client::Endpoint{"127.0.0.1", port}, viewer, "/v1/stream",
      [&](std::string_view event, std::string_view data) {
        std::lock_guard lock(mutex);
        streamed.append(event).append(" ").append(data).append("\n");
        if (event.empty() && data.starts_with("seq ")) last_seq = data.substr(4);
        arrived.notify_all();
      },
      [&] {
        std::lock_guard lock(mutex);
        connected = true;
        arrived.notify_all();
      },
      [](std::string) {});
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(arrived.wait_for(lock, std::chrono::seconds(30), [&] { return connected; }));
  }

  const auto [status, body] = ask(http::verb::post, "/v1/events", ingest, canary_events());
  ASSERT_EQ(status, 200U) << body;
  EXPECT_NE(body.find("\"rejected\":11"), std::string::npos) << body;
  const std::string seq = body.substr(body.find("\"seq\":") + 6, body.find_first_not_of("0123456789", body.find("\"seq\":") + 6) - body.find("\"seq\":") - 6);
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(arrived.wait_for(lock, std::chrono::seconds(30), [&] { return last_seq == seq; })) << streamed;
  }
  // An agent's comment moves event time, so the engine's timers fire and more incidents and
  // commands pass through every path.
  ask(http::verb::post, "/v1/events", ingest,
      R"({"id":"t1","type":"clock.tick","ts":"2026-11-21T12:00:00+08:00"})" "\n");

  // Validation drafts, valid and not.
  ask(http::verb::post, "/v1/validate", ingest,
      R"({"order_id":"D1","user_id":"U1","zone":"Z1","community":"清河小区","address":)" + kAddress +
          R"(,"items":[{"sku":"tomato","qty":1,"unit_price":590}],"amount":590,"phone":"13912345678"})");
  ask(http::verb::post, "/v1/validate", ingest, R"({"order_id":"D2","address":{"text":"Canary-Lane-8837 13912345678"})");
  ask(http::verb::post, "/v1/validate", ingest, R"({"order_id":"D3","amount":"Canary-Lane-8837","address":)" + kAddress + "}");

  // Reads below supervisor are masked, and so is every role's read with ?masked=true (the
  // dashboard's); a viewer cannot ask for more.
  const std::string kMasked = R"("customer":{"masked":true,"phone":"139****5678","address":"清河小区 ****"})";
  for (const std::string* who : {&viewer, &agent}) {
    for (const char* target : {"/v1/orders/O1", "/v1/orders/O1?masked=false"}) {
      const auto [order_status, order] = ask(http::verb::get, target, *who);
      ASSERT_EQ(order_status, 200U) << order;
      EXPECT_NE(order.find(kMasked), std::string::npos) << order;
    }
  }
  for (const std::string* who : {&viewer, &supervisor, &admin}) {
    const auto [order_status, order] = ask(http::verb::get, "/v1/orders/O1?masked=true", *who);
    ASSERT_EQ(order_status, 200U) << order;
    EXPECT_NE(order.find(kMasked), std::string::npos) << order;
  }
  EXPECT_EQ(ask(http::verb::get, "/v1/orders/O1?masked=yes", supervisor).first, 400U);
  EXPECT_EQ(ask(http::verb::get, "/v1/orders/O1?mask=true", supervisor).first, 400U);
  EXPECT_EQ(ask(http::verb::get, "/v1/orders/NOPE", supervisor).first, 404U);
  EXPECT_EQ(call(port, http::verb::get, "/v1/audit", supervisor).second.find(R"("kind":"unmask")"), std::string::npos)
      << "no read so far showed clear data";
  const auto [list_status, list] = ask(http::verb::get, "/v1/incidents?limit=500", viewer);
  ASSERT_EQ(list_status, 200U) << list;
  for (std::size_t at = list.find("\"id\":\"inc-"); at != std::string::npos; at = list.find("\"id\":\"inc-", at + 1)) {
    ask(http::verb::get, "/v1/incidents/" + list.substr(at + 6, list.find('"', at + 6) - at - 6), viewer);
  }
  for (const char* target : {"/v1/orders/O1/trail", "/v1/kpis", "/v1/agents", "/v1/audit", "/v1/me"}) ask(http::verb::get, target, supervisor);
  ask(http::verb::get, "/metrics", viewer);
  ask(http::verb::post, "/v1/orders/O1", admin, kAddress);  // 405

  // Unmasking: supervisor and up, with a reason; the only answer with the clear data.
  EXPECT_EQ(ask(http::verb::post, "/v1/orders/O1/unmask", agent, R"({"reason":"r"})").first, 403U);
  EXPECT_EQ(ask(http::verb::post, "/v1/orders/O1/unmask", viewer, R"({"reason":"r"})").first, 403U);
  EXPECT_EQ(ask(http::verb::post, "/v1/orders/O1/unmask", supervisor, R"({})").first, 400U);
  EXPECT_EQ(ask(http::verb::post, "/v1/orders/O1/unmask", supervisor, R"({"reason":" "})").first, 400U);
  EXPECT_EQ(ask(http::verb::post, "/v1/orders/O1/unmask", supervisor, R"({"reason":"x","phone":"13912345678"})").first, 400U);
  EXPECT_EQ(ask(http::verb::post, "/v1/orders/NOPE/unmask", supervisor, R"({"reason":"x"})").first, 404U);
  const auto unmasked = call(port, http::verb::post, "/v1/orders/O1/unmask", supervisor, R"({"reason":"rider cannot find the door"})");
  ASSERT_EQ(unmasked.first, 200U) << unmasked.second;
  EXPECT_EQ(unmasked.second,
            R"({"order_id":"O1","customer":{"masked":false,"phone":"13912345678","address":{"text":"清河小区金丝雀路Canary-Lane-8837号","building":"Canary-B7","unit":"Canary-U3","room":"Canary-R1202"}}})" "\n");
  // The search finds every form it looks for where they are.
  EXPECT_EQ(joined(leaks(unmasked.second)), "13912345678, 12345678, canary, 金丝雀");
  // A supervisor's plain read is an unmasking too (INTERFACES.md: clear from supervisor up,
  // written to the audit chain), with the same clear form.
  const auto read_clear = call(port, http::verb::get, "/v1/orders/O1", supervisor);
  ASSERT_EQ(read_clear.first, 200U) << read_clear.second;
  EXPECT_NE(read_clear.second.find(unmasked.second.substr(17, unmasked.second.size() - 19)), std::string::npos) << read_clear.second;
  EXPECT_NE(read_clear.second.find(R"("timeline":[)"), std::string::npos) << read_clear.second;
  const auto trail = ask(http::verb::get, "/v1/orders/O1/trail", viewer);
  EXPECT_NE(trail.second.find(R"("kind":"unmask","subject":"O1")"), std::string::npos) << trail.second;
  EXPECT_NE(trail.second.find(R"({"fields":["address","phone"],"reason":"rider cannot find the door"})"), std::string::npos) << trail.second;
  EXPECT_NE(trail.second.find(R"x({"fields":["address","phone"],"reason":"read of the order by a supervisor (GET /v1/orders/{id})"})x"), std::string::npos) << trail.second;
  const auto verified = ask(http::verb::post, "/v1/audit/verify", supervisor);
  EXPECT_NE(verified.second.find("\"verified\":true"), std::string::npos) << verified.second;

  // Nothing but the unmask answer says it: not the answers, the stream, the log, the files.
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(joined(leaks(streamed)), "") << streamed;
  }
  stream.stop();
  EXPECT_EQ(server->stop(), 0);
  EXPECT_EQ(joined(leaks(answers)), "") << answers;
  EXPECT_EQ(joined(leaks(server->log())), "") << server->log();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "commands.ndjson"));
  // The files searched are the live ones: the database holds the tokens' ids and the orders'.
  EXPECT_NE((read_file(data() / "orderguard.db") + read_file(data() / "orderguard.db-wal")).find("tok-"), std::string::npos);
  EXPECT_EQ(file_leaks(), "");

  // Rotation: a new master key re-wraps the data keys; the old one is refused with exit 2.
  const std::string new_key = (dir_ / "new.key").string();
  const CommandResult made = run_binary({"keys", "new", "--out", new_key});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  EXPECT_EQ(run_binary({"keys", "new", "--out", new_key}).exit_code, 2) << "never overwrites a key";
  const CommandResult rotated = run_binary({"keys", "rotate", "--data", data().string(), "--new-master-key-file", new_key});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.output;
  EXPECT_NE(rotated.output.find("1 data key(s) re-wrapped"), std::string::npos) << rotated.output;
  std::vector<std::string> old_key_serve = serve_args();  // DIR/master.key: the old key
  old_key_serve.insert(old_key_serve.begin(), "serve");
  const CommandResult refused = run_binary(old_key_serve);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("is not the one this data directory's keys are wrapped with"), std::string::npos) << refused.output;

  server = std::make_unique<ServeProcess>(serve_args(new_key));
  const auto again = call(server->port(), http::verb::get, "/v1/orders/O1", viewer);
  EXPECT_EQ(again.first, 200U);
  EXPECT_NE(again.second.find(R"("customer":{"masked":true,"phone":"139****5678","address":"清河小区 ****"})"), std::string::npos) << again.second;
  EXPECT_EQ(call(server->port(), http::verb::post, "/v1/orders/O1/unmask", supervisor, R"({"reason":"after rotation"})").second,
            unmasked.second);
  // While serve runs, neither a rotation nor a second serve may touch its directory.
  const std::string newer_key = (dir_ / "newer.key").string();
  ASSERT_EQ(run_binary({"keys", "new", "--out", newer_key}).exit_code, 0);
  const CommandResult busy = run_binary({"keys", "rotate", "--data", data().string(), "--master-key-file", new_key,
                                         "--new-master-key-file", newer_key});
  EXPECT_EQ(busy.exit_code, 2) << busy.output;
  EXPECT_NE(busy.output.find("data directory " + data().string() + " is in use by orderguard serve (process "), std::string::npos) << busy.output;
  EXPECT_EQ(busy.output.find("--data of its own"), std::string::npos) << busy.output;  // advice for a serve only
  std::vector<std::string> second_serve = serve_args(new_key);
  second_serve.insert(second_serve.begin(), "serve");
  const CommandResult second = run_binary(second_serve);
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_NE(second.output.find("stop it first, or give this serve a --data of its own"), std::string::npos) << second.output;

  // New records use the fresh data key.
  EXPECT_EQ(call(server->port(), http::verb::post, "/v1/events", ingest,
                 R"({"id":"e9","type":"order.address_changed","ts":"2026-11-21T12:01:00+08:00","order_id":"O1","address":)" + kAddress + "}\n")
                .first,
            200U);
  EXPECT_EQ(server->stop(), 0);
  EXPECT_EQ(joined(leaks(server->log())), "") << server->log();
  EXPECT_EQ(file_leaks(), "");
}

}  // namespace
}  // namespace og::server
