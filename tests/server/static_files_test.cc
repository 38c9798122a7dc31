// The dashboard's files (server/static_files) and GET /v1/me: content types, client-side
// routes, no way out of the directory (.., encoded .., symlinks), and the hook in the API
// over loopback (a real server on port 0).
#include "server/static_files.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "server/api.h"
#include "server/service.h"
#include "server/tokens.h"

namespace og::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

void write_file(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A built dashboard: index.html, hashed assets, a file at the top; and, beside it, a secret
// that no URL may reach.
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("og-static-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    dist_ = base_ / "dist";
    write_file(dist_ / "index.html", "<!doctype html><title>OrderGuard</title>");
    write_file(dist_ / "assets" / "index-AbC123.js", "console.log('看板')");
    write_file(dist_ / "assets" / "index-AbC123.css", "body{}");
    write_file(dist_ / "favicon.svg", "<svg/>");
    write_file(base_ / "secret.txt", "top secret");
    fs::create_directory_symlink(base_, dist_ / "assets" / "escape");
    fs::create_symlink(base_ / "secret.txt", dist_ / "leak.txt");
  }
  void TearDown() override { fs::remove_all(base_); }

  StaticFiles files() {
    auto opened = StaticFiles::open(dist_.string());
    EXPECT_TRUE(opened.has_value()) << opened.error();
    return std::move(*opened);
  }

  fs::path base_, dist_;
};

TEST_F(StaticFilesTest, ContentTypesByExtension) {
  EXPECT_EQ(StaticFiles::content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type("assets/index-AbC.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type("a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type("logo.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::content_type("font.woff2"), "font/woff2");
  EXPECT_EQ(StaticFiles::content_type("x.json"), "application/json; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type("README"), "application/octet-stream");
  EXPECT_EQ(StaticFiles::content_type("dir.d/README"), "application/octet-stream");
}

TEST_F(StaticFilesTest, ServesFilesIndexAndClientRoutes) {
  const StaticFiles web = files();
  const auto index = web.serve("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->result_int(), 200U);
  EXPECT_EQ((*index)[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ((*index)[http::field::cache_control], "no-cache");
  EXPECT_NE((*index)["Content-Security-Policy"].find("default-src 'self'"), std::string_view::npos);
  EXPECT_NE(index->body().find("OrderGuard"), std::string::npos);

  const auto script = web.serve("/assets/index-AbC123.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->result_int(), 200U);
  EXPECT_EQ((*script)[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_NE((*script)[http::field::cache_control].find("immutable"), std::string_view::npos);
  EXPECT_EQ(script->body(), "console.log('看板')");
  EXPECT_EQ((*web.serve("/assets/index-AbC123.css"))[http::field::content_type], "text/css; charset=utf-8");
  EXPECT_EQ((*web.serve("/favicon.svg"))[http::field::content_type], "image/svg+xml");

  // Client-side routes get the page; missing files and assets do not.
  for (const char* route : {"/incidents/inc-0123456789abcdef", "/rules", "/board/"}) {
    const auto page = web.serve(route);
    ASSERT_TRUE(page) << route;
    EXPECT_EQ(page->result_int(), 200U) << route;
    EXPECT_NE(page->body().find("OrderGuard"), std::string::npos) << route;
  }
  EXPECT_EQ(web.serve("/assets/missing.js")->result_int(), 404U);
  EXPECT_EQ(web.serve("/assets/route")->result_int(), 404U);
  EXPECT_EQ(web.serve("/missing.png")->result_int(), 404U);

  // Not the dashboard's.
  EXPECT_FALSE(web.serve("/v1/incidents"));
  EXPECT_FALSE(web.serve("/v1"));
  EXPECT_FALSE(web.serve("/healthz"));
  EXPECT_FALSE(web.serve("/metrics"));
  EXPECT_TRUE(web.serve("/v1x"));  // only the /v1 segment itself is the API's
}

TEST_F(StaticFilesTest, NoWayOutOfTheDirectory) {
  const StaticFiles web = files();
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/./index.html", "/assets/..", "/..\\secret.txt"}) {
    const auto answer = web.serve(path);
    ASSERT_TRUE(answer) << path;
    EXPECT_EQ(answer->result_int(), 400U) << path;
    EXPECT_EQ(answer->body().find("top secret"), std::string::npos) << path;
  }
  // Symlinks that point outside are not followed out.
  for (const char* path : {"/assets/escape/secret.txt", "/leak.txt"}) {
    const auto answer = web.serve(path);
    ASSERT_TRUE(answer) << path;
    EXPECT_EQ(answer->result_int(), 404U) << path;
    EXPECT_EQ(answer->body().find("top secret"), std::string::npos) << path;
  }
  EXPECT_EQ(web.serve(std::string_view("/index.html\0x", 13))->result_int(), 400U);
}

TEST_F(StaticFilesTest, OpenNeedsADirectoryWithIndex) {
  EXPECT_FALSE(StaticFiles::open((base_ / "nowhere").string()));
  EXPECT_FALSE(StaticFiles::open((base_ / "secret.txt").string()));
  fs::create_directories(base_ / "empty");
  const auto empty = StaticFiles::open((base_ / "empty").string());
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().find("index.html"), std::string::npos);
}

// Through the API: the hook before its 404, URL-decoded paths, and GET /v1/me.
class StaticFilesApiTest : public StaticFilesTest {
 protected:
  void SetUp() override {
    StaticFilesTest::SetUp();
    ServiceOptions options;
    options.data_dir = (base_ / "data").string();
    options.snapshot_every_records = 0;
    service_ = std::move(*Service::open(options, clock_));
    auto store = store::Store::open(options.data_dir);
    for (Role role : {Role::kIngest, Role::kViewer, Role::kAgent, Role::kSupervisor, Role::kAdmin}) {
      tokens_[role] = create_token(**store, role, "test", 0, role == Role::kAgent ? "A1" : "")->secret;
    }
    check_ = std::make_unique<TokenCheck>(std::move(*store));
    api_ = std::make_unique<Api>(*service_, *check_, ApiLimits{});
    api_->serve_files(std::make_shared<const StaticFiles>(files()));
    server_ = std::make_unique<HttpServer>(io_, [this](Request& request) { return api_->handle(request); }, HttpLimits{});
    port_ = server_->listen("127.0.0.1", 0);
    service_->start();
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->close();
    io_.stop();
    io_thread_.join();
    service_->stop();
    StaticFilesTest::TearDown();
  }

  http::response<http::string_body> call(http::verb verb, const std::string& target, std::string token = {}) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return response;
  }

  ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<Service> service_;
  std::map<Role, std::string> tokens_;
  std::unique_ptr<TokenCheck> check_;
  std::unique_ptr<Api> api_;
  asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::thread io_thread_;
};

TEST_F(StaticFilesApiTest, TheDashboardBesideTheApi) {
  const auto page = call(http::verb::get, "/");
  EXPECT_EQ(page.result_int(), 200U);
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(call(http::verb::get, "/incidents/inc-1").result_int(), 200U);
  EXPECT_EQ(call(http::verb::get, "/assets/index-AbC123.js")[http::field::content_type], "text/javascript; charset=utf-8");
  // Encoded dots are decoded before the check.
  const auto encoded = call(http::verb::get, "/assets/%2e%2e/%2e%2e/secret.txt");
  EXPECT_EQ(encoded.result_int(), 400U);
  EXPECT_EQ(encoded.body().find("top secret"), std::string::npos);
  // The API is untouched: its own 404s and 401s, never the page.
  const auto api_missing = call(http::verb::get, "/v1/nothing", tokens_[Role::kViewer]);
  EXPECT_EQ(api_missing.result_int(), 404U);
  EXPECT_NE(api_missing.body().find("not_found"), std::string::npos);
  EXPECT_EQ(call(http::verb::get, "/v1/incidents").result_int(), 401U);
  EXPECT_EQ(call(http::verb::get, "/healthz").body(), "{\"status\":\"ok\"}\n");
  EXPECT_EQ(call(http::verb::post, "/").result_int(), 404U);  // the files are read-only
}

TEST_F(StaticFilesApiTest, MeTellsAnyValidTokenItsRoleAndAgent) {
  for (const auto& [role, token] : tokens_) {
    const auto me = call(http::verb::get, "/v1/me", token);
    EXPECT_EQ(me.result_int(), 200U) << role_name(role);
    // An agent's token acts as its agent: the page needs to know which.
    const std::string agent = role == Role::kAgent ? ",\"agent_id\":\"A1\"" : "";
    EXPECT_EQ(me.body(), "{\"role\":\"" + std::string(role_name(role)) + "\"" + agent + "}\n");
  }
  EXPECT_EQ(call(http::verb::get, "/v1/me").result_int(), 401U);
  EXPECT_EQ(call(http::verb::get, "/v1/me", "og_wrong").result_int(), 401U);
  EXPECT_EQ(call(http::verb::post, "/v1/me", tokens_[Role::kAdmin]).result_int(), 405U);
}

}  // namespace
}  // namespace og::server
