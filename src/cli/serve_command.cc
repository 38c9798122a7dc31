// cli/serve_command: `orderguard serve` and `orderguard tokens`: flags to options, the
// threads started and stopped in order. The service itself is src/server.
#include <malloc.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "rules/config.h"
#include "server/api.h"
#include "server/http.h"
#include "server/outbox.h"
#include "server/overload.h"
#include "server/service.h"
#include "server/static_files.h"
#include "server/tokens.h"

namespace og::cli {
namespace {

bool split_listen(const std::string& listen, std::string& address, std::uint16_t& port) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  address = listen.substr(0, colon);
  try {
    const unsigned long value = std::stoul(listen.substr(colon + 1));
    if (value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return !address.empty();
}

// The first start of a data directory makes an admin token, readable only by its owner, so
// that a newcomer can call the API at once. Later starts leave tokens alone.
void bootstrap_admin_token(store::Store& store, const std::string& data_dir, TimeMs now) {
  auto tokens = store.tokens();
  if (!tokens || !tokens->empty()) return;
  auto token = server::create_token(store, server::Role::kAdmin, "bootstrap admin", now);
  if (!token) {
    spdlog::warn("orderguard serve: could not create the first admin token: {}", token.error());
    return;
  }
  const std::string path = (std::filesystem::path(data_dir) / "admin.token").string();
  {
    std::ofstream out(path, std::ios::trunc);
    out << token->secret << "\n";
  }
  ::chmod(path.c_str(), 0600);
  spdlog::info("orderguard serve: first start: an admin token is in {} (create others with `orderguard tokens create`)", path);
}

}  // namespace

int run_serve(const ServeArgs& args) {
  // Request bodies (large strings) come from mmap and go back to the system when freed: with
  // glibc's sliding threshold they would stay in the heap, and resident memory would not fall
  // after a burst (docs/serve.md "Overload").
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  server::SystemClock clock;
  std::string address;
  std::uint16_t port = 0;
  if (!split_listen(args.listen, address, port)) {
    spdlog::error("orderguard serve: --listen {}: give ADDRESS:PORT, e.g. 127.0.0.1:8080", args.listen);
    return kExitUsage;
  }
  const server::OverloadLimits overload_limits = server::OverloadLimits::for_cap(args.max_memory_mb << 20);
  server::ServiceOptions options;
  options.data_dir = args.data;
  // A journal transaction takes at most a quarter of the body budget: applying a group costs a
  // multiple of its size for a moment (server/overload.h).
  options.max_group_bytes = std::max<std::size_t>(overload_limits.body_budget_bytes / 4, 1 << 20);
  options.snapshot_every_records = args.snapshot_every;
  const auto quiet = parse_duration_ms(args.quiet_after);
  if (!quiet || *quiet <= 0) {
    spdlog::error("orderguard serve: --quiet-after {}: give a duration such as 2s or 5m", args.quiet_after);
    return kExitUsage;
  }
  options.quiet_after_ms = *quiet;
  if (!args.config.empty()) {
    auto text = read_rules_text(args.config);
    if (!text) {
      spdlog::error("orderguard serve: --config {}", text.error());
      return kExitUsage;
    }
    options.rules_toml = std::move(*text);
    options.rules_source = args.config;
  }
  server::OutboxOptions outbox_options;
  outbox_options.file = args.outbox_file;
  outbox_options.webhook = args.webhook;
  options.sinks = server::outbox_sinks(outbox_options);
  options.master_key_file = args.master_key_file;

  auto service = server::Service::open(options, clock);
  if (!service) {
    spdlog::error("orderguard serve: {}", service.error());
    return kExitUsage;
  }
  const server::KeyInfo& keys = (*service)->key_info();
  spdlog::info("orderguard serve: customer data encrypted at rest: master key {} from {}, data key {}", keys.master_key_id,
               keys.master_key_source, keys.data_key);
  if (keys.master_key_created) {
    spdlog::warn("orderguard serve: first start: created the master key {}; in production keep it elsewhere (--master-key-file "
                 "or ORDERGUARD_MASTER_KEY) and remove it from the data directory",
                 keys.master_key_source);
  }
  if (keys.sealed_clear_records > 0) {
    spdlog::info("orderguard serve: sealed {} journal record(s) an older version had written in clear", keys.sealed_clear_records);
  }
  auto outbox = server::Outbox::open(args.data, outbox_options, clock);
  if (!outbox) {
    spdlog::error("orderguard serve: {}", outbox.error());
    return kExitUsage;
  }
  auto token_store = store::Store::open(args.data);
  if (!token_store) {
    spdlog::error("orderguard serve: {}", token_store.error());
    return kExitFailure;
  }
  bootstrap_admin_token(**token_store, args.data, clock.now_ms());
  server::TokenCheck tokens(std::move(*token_store));

  const server::ServiceStats recovered = (*service)->stats();
  spdlog::info("orderguard serve: data {}: recovered {} journal record(s){}", args.data, recovered.recovered_records,
               recovered.recovered_from_snapshot ? fmt::format(" after the snapshot at record {}", recovered.recovered_from_snapshot) : "");

  server::Outbox& sink = **outbox;
  (*service)->set_outbox_listener([&sink] { sink.poke(); });
  (*service)->start();
  sink.start();
  // Every way out from here stops the engine thread before the outbox it pokes is destroyed
  // (locals go in reverse order: the outbox before the service).
  struct StopBoth {
    server::Service& service;
    server::Outbox& outbox;
    ~StopBoth() {
      // The engine first (it stores what it derived last), then the outbox drains what is due.
      service.stop();
      outbox.stop();
    }
  };
  std::optional<StopBoth> stop_both(std::in_place, **service, sink);

  boost::asio::io_context io(1);
  server::Service& engine_service = **service;
  server::Overload overload(overload_limits, [&engine_service] { return engine_service.drain_bytes_per_s(); });
  server::ApiLimits api_limits;
  api_limits.max_batch_lines = args.max_batch_lines;
  api_limits.max_page = args.max_page;
  api_limits.max_queued_bytes = overload_limits.body_budget_bytes;
  auto reader = store::Store::open(args.data);
  if (!reader) {
    spdlog::error("orderguard serve: {}", reader.error());
    return kExitFailure;
  }
  server::Api api(**service, tokens, api_limits, std::move(*reader));
  api.watch_memory(overload);
  // The dashboard (web/), at / when its files are there.
  if (const auto web = args.web.empty() ? server::StaticFiles::built_in_root() : std::optional<std::string>(args.web)) {
    auto files = server::StaticFiles::open(*web);
    if (!files) {
      spdlog::error("orderguard serve: {}", files.error());
      return kExitUsage;
    }
    api.serve_files(std::make_shared<const server::StaticFiles>(std::move(*files)));
    spdlog::info("orderguard serve: the dashboard's files are {}", *web);
  } else {
    spdlog::info("orderguard serve: no dashboard (build web/ with `make build`, or give --web DIR)");
  }
  server::HttpLimits http_limits;
  http_limits.max_body_bytes = args.max_body_bytes;
  http_limits.max_connections = args.max_connections;
  if (args.max_body_bytes > overload_limits.body_budget_bytes) {
    spdlog::warn("orderguard serve: --max-body-bytes {} is above the body budget of --max-memory ({} bytes): such a body "
                 "is taken only when no other is held",
                 args.max_body_bytes, overload_limits.body_budget_bytes);
  }
  server::BodyGate gate{[&api](const auto& header, std::size_t bytes) { return api.hold_body(header, bytes); },
                        [&overload](std::size_t bytes) { overload.release(bytes); }};
  server::HttpServer http(io, [&api](server::Request& request) { return api.handle(request); }, http_limits, gate);
  std::uint16_t bound = 0;
  try {
    bound = http.listen(address, port);
  } catch (const std::exception& error) {
    spdlog::error("orderguard serve: cannot listen on {}: {} (is another serve running? use --listen)", args.listen, error.what());
    return kExitFailure;
  }
  if (!args.port_file.empty()) {
    std::ofstream port_file(args.port_file, std::ios::trunc);
    port_file << bound << "\n";
    if (!port_file.flush()) {
      // A script waiting for the file would wait for ever.
      spdlog::error("orderguard serve: cannot write --port-file {}: {}", args.port_file, std::strerror(errno));
      return kExitFailure;
    }
  }
  spdlog::info("orderguard serve: memory cap {} MiB (request bodies held: {} MiB; ingest refused above {} MiB resident)",
               args.max_memory_mb, overload_limits.body_budget_bytes >> 20, overload_limits.high_water_bytes >> 20);
  spdlog::info("orderguard serve: listening on http://{}:{}", address, bound);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    spdlog::info("orderguard serve: stopping");
    http.close();
    io.stop();
  });
  io.run();
  stop_both.reset();  // before the server and the API go
  return kExitOk;
}

int run_tokens_create(const TokensArgs& args) {
  const auto role = server::role_from_name(args.role);
  if (!role) {
    spdlog::error("orderguard tokens create: --role {}: one of ingest, viewer, agent, supervisor, admin", args.role);
    return kExitUsage;
  }
  if (auto wrong = server::token_arguments_error(*role, args.agent, args.name)) {  // before a store is created for it
    spdlog::error("orderguard tokens create: {}", *wrong);
    return kExitUsage;
  }
  auto store = store::Store::open(args.data);
  if (!store) {
    spdlog::error("orderguard tokens create: {}", store.error());
    return kExitUsage;
  }
  auto token = server::create_token(**store, *role, args.name, server::SystemClock().now_ms(), args.agent);
  if (!token) {
    spdlog::error("orderguard tokens create: {}", token.error());
    return kExitFailure;
  }
  // The secret goes to stdout alone, so scripts can capture it; it is not shown again.
  fmt::print("{}\n", token->secret);
  spdlog::info("orderguard tokens create: {} ({}) created; keep the token: only its hash is stored", token->row.id, token->row.role);
  return kExitOk;
}

int run_tokens_list(const TokensArgs& args) {
  auto store = store::Store::open_existing(args.data);
  if (!store) {
    spdlog::error("orderguard tokens list: {}", store.error());
    return kExitUsage;
  }
  auto tokens = (*store)->tokens();
  if (!tokens) {
    spdlog::error("orderguard tokens list: {}", tokens.error());
    return kExitFailure;
  }
  for (const store::TokenRow& row : *tokens) {
    fmt::print("{}  {:<10}  {}  {}{}{}\n", row.id, row.role, format_utc_ms(row.created_at), row.name,
               row.agent_id.empty() ? "" : "  as " + row.agent_id, row.revoked ? "  (revoked)" : "");
  }
  return kExitOk;
}

int run_tokens_revoke(const TokensArgs& args) {
  auto store = store::Store::open_existing(args.data);
  if (!store) {
    spdlog::error("orderguard tokens revoke: {}", store.error());
    return kExitUsage;
  }
  auto revoked = (*store)->revoke_token(args.id);
  if (!revoked) {
    spdlog::error("orderguard tokens revoke: {}", revoked.error());
    return kExitFailure;
  }
  if (!*revoked) {
    spdlog::error("orderguard tokens revoke: no active token {} (see `orderguard tokens list`)", args.id);
    return kExitUsage;
  }
  fmt::print("{} revoked\n", args.id);
  return kExitOk;
}

}  // namespace og::cli
