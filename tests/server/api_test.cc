// The HTTP API over loopback (a real server on port 0, a real client): every endpoint, its
// roles, limits and errors. The service runs its own thread; its wall clock is a manual one,
// so event time moves only when a test moves it.
#include "server/api.h"
#include "server/event_body.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "server/http.h"
#include "server/service.h"
#include "server/tokens.h"

namespace og::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

const char* const kOrder =
    R"({"id":"e1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O1","user_id":"U1","kind":"grocery","zone":"Z1","community":"清河小区","address":{"text":"清河小区3号楼2单元501","building":"3","unit":"2","room":"501","lat":40.03,"lng":116.33},"items":[{"sku":"tomato-500g","name":"西红柿 500g","qty":2,"unit_price":590,"category":"vegetable"}],"amount":1180})";

// STATE_INCONSISTENT (always to a person) for order O2.
const char* const kInconsistent =
    R"({"id":"s1","type":"order.created","ts":"2026-11-21T10:00:00+08:00","order_id":"O2","user_id":"U2","kind":"errand","community":"北航学生公寓","address":{"text":"北航学生公寓6号楼312","building":"6","room":"312","lat":39.981,"lng":116.347},"items":[{"sku":"errand-express","name":"代取快递","qty":1,"unit_price":500,"category":"errand"}],"amount":500}
{"id":"s2","type":"rider.assigned","ts":"2026-11-21T10:02:00+08:00","order_id":"O2","rider_id":"R1"}
{"id":"s3","type":"delivery.picked_up","ts":"2026-11-21T10:05:00+08:00","order_id":"O2","rider_id":"R1"}
)";

struct Answer {
  unsigned status = 0;
  std::string body;
  std::string header(http::field field) const { return std::string(headers[field]); }
  http::fields headers;
};

// The ids of a list page's items, in order, and its next_cursor ("" on the last page).
std::pair<std::vector<std::string>, std::string> page_ids(const std::string& body) {
  std::vector<std::string> ids;
  constexpr std::string_view kStart = "{\"id\":\"inc-";
  for (std::size_t at = body.find(kStart); at != std::string::npos; at = body.find(kStart, at + 1)) {
    const std::size_t from = at + 7;
    ids.push_back(body.substr(from, body.find('"', from) - from));
  }
  const std::size_t next = body.find("\"next_cursor\":\"");
  return {ids, next == std::string::npos ? std::string() : body.substr(next + 15, body.find('"', next + 15) - next - 15)};
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("og-api-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    ServiceOptions options;
    options.data_dir = dir_.string();
    options.snapshot_every_records = 0;
    service_ = std::move(*Service::open(options, clock_));
    auto store = store::Store::open(dir_.string());
    for (Role role : {Role::kIngest, Role::kViewer, Role::kAgent, Role::kSupervisor, Role::kAdmin}) {
      tokens_[role] = create_token(**store, role, "test", 0, role == Role::kAgent ? "A1" : "")->secret;
    }
    other_agent_ = create_token(**store, Role::kAgent, "test", 0, "A2")->secret;
    check_ = std::make_unique<TokenCheck>(std::move(*store));
    ApiLimits limits;
    limits.max_batch_lines = 50;
    limits.max_page = 20;
    api_ = std::make_unique<Api>(*service_, *check_, limits, std::move(*store::Store::open(dir_.string())));
    HttpLimits http_limits;
    http_limits.max_body_bytes = 64 << 10;
    server_ = std::make_unique<HttpServer>(io_, [this](Request& request) { return api_->handle(request); }, http_limits);
    port_ = server_->listen("127.0.0.1", 0);
    service_->start();
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    server_->close();
    io_.stop();
    io_thread_.join();
    service_->stop();
    std::filesystem::remove_all(dir_);
  }

  Answer call(http::verb verb, const std::string& target, std::string body = {}, std::optional<Role> role = Role::kAdmin,
              std::string token = {}, const std::vector<std::pair<http::field, std::string>>& headers = {}) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (role) request.set(http::field::authorization, "Bearer " + tokens_[*role]);
    if (!token.empty()) request.set(http::field::authorization, token);
    for (const auto& [field, value] : headers) request.set(field, value);
    request.body() = std::move(body);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser);
    Answer answer;
    answer.status = parser.get().result_int();
    answer.body = parser.get().body();
    answer.headers = parser.get().base();
    return answer;
  }
  Answer get(const std::string& target, std::optional<Role> role = Role::kAdmin) { return call(http::verb::get, target, {}, role); }
  Answer post(const std::string& target, std::string body, std::optional<Role> role = Role::kAdmin) {
    return call(http::verb::post, target, std::move(body), role);
  }

  // Moves the wall clock on and lets the engine thread notice (its next round).
  // Orders P0, P1 ... of one user (events e10, e11 ...), never paid: past the payment timeout,
  // each has a PAYMENT_TIMEOUT, and together a community hotspot.
  void post_unpaid_orders_until_they_time_out(int count) {
    std::string orders;
    for (int i = 0; i < count; ++i) {
      std::string line = kOrder;
      line.replace(line.find("\"e1\""), 4, "\"e" + std::to_string(10 + i) + "\"");
      line.replace(line.find("\"O1\""), 4, "\"P" + std::to_string(i) + "\"");
      orders += line + "\n";
    }
    ASSERT_EQ(post("/v1/events", orders, Role::kIngest).status, 200U);
    advance_and_settle(16 * kMinuteMs);
  }

  void advance_and_settle(DurationMs by) {
    clock_.advance(by);
    get("/v1/kpis", Role::kViewer);  // a read queued behind the round that moves time
    get("/v1/kpis", Role::kViewer);
  }

  std::string escalated_incident() {
    EXPECT_EQ(post("/v1/agents", R"({"agent_id":"A1","name":"王芳","skills":["risk","delivery"],"capacity":3,"on_duty":true})",
                   Role::kSupervisor).status, 200U);
    EXPECT_EQ(post("/v1/events", kInconsistent, Role::kIngest).status, 200U);
    advance_and_settle(30 * kSecondMs);
    const Answer list = get("/v1/incidents?type=STATE_INCONSISTENT", Role::kViewer);
    const std::size_t at = list.body.find("\"id\":\"inc-");
    EXPECT_NE(at, std::string::npos) << list.body;
    return at == std::string::npos ? std::string() : list.body.substr(at + 6, 20);
  }

  std::filesystem::path dir_;
  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<Service> service_;
  std::map<Role, std::string> tokens_;  // the agent token acts as A1
  std::string other_agent_;             // an agent token acting as A2
  std::unique_ptr<TokenCheck> check_;
  std::unique_ptr<Api> api_;
  asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::thread io_thread_;
};

TEST_F(ApiTest, HealthReadinessAndMetricsNeedNoToken) {
  EXPECT_EQ(get("/healthz", std::nullopt).status, 200U);
  EXPECT_EQ(get("/readyz", std::nullopt).status, 200U);
  post("/v1/events", std::string(kOrder) + "\n", Role::kIngest);
  const Answer metrics = get("/metrics", std::nullopt);
  EXPECT_EQ(metrics.status, 200U);
  EXPECT_NE(metrics.header(http::field::content_type).find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("orderguard_events_total 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("orderguard_state{name=\"orders\"} 1"), std::string::npos) << metrics.body;
}

TEST_F(ApiTest, TokensAndRoles) {
  const Answer missing = get("/v1/incidents", std::nullopt);
  EXPECT_EQ(missing.status, 401U);
  EXPECT_NE(missing.body.find("\"code\":\"unauthorized\""), std::string::npos);
  EXPECT_EQ(call(http::verb::get, "/v1/incidents", {}, std::nullopt, "Bearer og_not-a-token").status, 401U);
  EXPECT_EQ(call(http::verb::get, "/v1/incidents", {}, std::nullopt, "Basic abc").status, 401U);
  // Role matrix: who may do what.
  EXPECT_EQ(post("/v1/events", kOrder, Role::kViewer).status, 403U);
  EXPECT_EQ(post("/v1/events", kOrder, Role::kIngest).status, 200U);
  EXPECT_EQ(get("/v1/incidents", Role::kIngest).status, 403U);
  EXPECT_EQ(get("/v1/incidents", Role::kViewer).status, 200U);
  EXPECT_EQ(get("/v1/kpis", Role::kViewer).status, 200U);
  EXPECT_EQ(get("/v1/rules", Role::kSupervisor).status, 403U);
  EXPECT_EQ(get("/v1/rules", Role::kAdmin).status, 200U);
  EXPECT_EQ(post("/v1/agents", R"({"agent_id":"A9","capacity":1})", Role::kAgent).status, 403U);
  EXPECT_EQ(post("/v1/incidents/inc-0000000000000000/ack", R"({"agent_id":"A9"})", Role::kViewer).status, 403U);
  const Answer forbidden = get("/v1/rules", Role::kViewer);
  EXPECT_NE(forbidden.body.find("needs the role admin"), std::string::npos) << forbidden.body;
}

// `orderguard tokens revoke` is another process with its own connection: the next call with the
// token is refused, not one some seconds later.
TEST_F(ApiTest, ARevokedTokenIsRefusedAtItsNextCall) {
  auto store = store::Store::open(dir_.string());
  ASSERT_TRUE(store) << store.error();
  const auto token = create_token(**store, Role::kViewer, "soon revoked", 0, "");
  ASSERT_TRUE(token) << token.error();
  const std::string bearer = "Bearer " + token->secret;
  EXPECT_EQ(call(http::verb::get, "/v1/kpis", {}, std::nullopt, bearer).status, 200U);
  ASSERT_TRUE((*store)->revoke_token(token->row.id).value_or(false));
  EXPECT_EQ(call(http::verb::get, "/v1/kpis", {}, std::nullopt, bearer).status, 401U);
}

// The whole matrix: every endpoint under /v1, every role and no token. A role too weak is
// refused by the role check itself (403 naming the role needed), before anything is read or
// done; a strong enough role gets past it (whatever the endpoint then answers: 200, 400, 404
// or an object-level 403 of an agent bound to another agent, never the role refusal), and
// nothing a refused call carried reaches the journal.
TEST_F(ApiTest, EveryEndpointByEveryRole) {
  enum class Who { kAnyRole, kIngestOnly, kViewer, kAgent, kSupervisor, kAdmin };
  struct Endpoint {
    http::verb verb;
    std::string target;
    std::string body;
    Who who;
  };
  const std::string incident = "/v1/incidents/inc-0000000000000000";
  const std::vector<Endpoint> endpoints = {
      {http::verb::post, "/v1/events", kOrder, Who::kIngestOnly},
      {http::verb::post, "/v1/validate", R"({"order":{}})", Who::kAnyRole},
      {http::verb::get, "/v1/incidents", "", Who::kViewer},
      {http::verb::get, incident, "", Who::kViewer},
      {http::verb::post, incident + "/ack", R"({"agent_id":"A1"})", Who::kAgent},
      {http::verb::post, incident + "/resolve", R"({"agent_id":"A1","note":"x"})", Who::kAgent},
      {http::verb::post, incident + "/escalate", R"({"agent_id":"A1","reason":"x"})", Who::kAgent},
      {http::verb::post, incident + "/reassign", R"({"agent_id":"A1","to":"A2"})", Who::kAgent},
      {http::verb::post, incident + "/comment", R"({"agent_id":"A1","text":"x"})", Who::kAgent},
      {http::verb::get, "/v1/orders/O1", "", Who::kViewer},
      {http::verb::get, "/v1/orders/O1/trail", "", Who::kViewer},
      {http::verb::post, "/v1/orders/O1/unmask", R"({"reason":"a customer's call"})", Who::kSupervisor},
      {http::verb::get, "/v1/stream", "", Who::kViewer},
      {http::verb::get, "/v1/rules", "", Who::kAdmin},
      {http::verb::put, "/v1/rules", "not = [toml", Who::kAdmin},
      {http::verb::get, "/v1/agents", "", Who::kViewer},
      {http::verb::post, "/v1/agents", R"({"agent_id":"A9","capacity":1})", Who::kSupervisor},
      {http::verb::post, "/v1/agents/A1/duty", R"({"on_duty":true})", Who::kAgent},  // the agent token acts as A1
      {http::verb::get, "/v1/agents/A1/queue", "", Who::kAgent},
      {http::verb::get, "/v1/kpis", "", Who::kViewer},
      {http::verb::get, "/v1/audit", "", Who::kSupervisor},
      {http::verb::post, "/v1/audit/verify", "", Who::kSupervisor},
      {http::verb::get, "/v1/me", "", Who::kAnyRole},
  };
  const auto allowed = [](Who who, Role role) {
    switch (who) {
      case Who::kAnyRole: return true;
      case Who::kIngestOnly: return role == Role::kIngest || role == Role::kAdmin;  // admin may do anything
      case Who::kViewer: return role >= Role::kViewer;
      case Who::kAgent: return role >= Role::kAgent;
      case Who::kSupervisor: return role >= Role::kSupervisor;
      case Who::kAdmin: return role == Role::kAdmin;
    }
    return false;
  };
  const std::vector<Role> roles = {Role::kIngest, Role::kViewer, Role::kAgent, Role::kSupervisor, Role::kAdmin};
  for (const Endpoint& endpoint : endpoints) {
    const std::string what = std::string(http::to_string(endpoint.verb)) + " " + endpoint.target;
    const Answer anonymous = call(endpoint.verb, endpoint.target, endpoint.body, std::nullopt);
    EXPECT_EQ(anonymous.status, 401U) << what;
    EXPECT_NE(anonymous.body.find("\"code\":\"unauthorized\""), std::string::npos) << what << ": " << anonymous.body;
    for (const Role role : roles) {
      const bool may = allowed(endpoint.who, role);
      // A permitted stream never ends: its refusals are all this test reads of it.
      if (may && endpoint.target == "/v1/stream") continue;
      const std::uint64_t records_before = service_->stats().records;
      const Answer answer = call(endpoint.verb, endpoint.target, endpoint.body, role);
      const std::string at = what + " as " + std::string(role_name(role)) + ": " + std::to_string(answer.status) + " " + answer.body;
      const bool role_refused = answer.status == 403U && answer.body.find("needs the role") != std::string::npos;
      EXPECT_NE(answer.status, 401U) << at;
      EXPECT_EQ(role_refused, !may) << at;
      if (!may) {
        EXPECT_EQ(answer.status, 403U) << at;
        EXPECT_EQ(service_->stats().records, records_before) << at << ": a refused call reached the journal";
      }
    }
  }
}

TEST_F(ApiTest, EventsAnswerPerLineAfterTheyAreStored) {
  const Answer ok = post("/v1/events", std::string(kOrder) + "\n{\"id\":\"x\",\"type\":\"order.created\"}\n", Role::kIngest);
  EXPECT_EQ(ok.status, 200U);
  EXPECT_NE(ok.body.find("\"accepted\":1"), std::string::npos) << ok.body;
  EXPECT_NE(ok.body.find("\"rejected\":1"), std::string::npos) << ok.body;
  EXPECT_NE(ok.body.find("{\"line\":2,\"message\":\"line 2: "), std::string::npos) << ok.body;
  EXPECT_EQ(service_->stats().records, 1U);
  const Answer again = post("/v1/events", kOrder, Role::kIngest);
  EXPECT_EQ(again.status, 200U);
  EXPECT_NE(again.body.find("\"duplicates\":1"), std::string::npos) << again.body;
  const Answer bad = post("/v1/events", "not json at all\n", Role::kIngest);
  EXPECT_EQ(bad.status, 400U);
  EXPECT_NE(bad.body.find("line 1: "), std::string::npos) << bad.body;
  // An epoch with one digit too many (year 2528) is refused by line, and time stays where it was.
  const Answer future = post("/v1/events",
                             R"({"id":"f1","type":"payment.succeeded","ts":17637408000000,"order_id":"O1","amount":1180,"txn_id":"T9"})"
                             "\n",
                             Role::kIngest);
  EXPECT_EQ(future.status, 400U);
  EXPECT_NE(future.body.find("more than engine.max_time_jump"), std::string::npos) << future.body;
  const Answer paid = post("/v1/events",
                           R"({"id":"f1","type":"payment.succeeded","ts":"2026-11-21T10:00:40+08:00","order_id":"O1","amount":1180,"txn_id":"T9"})"
                           "\n",
                           Role::kIngest);
  EXPECT_EQ(paid.status, 200U);
  EXPECT_NE(paid.body.find("\"accepted\":1,\"duplicates\":0,\"late\":0"), std::string::npos) << paid.body;
}

// INTERFACES.md gives each action its role: an ingest token's feed cannot register a
// supervisor or close a case by posting agent.* events. An admin's batch may (the demo's
// simulated people).
// A compressed batch is refused before it is journaled: stored, it would be bytes no line of
// which could ever be read. "identity" is no encoding at all.
TEST_F(ApiTest, ACompressedBatchIsRefusedAndNothingIsStored) {
  const Answer gzip = call(http::verb::post, "/v1/events", "\x1f\x8b\x08\x00garbage", Role::kIngest, {},
                           {{http::field::content_encoding, "gzip"}});
  EXPECT_EQ(gzip.status, 415U) << gzip.body;
  EXPECT_NE(gzip.body.find("Content-Encoding gzip is not taken: send the events uncompressed"), std::string::npos) << gzip.body;
  EXPECT_EQ(service_->stats().records, 0U);
  const Answer plain = call(http::verb::post, "/v1/events", std::string(kOrder) + "\n", Role::kIngest, {},
                            {{http::field::content_encoding, "Identity"}});
  EXPECT_EQ(plain.status, 200U) << plain.body;
  EXPECT_EQ(service_->stats().records, 1U);
}

TEST_F(ApiTest, AnIngestTokenCannotActForAPerson) {
  const std::string joined =
      R"({"id":"a1","type":"agent.joined","ts":"2026-11-21T10:00:00+08:00","agent_id":"EVIL","skills":["senior"],"capacity":5,"on_duty":true,"supervisor":true})";
  const Answer refused = post("/v1/events", joined + "\n", Role::kIngest);
  EXPECT_EQ(refused.status, 400U);
  EXPECT_NE(refused.body.find("agent.joined is a person's action"), std::string::npos) << refused.body;
  EXPECT_EQ(get("/v1/agents", Role::kViewer).body.find("EVIL"), std::string::npos);
  const Answer admin = post("/v1/events", joined + "\n" + R"({"id":"t1","type":"clock.tick","ts":"2026-11-21T10:01:00+08:00"})" + "\n", Role::kAdmin);
  EXPECT_EQ(admin.status, 200U) << admin.body;
  EXPECT_NE(get("/v1/agents", Role::kViewer).body.find("EVIL"), std::string::npos);
}

// Decision 35: before any event, a person's action happens at the start of event time. A
// client that registers its agents first and then sends a day stamped before the wall clock
// (here 2026 against 2027) gets nothing late: no payment timeout for an order paid 40 s in.
TEST_F(ApiTest, AgentsRegisteredBeforeTheFirstEventMakeNothingLate) {
  ASSERT_EQ(post("/v1/agents", R"({"agent_id":"P1","skills":["payment"],"capacity":3,"on_duty":true})", Role::kSupervisor).status, 200U);
  const Answer day = post("/v1/events", std::string(kOrder) + "\n" +
                                            R"({"id":"e2","type":"payment.succeeded","ts":"2026-11-21T10:00:40+08:00","order_id":"O1","amount":1180,"txn_id":"T9"})" "\n",
                          Role::kIngest);
  ASSERT_EQ(day.status, 200U) << day.body;
  EXPECT_NE(day.body.find("\"late\":0"), std::string::npos) << day.body;
  const Answer timeouts = get("/v1/incidents?type=PAYMENT_TIMEOUT", Role::kViewer);
  EXPECT_EQ(timeouts.body.find("\"id\":\"inc-"), std::string::npos) << timeouts.body;
}

// "One event or an NDJSON batch": one event may come pretty-printed over several lines.
TEST_F(ApiTest, OneEventOverSeveralLinesIsOneEvent) {
  const std::string pretty =
      "{\n  \"id\": \"p1\",\n  \"type\": \"order.created\",\n  \"ts\": \"2026-11-21T10:00:00+08:00\",\r\n"
      "  \"order_id\": \"P1\",\n  \"user_id\": \"U1\",\n  \"amount\": 100,\n  \"note\": \"两行\"\n}\n";
  const Answer one = post("/v1/events", pretty, Role::kIngest);
  EXPECT_EQ(one.status, 200U) << one.body;
  EXPECT_NE(one.body.find("\"accepted\":1,"), std::string::npos) << one.body;
  EXPECT_NE(one.body.find("\"rejected\":0,"), std::string::npos) << one.body;
  EXPECT_EQ(get("/v1/orders/P1", Role::kViewer).status, 200U);
  // A batch whose first line is broken is still read line by line: the good line gets in.
  const Answer broken = post("/v1/events", "{\"id\":\"p2\",\n" + std::string(kOrder) + "\n", Role::kIngest);
  EXPECT_EQ(broken.status, 200U) << broken.body;
  EXPECT_NE(broken.body.find("\"rejected\":1,"), std::string::npos) << broken.body;
  EXPECT_NE(broken.body.find("\"accepted\":1,"), std::string::npos) << broken.body;
}

TEST(EventBody, OnlyOneObjectOverSeveralLinesIsJoined) {
  std::string pretty = "{\n \"a\": 1,\r\n \"b\": \"x\"\n}";
  EXPECT_TRUE(join_one_event(pretty));
  EXPECT_EQ(pretty, "{  \"a\": 1,   \"b\": \"x\" }\n");
  for (std::string left_alone : {std::string("{\"a\":1}\n{\"b\":2}\n"), std::string("{\"a\":1}"), std::string("{\n\"a\":1\n}\n{\"b\":2}\n"),
                                 std::string("[\n1\n]"), std::string("{\"a\":\n"), std::string("")}) {
    const std::string before = left_alone;
    EXPECT_FALSE(join_one_event(left_alone)) << before;
    EXPECT_EQ(left_alone, before);
  }
  EXPECT_EQ(ndjson_lines(""), 0U);
  EXPECT_EQ(ndjson_lines("{}"), 1U);
  EXPECT_EQ(ndjson_lines("{}\n{}"), 2U);
  EXPECT_EQ(ndjson_lines("{}\n{}\n"), 2U);
}

TEST_F(ApiTest, EventLimitsAnswer413WithWhatToDo) {
  std::string many;
  for (int i = 0; i < 60; ++i) many += std::string(kOrder) + "\n";
  const Answer batch = post("/v1/events", many, Role::kIngest);
  EXPECT_EQ(batch.status, 413U);
  // 51 lines, the last without its '\n': it counts too.
  std::string just_over;
  for (int i = 0; i < 51; ++i) just_over += (i > 0 ? "\n" : "") + std::string(kOrder);
  EXPECT_EQ(post("/v1/events", just_over, Role::kIngest).status, 413U);
  EXPECT_NE(batch.body.find("batch_too_large"), std::string::npos) << batch.body;
  const Answer body = post("/v1/events", std::string(70 << 10, ' '), Role::kIngest);
  EXPECT_EQ(body.status, 413U);
  EXPECT_NE(body.body.find("smaller batches"), std::string::npos) << body.body;
  // A body far larger than the socket's buffers, written whole before the answer is read (as
  // urllib does): the client reads the 413, not a broken pipe.
  Answer huge;
  EXPECT_NO_THROW(huge = post("/v1/events", std::string(8 << 20, ' '), Role::kIngest));
  EXPECT_EQ(huge.status, 413U);
  EXPECT_NE(huge.body.find("the limit is"), std::string::npos) << huge.body;
  // A client that declares a body over the limit and waits before sending it is answered at
  // once (the server answers, then drops what comes, for a few seconds at most).
  {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(5));  // the idle timeout would be 60 s
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    const std::string head = "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + tokens_[Role::kIngest] +
                             "\r\nContent-Length: 100000000\r\n\r\n";
    asio::write(stream, asio::buffer(head));
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    beast::error_code ec;
    http::read(stream, buffer, response, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(response.result_int(), 413U);
    EXPECT_NE(response.body().find("the body is 100000000 bytes"), std::string::npos) << response.body();
  }
  // Nothing of either was stored, and the server goes on.
  EXPECT_EQ(service_->stats().records, 0U);
  EXPECT_EQ(get("/healthz", std::nullopt).status, 200U);
}

TEST_F(ApiTest, IncidentsFilterSortAndPage) {
  ASSERT_NO_FATAL_FAILURE(post_unpaid_orders_until_they_time_out(5));
  const Answer all = get("/v1/incidents?type=PAYMENT_TIMEOUT&limit=2", Role::kViewer);
  ASSERT_EQ(all.status, 200U) << all.body;
  EXPECT_NE(all.body.find("\"total\":5"), std::string::npos) << all.body;
  EXPECT_NE(all.body.find("\"next_cursor\":\"k"), std::string::npos) << all.body;  // the place of the second
  const Answer last = get("/v1/incidents?type=PAYMENT_TIMEOUT&limit=2&cursor=4", Role::kViewer);
  EXPECT_NE(last.body.find("\"next_cursor\":null"), std::string::npos) << last.body;
  const Answer place = get("/v1/incidents?zone=Z1&community=%E6%B8%85%E6%B2%B3%E5%B0%8F%E5%8C%BA", Role::kViewer);
  // The five timeouts and the community hotspot they make.
  EXPECT_NE(place.body.find("\"total\":6"), std::string::npos) << place.body;
  EXPECT_NE(get("/v1/incidents?subject=order:P3", Role::kViewer).body.find("\"total\":1"), std::string::npos);
  const Answer high = get("/v1/incidents?severity=high", Role::kViewer);
  EXPECT_NE(high.body.find("\"total\":1"), std::string::npos) << high.body;
  EXPECT_NE(high.body.find("COMMUNITY_HOTSPOT"), std::string::npos) << high.body;
  EXPECT_EQ(get("/v1/incidents?status=bogus", Role::kViewer).status, 400U);
  EXPECT_EQ(get("/v1/incidents?limit=21", Role::kViewer).status, 400U);
  EXPECT_EQ(get("/v1/incidents?limit=0", Role::kViewer).status, 400U);
  const Answer unknown = get("/v1/incidents?colour=red", Role::kViewer);
  EXPECT_EQ(unknown.status, 400U);
  EXPECT_NE(unknown.body.find("colour"), std::string::npos);
}

// Pages are cut from one order (most urgent first, then newest, then id) whatever their size:
// only the part up to the page is put in order, so every page size must give the same sequence.
TEST_F(ApiTest, PagesOfEverySizeFollowOneOrder) {
  ASSERT_NO_FATAL_FAILURE(post_unpaid_orders_until_they_time_out(7));
  const auto ids_in = [](const std::string& body) { return page_ids(body).first; };
  const Answer whole = get("/v1/incidents?limit=20", Role::kViewer);
  ASSERT_EQ(whole.status, 200U) << whole.body;
  const std::vector<std::string> expected = ids_in(whole.body);
  // Seven timeouts, their community hotspot, and the user's duplicate unpaid orders: three
  // priorities, and timeouts of one priority and time that only their ids put in order.
  ASSERT_EQ(expected.size(), 9U) << whole.body;
  EXPECT_NE(whole.body.find("\"items\":[{\"id\":\"" + expected[0] + "\",\"type\":\"COMMUNITY_HOTSPOT\""), std::string::npos)
      << "the high-severity hotspot comes first: " << whole.body;
  for (int limit = 1; limit <= 9; ++limit) {
    std::vector<std::string> paged;
    std::string cursor = "0";
    for (int pages = 0; pages < 10 && !cursor.empty(); ++pages) {
      const Answer page = get("/v1/incidents?limit=" + std::to_string(limit) + "&cursor=" + cursor, Role::kViewer);
      ASSERT_EQ(page.status, 200U) << page.body;
      EXPECT_NE(page.body.find("\"total\":9"), std::string::npos) << page.body;
      auto [ids, next] = page_ids(page.body);
      paged.insert(paged.end(), ids.begin(), ids.end());
      cursor = next;
    }
    EXPECT_EQ(paged, expected) << "limit " << limit;
  }
  // A cursor past the end, even one that would overflow when the page size is added: an empty
  // last page, not a cursor that wrapped around.
  for (const std::string cursor : {"9", "1000", "18446744073709551615"}) {
    const Answer past = get("/v1/incidents?limit=5&cursor=" + cursor, Role::kViewer);
    ASSERT_EQ(past.status, 200U) << past.body;
    EXPECT_NE(past.body.find("\"items\":[],\"total\":9,\"next_cursor\":null"), std::string::npos) << cursor << ": " << past.body;
  }
  // Filters on ids the engine never saw match nothing; on known ones, only theirs.
  EXPECT_NE(get("/v1/incidents?zone=nowhere", Role::kViewer).body.find("\"total\":0"), std::string::npos);
  EXPECT_NE(get("/v1/incidents?order_id=P9", Role::kViewer).body.find("\"total\":0"), std::string::npos);
  EXPECT_NE(get("/v1/incidents?subject=user:P3", Role::kViewer).body.find("\"total\":0"), std::string::npos);
  EXPECT_NE(get("/v1/incidents?order_id=P3", Role::kViewer).body.find("\"total\":1"), std::string::npos);
  EXPECT_NE(get("/v1/incidents?subject=user:U1", Role::kViewer).body.find("\"total\":1"), std::string::npos);
  // An id may hold a colon: "kind:" is read off only when it names a kind.
  std::string colon(kOrder);
  colon.replace(colon.find("\"e1\""), 4, "\"c1\"");
  colon.replace(colon.find("\"O1\""), 4, "\"ORD:7\"");
  ASSERT_EQ(post("/v1/events", colon + "\n", Role::kIngest).status, 200U);
  advance_and_settle(16 * kMinuteMs);
  EXPECT_NE(get("/v1/incidents?subject=ORD:7", Role::kViewer).body.find("\"total\":1"), std::string::npos);
  EXPECT_NE(get("/v1/incidents?subject=order:ORD:7", Role::kViewer).body.find("\"total\":1"), std::string::npos);
  EXPECT_NE(get("/v1/incidents?subject=user:ORD:7", Role::kViewer).body.find("\"total\":0"), std::string::npos);
}

// --max-page bounds the page a client gets without asking for a size, too (here 20 < 50).
TEST_F(ApiTest, TheDefaultPageIsNoLargerThanTheMaximum) {
  ASSERT_NO_FATAL_FAILURE(post_unpaid_orders_until_they_time_out(25));
  const Answer page = get("/v1/incidents?type=PAYMENT_TIMEOUT", Role::kViewer);
  ASSERT_EQ(page.status, 200U) << page.body;
  std::size_t items = 0;
  for (std::size_t at = page.body.find("\"type\":\"PAYMENT_TIMEOUT\""); at != std::string::npos;
       at = page.body.find("\"type\":\"PAYMENT_TIMEOUT\"", at + 1)) {
    ++items;
  }
  EXPECT_EQ(items, 20U) << page.body;
  EXPECT_NE(page.body.find("\"total\":25"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("\"next_cursor\":\"k"), std::string::npos) << page.body;
}

// A list read page by page while incidents keep coming (a live server's deadlines fire between
// two requests): newer ones sort before the pages already read, and a cursor that were an
// offset would serve the same incident twice. next_cursor names the last incident served.
TEST_F(ApiTest, ACursorKeepsItsPlaceWhileIncidentsArrive) {
  ASSERT_NO_FATAL_FAILURE(post_unpaid_orders_until_they_time_out(5));
  const auto ids_and_next = page_ids;
  const Answer before = get("/v1/incidents?type=PAYMENT_TIMEOUT&limit=20", Role::kViewer);
  const std::vector<std::string> first_five = ids_and_next(before.body).first;
  ASSERT_EQ(first_five.size(), 5U) << before.body;

  auto [served, cursor] = ids_and_next(get("/v1/incidents?type=PAYMENT_TIMEOUT&limit=2", Role::kViewer).body);
  ASSERT_EQ(served.size(), 2U);
  ASSERT_FALSE(cursor.empty());
  std::string orders;
  for (int i = 0; i < 3; ++i) {
    std::string line = kOrder;
    line.replace(line.find("\"e1\""), 4, "\"q" + std::to_string(i) + "\"");
    line.replace(line.find("\"O1\""), 4, "\"Q" + std::to_string(i) + "\"");
    line.replace(line.find("\"U1\""), 4, "\"V" + std::to_string(i) + "\"");
    line.replace(line.find("10:00:00"), 8, "10:01:00");
    line.insert(line.size() - 1, R"(,"user_tier":"vip")");  // +10: before every one of the five
    orders += line + "\n";
  }
  ASSERT_EQ(post("/v1/events", orders, Role::kIngest).status, 200U);
  advance_and_settle(16 * kMinuteMs);
  for (int pages = 0; pages < 10 && !cursor.empty(); ++pages) {
    const Answer page = get("/v1/incidents?type=PAYMENT_TIMEOUT&limit=2&cursor=" + cursor, Role::kViewer);
    ASSERT_EQ(page.status, 200U) << page.body;
    EXPECT_NE(page.body.find("\"total\":8"), std::string::npos) << page.body;
    auto [ids, next] = ids_and_next(page.body);
    served.insert(served.end(), ids.begin(), ids.end());
    cursor = next;
  }
  // Each of the five once, in their order; the three VIP ones sort before them all.
  EXPECT_EQ(served, first_five);
  const auto [now_first, unused] = ids_and_next(get("/v1/incidents?type=PAYMENT_TIMEOUT&limit=3", Role::kViewer).body);
  for (const std::string& id : now_first) EXPECT_EQ(std::count(first_five.begin(), first_five.end(), id), 0) << id;
}

TEST_F(ApiTest, AnIncidentComesWithItsCommandsAndCase) {
  EXPECT_EQ(get("/v1/incidents/inc-0000000000000000", Role::kViewer).status, 404U);
  const std::string id = escalated_incident();
  ASSERT_FALSE(id.empty());
  const Answer detail = get("/v1/incidents/" + id, Role::kViewer);
  ASSERT_EQ(detail.status, 200U);
  EXPECT_NE(detail.body.find("\"incident\":{\"id\":\"" + id), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("\"case\":{\"status\":\"assigned\",\"assignee\":\"A1\""), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("\"desk_actions\":[{"), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("\"similar\":["), std::string::npos) << detail.body;
  // With the order's timeline, as GET /v1/orders/{id} has it: its milestones and this incident.
  const std::size_t timeline = detail.body.find("\"timeline\":[{\"at\":");
  ASSERT_NE(timeline, std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("\"kind\":\"milestone\",\"name\":\"created\"", timeline), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("\"kind\":\"incident\",\"incident\":{\"id\":\"" + id, timeline), std::string::npos) << detail.body;
}

// An incident a playbook is still handling is no person's case yet: agent and supervisor alike
// are told so, not sent to each other (an agent was told "a supervisor can act on it", the
// supervisor "check the id").
TEST_F(ApiTest, AnIncidentStillHandledAutomaticallyIsNotAPersonsToActOn) {
  ASSERT_NO_FATAL_FAILURE(post_unpaid_orders_until_they_time_out(1));
  const Answer list = get("/v1/incidents?type=PAYMENT_TIMEOUT&status=handling", Role::kViewer);
  const std::size_t at = list.body.find("\"id\":\"inc-");
  ASSERT_NE(at, std::string::npos) << list.body;
  const std::string id = list.body.substr(at + 6, list.body.find('"', at + 6) - at - 6);
  EXPECT_EQ(post("/v1/agents", R"({"agent_id":"A1","skills":["payment"],"capacity":3,"on_duty":true})", Role::kSupervisor).status, 200U);
  for (const auto& [action, body, role] : {std::tuple{"ack", "{}", Role::kAgent},
                                           std::tuple{"resolve", R"({"agent_id":"A1","resolution_code":"fixed"})", Role::kSupervisor},
                                           std::tuple{"comment", R"({"text":"看看"})", Role::kAgent}}) {
    const Answer refused = post("/v1/incidents/" + id + "/" + action, body, role);
    EXPECT_EQ(refused.status, 409U) << action << ": " << refused.body;
    EXPECT_NE(refused.body.find("is handling, handled automatically: people act on an incident once it is escalated"),
              std::string::npos) << action << ": " << refused.body;
  }
}

TEST_F(ApiTest, PeopleActThroughTheDesk) {
  const std::string id = escalated_incident();
  ASSERT_FALSE(id.empty());
  // Fields an action does not take are refused, never passed on.
  const Answer mass = post("/v1/incidents/" + id + "/ack", R"({"agent_id":"A1","status":"resolved"})", Role::kAgent);
  EXPECT_EQ(mass.status, 400U);
  EXPECT_NE(mass.body.find("`status` cannot be set"), std::string::npos) << mass.body;
  // A token acts as its own agent only.
  const Answer impostor = post("/v1/incidents/" + id + "/ack", R"({"agent_id":"A2"})", Role::kAgent);
  EXPECT_EQ(impostor.status, 403U) << impostor.body;
  EXPECT_NE(impostor.body.find("acts as A1"), std::string::npos) << impostor.body;
  // A supervisor may name the agent; the desk knows no A2 yet.
  const Answer unknown = post("/v1/incidents/" + id + "/ack", R"({"agent_id":"A2"})", Role::kSupervisor);
  EXPECT_EQ(unknown.status, 404U) << unknown.body;
  EXPECT_EQ(post("/v1/agents", R"({"agent_id":"A2","skills":["risk"],"capacity":3,"on_duty":true})", Role::kSupervisor).status, 200U);
  // An agent cannot act on someone else's incident (checked before the desk) ...
  const Answer foreign = call(http::verb::post, "/v1/incidents/" + id + "/ack", "{}", std::nullopt, "Bearer " + other_agent_);
  EXPECT_EQ(foreign.status, 403U) << foreign.body;
  EXPECT_NE(foreign.body.find("not assigned to A2"), std::string::npos) << foreign.body;
  EXPECT_EQ(call(http::verb::get, "/v1/agents/A1/queue", {}, std::nullopt, "Bearer " + other_agent_).status, 403U);
  // ... and the desk refuses what is not theirs even from a supervisor naming them.
  const Answer not_theirs = post("/v1/incidents/" + id + "/ack", R"({"agent_id":"A2"})", Role::kSupervisor);
  EXPECT_EQ(not_theirs.status, 409U) << not_theirs.body;
  EXPECT_NE(not_theirs.body.find("A1"), std::string::npos) << not_theirs.body;
  EXPECT_EQ(post("/v1/incidents/inc-0000000000000000/ack", "{}", Role::kAgent).status, 404U);
  const Answer unbound = post("/v1/incidents/" + id + "/ack", "{}", Role::kAdmin);
  EXPECT_EQ(unbound.status, 400U);
  EXPECT_NE(unbound.body.find("agent_id: required"), std::string::npos) << unbound.body;
  EXPECT_EQ(post("/v1/incidents/" + id + "/ack", "{}", Role::kAgent).status, 200U);  // as A1, from the token
  EXPECT_EQ(post("/v1/incidents/" + id + "/comment", R"({"agent_id":"A1","text":"联系骑手"})", Role::kAgent).status, 200U);
  const Answer resolved = post("/v1/incidents/" + id + "/resolve", R"({"agent_id":"A1","resolution_code":"fixed","note":"已修正"})", Role::kAgent);
  EXPECT_EQ(resolved.status, 200U) << resolved.body;
  EXPECT_NE(resolved.body.find("\"resolution\":\"manual\""), std::string::npos) << resolved.body;
  EXPECT_EQ(post("/v1/incidents/" + id + "/dance", "{}", Role::kAgent).status, 404U);
  EXPECT_EQ(get("/v1/incidents/" + id + "/dance", Role::kAgent).status, 404U);  // no such action, whatever the method
  EXPECT_EQ(get("/v1/incidents/" + id + "/ack", Role::kAgent).status, 405U);
  // A parameter an endpoint does not take is refused everywhere, not ignored on some.
  for (const std::string& target : {"/v1/incidents/" + id + "?full=1", std::string("/v1/kpis?zone=Z1"),
                                   std::string("/v1/incidents?stauts=open"), std::string("/v1/orders/O1?mask=true")}) {
    const Answer refused = get(target, Role::kViewer);
    EXPECT_EQ(refused.status, 400U) << target;
    EXPECT_NE(refused.body.find("\"code\":\"unknown_parameter\""), std::string::npos) << target << ": " << refused.body;
  }
  // Nor is a filter given twice cut to one of its values (the list would look right and miss half).
  const Answer twice = get("/v1/incidents?status=escalated&limit=5&status=resolved", Role::kViewer);
  EXPECT_EQ(twice.status, 400U) << twice.body;
  EXPECT_NE(twice.body.find("\"code\":\"repeated_parameter\""), std::string::npos) << twice.body;
  EXPECT_NE(twice.body.find("`status` is given more than once"), std::string::npos) << twice.body;
  EXPECT_EQ(get("/v1/incidents?status=escalated&limit=5", Role::kViewer).status, 200U);
  EXPECT_EQ(post("/v1/incidents/" + id + "/ack", "[1,2]", Role::kAgent).status, 400U);
  const Answer queue = get("/v1/agents/A1/queue", Role::kAgent);
  EXPECT_EQ(queue.status, 200U);
  EXPECT_EQ(get("/v1/agents/nobody/queue", Role::kSupervisor).status, 404U);
  const Answer agents = get("/v1/agents", Role::kViewer);
  EXPECT_NE(agents.body.find("\"agent_id\":\"A1\""), std::string::npos) << agents.body;
  EXPECT_EQ(post("/v1/agents/A2/duty", R"({"on_duty":false})", Role::kSupervisor).status, 200U);
  // Agents declare their own duty (INTERFACES.md: supervisor / agent), and only their own.
  EXPECT_EQ(post("/v1/agents/A1/duty", R"({"on_duty":false})", Role::kAgent).status, 200U);
  EXPECT_EQ(post("/v1/agents/A1/duty", R"({"on_duty":true})", Role::kAgent).status, 200U);
  const Answer not_mine = post("/v1/agents/A2/duty", R"({"on_duty":true})", Role::kAgent);
  EXPECT_EQ(not_mine.status, 403U);
  EXPECT_NE(not_mine.body.find("only their own duty"), std::string::npos) << not_mine.body;
  EXPECT_EQ(post("/v1/agents/A2/duty", R"({"on_duty":"no"})", Role::kSupervisor).status, 400U);
  // Without on_duty at all (it crashed the server: a missing key read unchecked).
  for (const char* body : {"{}", R"({"agent_id":"A2"})"}) {
    const Answer no_duty = post("/v1/agents/A2/duty", body, Role::kSupervisor);
    EXPECT_EQ(no_duty.status, 400U) << body;
    EXPECT_NE(no_duty.body.find("on_duty: true or false is required"), std::string::npos) << no_duty.body;
  }
  EXPECT_EQ(post("/v1/agents", R"({"agent_id":"A3","capacity":1,"role":"admin"})", Role::kSupervisor).status, 400U);
  // A body the agent events' parser refuses is a bad body (400), whoever sends it.
  EXPECT_EQ(post("/v1/agents", R"({"agent_id":"A3","capacity":"lots"})", Role::kSupervisor).status, 400U);
  const Answer no_text = post("/v1/incidents/" + id + "/comment", R"({"agent_id":"A1"})", Role::kSupervisor);
  EXPECT_EQ(no_text.status, 400U) << no_text.body;
  EXPECT_NE(no_text.body.find("\"code\":\"bad_body\""), std::string::npos) << no_text.body;
  // An incident nobody knows is 404 for a supervisor too, not a refusal of the desk.
  const Answer nowhere = post("/v1/incidents/inc-0000000000000000/ack", R"({"agent_id":"A1"})", Role::kSupervisor);
  EXPECT_EQ(nowhere.status, 404U) << nowhere.body;
}

TEST_F(ApiTest, AnOrderHasItsStateAndTimeline) {
  EXPECT_EQ(get("/v1/orders/O1", Role::kViewer).status, 404U);
  post("/v1/events", std::string(kOrder) + "\n", Role::kIngest);
  advance_and_settle(16 * kMinuteMs);
  const Answer order = get("/v1/orders/O1", Role::kViewer);
  ASSERT_EQ(order.status, 200U);
  EXPECT_NE(order.body.find("\"user_id\":\"U1\""), std::string::npos) << order.body;
  EXPECT_NE(order.body.find("\"state\":\"created\""), std::string::npos) << order.body;
  const std::size_t milestone = order.body.find("\"kind\":\"milestone\",\"name\":\"created\"");
  const std::size_t incident = order.body.find("\"kind\":\"incident\"");
  const std::size_t command = order.body.find("\"kind\":\"command\"");
  ASSERT_NE(milestone, std::string::npos) << order.body;
  ASSERT_NE(incident, std::string::npos) << order.body;
  ASSERT_NE(command, std::string::npos) << order.body;
  EXPECT_LT(milestone, incident);  // by time
}

TEST_F(ApiTest, AnIdWithSlashOrPlusIsReadBackPercentEncoded) {
  // EVENTS.md allows any string as an id: '/' reaches the path as %2F and is split on before
  // decoding; '+' in a path is a plus (a space only in a query).
  std::string order(kOrder);
  order.replace(order.find("\"O1\""), 4, "\"A/B+C\"");
  ASSERT_EQ(post("/v1/events", order + "\n", Role::kIngest).status, 200U);
  advance_and_settle(kMinuteMs);
  const Answer slash = get("/v1/orders/A%2FB+C", Role::kViewer);
  EXPECT_EQ(slash.status, 200U) << slash.body;
  EXPECT_NE(slash.body.find("\"order_id\":\"A/B+C\""), std::string::npos) << slash.body;
  EXPECT_EQ(get("/v1/orders/A%2FB%2BC", Role::kViewer).status, 200U);
  EXPECT_EQ(get("/v1/orders/A%2FB%20C", Role::kViewer).status, 404U);
  EXPECT_EQ(get("/v1/orders/A/B+C", Role::kViewer).status, 404U);  // four segments: no such endpoint
}

TEST_F(ApiTest, RulesAreReadAndReplacedLive) {
  const Answer rules = get("/v1/rules");
  ASSERT_EQ(rules.status, 200U);
  EXPECT_NE(rules.body.find("\"version\":"), std::string::npos);
  EXPECT_NE(rules.body.find("PAYMENT_TIMEOUT"), std::string::npos);
  const Answer invalid = call(http::verb::put, "/v1/rules", "[types.PAYMENT_TIMEOUT]\ntimeout = \"soon\"\n");
  EXPECT_EQ(invalid.status, 422U);
  EXPECT_NE(invalid.body.find("PAYMENT_TIMEOUT.timeout"), std::string::npos) << invalid.body;
  const Answer valid = call(http::verb::put, "/v1/rules", R"({"toml":"[types.PAYMENT_TIMEOUT]\ntimeout = \"20m\"\n"})");
  EXPECT_EQ(valid.status, 200U) << valid.body;
  EXPECT_NE(valid.body.find("\"key\":\"types.PAYMENT_TIMEOUT.timeout\""), std::string::npos) << valid.body;
  EXPECT_NE(get("/v1/rules").body.find("timeout = \\\"20m\\\""), std::string::npos);
  EXPECT_EQ(call(http::verb::delete_, "/v1/rules").status, 405U);
  // An empty body is refused, not taken for "every default" (which silently undid the rule
  // above); an unknown field beside the toml too.
  for (const char* body : {"", " \n", R"({"toml":""})", R"({"toml":"# x","x":1})"}) {
    const Answer refused = call(http::verb::put, "/v1/rules", body);
    EXPECT_EQ(refused.status, 400U) << body << ": " << refused.body;
  }
  EXPECT_NE(get("/v1/rules").body.find("timeout = \\\"20m\\\""), std::string::npos);
  // Written out, the defaults are a wish: a file of only a comment.
  const Answer defaults = call(http::verb::put, "/v1/rules", "# back to the defaults\n");
  EXPECT_EQ(defaults.status, 200U) << defaults.body;
  EXPECT_EQ(get("/v1/rules").body.find("timeout = \\\"20m\\\""), std::string::npos);
}

// "Read and replace": GET's answer goes back as it is, its version saying which rules the edit
// was made on. An edit of rules someone has changed since is refused, and changes nothing.
TEST_F(ApiTest, RulesComeBackWithTheVersionTheyWereReadAt) {
  const Answer read = get("/v1/rules");
  ASSERT_EQ(read.status, 200U);
  const std::size_t at = read.body.find("\"version\":\"");
  ASSERT_NE(at, std::string::npos) << read.body;
  const std::string version = read.body.substr(at + 11, read.body.find('"', at + 11) - (at + 11));
  const Answer same = call(http::verb::put, "/v1/rules", read.body);
  EXPECT_EQ(same.status, 200U) << same.body;
  EXPECT_NE(same.body.find("\"changes\":[]"), std::string::npos) << same.body;
  const Answer mine = call(http::verb::put, "/v1/rules",
                           R"({"version":")" + version + R"(","toml":"[types.PAYMENT_TIMEOUT]\ntimeout = \"20m\"\n"})");
  EXPECT_EQ(mine.status, 200U) << mine.body;
  const Answer now = get("/v1/rules");
  const std::size_t now_at = now.body.find("\"version\":\"");
  ASSERT_NE(now_at, std::string::npos);
  EXPECT_NE(mine.body.find(now.body.substr(now_at, 11 + 16 + 1)), std::string::npos) << mine.body << " / " << now.body;  // the answer's version is the new one
  const Answer theirs = call(http::verb::put, "/v1/rules",
                             R"({"version":")" + version + R"(","toml":"[types.PAYMENT_TIMEOUT]\ntimeout = \"25m\"\n"})");
  EXPECT_EQ(theirs.status, 409U) << theirs.body;
  EXPECT_NE(theirs.body.find("\"code\":\"rules_changed\""), std::string::npos) << theirs.body;
  EXPECT_NE(theirs.body.find("GET /v1/rules again"), std::string::npos) << theirs.body;
  EXPECT_NE(get("/v1/rules").body.find("timeout = \\\"20m\\\""), std::string::npos);
  EXPECT_EQ(call(http::verb::put, "/v1/rules", R"({"version":7,"toml":"# x"})").status, 400U);
}

TEST_F(ApiTest, KpisAreTheHandlingMeasures) {
  post("/v1/events", std::string(kOrder) + "\n", Role::kIngest);
  advance_and_settle(16 * kMinuteMs);
  const Answer kpis = get("/v1/kpis", Role::kViewer);
  ASSERT_EQ(kpis.status, 200U);
  EXPECT_NE(kpis.body.find("\"overall\":{\"incidents\":1"), std::string::npos) << kpis.body;
  EXPECT_NE(kpis.body.find("\"by_type\""), std::string::npos) << kpis.body;
}

TEST_F(ApiTest, TheAuditChainAndAnOrdersTrail) {
  post("/v1/events", std::string(kOrder) + "\n", Role::kIngest);
  advance_and_settle(16 * kMinuteMs);
  get("/v1/kpis", Role::kViewer);  // one more round: the derived rows are stored
  EXPECT_EQ(get("/v1/audit", Role::kAgent).status, 403U);
  const Answer status = get("/v1/audit", Role::kSupervisor);
  ASSERT_EQ(status.status, 200U);
  EXPECT_NE(status.body.find("\"last_hash\":\""), std::string::npos) << status.body;
  const Answer verified = post("/v1/audit/verify", "", Role::kSupervisor);
  EXPECT_NE(verified.body.find("\"verified\":true"), std::string::npos) << verified.body;
  const Answer trail = get("/v1/orders/O1/trail", Role::kViewer);
  ASSERT_EQ(trail.status, 200U) << trail.body;
  EXPECT_NE(trail.body.find("\"kind\":\"incident\""), std::string::npos) << trail.body;
  EXPECT_NE(trail.body.find("\"kind\":\"command\""), std::string::npos) << trail.body;
  EXPECT_EQ(get("/v1/orders/NOPE/trail", Role::kViewer).status, 404U);
}

TEST_F(ApiTest, ADraftOrderIsValidatedBeforeItIsPlaced) {
  post("/v1/events",
       R"({"id":"c1","type":"catalog.item","ts":"2026-11-21T09:00:00+08:00","sku":"tomato-500g","name":"西红柿 500g","category":"vegetable","price":590}
{"id":"c2","type":"stock.level","ts":"2026-11-21T09:00:00+08:00","sku":"tomato-500g","available":1,"warehouse":"W1"}
)",
       Role::kIngest);
  advance_and_settle(30 * kSecondMs);
  std::string draft = kOrder;
  draft = draft.substr(draft.find("\"order_id\""));  // the payload without id, type and ts
  draft.insert(0, "{");
  const Answer answer = post("/v1/validate", draft, Role::kIngest);
  ASSERT_EQ(answer.status, 200U) << answer.body;
  EXPECT_NE(answer.body.find("\"ok\":false"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("\"code\":\"out_of_stock\""), std::string::npos) << answer.body;
  EXPECT_EQ(post("/v1/validate", draft, Role::kViewer).status, 200U);
  const Answer bad = post("/v1/validate", "{\"items\":[]}", Role::kIngest);
  EXPECT_EQ(bad.status, 400U);
  EXPECT_NE(bad.body.find("\"code\":\"bad_draft\""), std::string::npos) << bad.body;
  EXPECT_EQ(call(http::verb::post, "/v1/validate", draft, std::nullopt).status, 401U);
}

TEST_F(ApiTest, UnknownPathsAndMethods) {
  EXPECT_EQ(get("/v2/incidents").status, 404U);
  EXPECT_EQ(get("/v1/nothing").status, 404U);
  const Answer wrong = call(http::verb::get, "/v1/events", {}, Role::kIngest);
  EXPECT_EQ(wrong.status, 405U);
  EXPECT_EQ(wrong.header(http::field::allow), "POST");
  // "Every /v1 call needs Authorization": without a token, an unknown path or method is 401 too.
  EXPECT_EQ(get("/v1/nothing", std::nullopt).status, 401U);
  EXPECT_EQ(call(http::verb::delete_, "/v1/events", {}, std::nullopt).status, 401U);
  EXPECT_EQ(get("/v2/incidents", std::nullopt).status, 404U);  // outside /v1: no token needed to learn that
  // An id that decodes to bytes that are not UTF-8 is echoed with replacements: the answer
  // stays valid JSON text.
  const Answer odd = get("/v1/incidents/%FF%FE", Role::kViewer);
  EXPECT_EQ(odd.status, 404U);
  EXPECT_EQ(odd.body.find('\xFF'), std::string::npos) << odd.body;
  EXPECT_NE(odd.body.find("\xEF\xBF\xBD\xEF\xBF\xBD"), std::string::npos) << odd.body;
}

TEST_F(ApiTest, KeepAliveServesManyRequestsOnOneConnection) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  beast::flat_buffer buffer;
  for (int i = 0; i < 5; ++i) {
    http::request<http::string_body> request{http::verb::get, "/healthz", 11};
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    EXPECT_EQ(response.result_int(), 200U);
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST_F(ApiTest, PipelinedBatchesOnOneConnectionAreReadWholeAndAnsweredInOrder) {
  // Three POSTs in one write, then a fourth whose body comes in two writes: a body with a
  // declared length is read straight into place, and what follows it on the connection (the
  // next request, the rest of the body) is neither lost nor taken as the body.
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  const auto request_bytes = [&](const std::string& body) {
    http::request<http::string_body> request{http::verb::post, "/v1/events", 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::authorization, "Bearer " + tokens_[Role::kIngest]);
    request.body() = body;
    request.prepare_payload();
    std::ostringstream out;
    out << request;
    return out.str();
  };
  std::string bodies[4];
  for (int i = 0; i < 4; ++i) {
    for (int line = 0; line <= i; ++line) {
      bodies[i] += "{\"id\":\"p" + std::to_string(i) + "-" + std::to_string(line) +
                   "\",\"type\":\"rider.location\",\"ts\":\"2026-11-21T10:00:00+08:00\",\"order_id\":\"O9\",\"rider_id\":\"R1\",\"lat\":40.0,\"lng\":116.3}\n";
    }
  }
  asio::write(stream.socket(), asio::buffer(request_bytes(bodies[0]) + request_bytes(bodies[1]) + request_bytes(bodies[2])));
  const std::string last = request_bytes(bodies[3]);
  const std::size_t cut = last.size() - bodies[3].size() / 2;
  asio::write(stream.socket(), asio::buffer(last.substr(0, cut)));
  beast::flat_buffer buffer;
  for (int i = 0; i < 4; ++i) {
    if (i == 3) asio::write(stream.socket(), asio::buffer(last.substr(cut)));
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    EXPECT_EQ(response.result_int(), 200U) << response.body();
    EXPECT_NE(response.body().find("\"accepted\":" + std::to_string(i + 1) + ","), std::string::npos) << response.body();
    EXPECT_NE(response.body().find("\"rejected\":0"), std::string::npos) << response.body();
    EXPECT_NE(response.body().find("\"seq\":" + std::to_string(i + 1)), std::string::npos) << response.body();
  }
}

TEST_F(ApiTest, TheStreamCarriesNewIncidents) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  http::request<http::empty_body> request{http::verb::get, "/v1/stream", 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::authorization, "Bearer " + tokens_[Role::kViewer]);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> head;
  http::read_header(stream, buffer, head);
  ASSERT_EQ(head.get().result_int(), 200U);
  EXPECT_NE(std::string(head.get()[http::field::content_type]).find("text/event-stream"), std::string::npos);
  // Read until the greeting has come, so the subscription is in place before any change.
  std::string seen(static_cast<const char*>(buffer.data().data()), buffer.size());
  std::array<char, 4096> chunk{};
  while (seen.find(": connected") == std::string::npos) seen.append(chunk.data(), stream.read_some(asio::buffer(chunk)));

  post("/v1/events", std::string(kOrder) + "\n", Role::kIngest);
  clock_.advance(16 * kMinuteMs);
  while (seen.find("event: incident\nid: inc-") == std::string::npos || seen.find("PAYMENT_TIMEOUT") == std::string::npos) {
    get("/healthz", std::nullopt);  // any request: the engine's round runs on its own
    seen.append(chunk.data(), stream.read_some(asio::buffer(chunk)));
  }
  EXPECT_NE(seen.find("\ndata: {\"id\":\"inc-"), std::string::npos) << seen;
}

}  // namespace
}  // namespace og::server
