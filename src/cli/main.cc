// cli/main: `orderguard` and its sub-commands. Parses arguments only; the work is in commands.cc.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace og::cli;
  // Diagnostics go to stderr through one logger (levels now, structured sinks for `serve`
  // later); the messages carry their own "orderguard <command>:" prefix.
  auto logger = spdlog::stderr_logger_st("orderguard");
  logger->set_pattern("%v");
  spdlog::set_default_logger(logger);
  CLI::App app{"OrderGuard: real-time order-exception engine (detects, fixes, escalates, proves, measures)", "orderguard"};
  app.option_defaults()->always_capture_default();  // --help shows each flag's default
  app.require_subcommand(1);
  app.set_version_flag("--version", "orderguard 0.1.0");

  ReplayArgs replay;
  auto* replay_cmd = app.add_subcommand("replay", "Run events from a file through the engine in event time, write what it found");
  replay_cmd->add_option("--input", replay.input, "NDJSON events, or - for stdin")->required();
  replay_cmd->add_option("--config", replay.config, "rules configuration (TOML); defaults when absent");
  replay_cmd->add_option("--until", replay.until, "move event time to this time at the end, RFC 3339 or epoch milliseconds (default: the last event's ts)");
  replay_cmd->add_option("--incidents", replay.incidents, "where to write incidents (NDJSON), or -")->required();
  replay_cmd->add_option("--commands", replay.commands, "where to write the commands emitted (NDJSON)");
  replay_cmd->add_option("--report", replay.report, "where to write counts and handling measures (JSON)");
  replay_cmd->add_flag("--strict", replay.strict, "stop at the first bad line (exit 1)");

  auto* rules_cmd = app.add_subcommand("rules", "Work with the rules configuration");
  rules_cmd->require_subcommand(1);
  std::string rules_file;
  auto* check_cmd = rules_cmd->add_subcommand("check", "Validate a rules file and print what it changes from the defaults");
  check_cmd->add_option("FILE", rules_file, "rules configuration (TOML)")->required();

  SimulateArgs simulate;
  auto* simulate_cmd = app.add_subcommand("simulate", "Write a synthetic event stream of a platform's day, with the ground truth it planted");
  simulate_cmd->add_option("--orders", simulate.orders, "how many orders")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
  simulate_cmd->add_option("--seed", simulate.seed, "random seed: the same seed gives the same bytes");
  simulate_cmd->add_option("--platform", simulate.platform, "grocery | errand | mall | mixed")
      ->check(CLI::IsMember({"grocery", "errand", "mall", "mixed"}));
  simulate_cmd->add_option("--out", simulate.out, "where to write the events (NDJSON), or -; required unless --closed-loop");
  simulate_cmd->add_option("--truth", simulate.truth, "where to write the ground truth (NDJSON)");
  simulate_cmd->add_option("--start", simulate.start, "RFC 3339 start of the simulated day");
  simulate_cmd->add_option("--incident-rate", simulate.incident_rate, "share of orders with a planted exception")
      ->check(CLI::Range(0.0, 1.0));
  simulate_cmd->add_option("--noise-rate", simulate.noise_rate, "share of events duplicated, reordered within the bound, or broken")
      ->check(CLI::Range(0.0, 0.5));
  simulate_cmd->add_flag("--closed-loop", simulate.closed_loop,
                         "run the day through the engine: the world answers commands and simulated agents work the queue; "
                         "prints the handling measures against the seed targets (--out gets the stream's events only)");
  simulate_cmd->add_option("--report", simulate.report, "with --closed-loop: where to write the handling measures (JSON)");
  simulate_cmd->add_option("--config", simulate.config, "with --closed-loop: rules configuration (TOML)");
  simulate_cmd->add_option("--incidents", simulate.incidents, "with --closed-loop: where to write the incidents (NDJSON, as replay)");
  simulate_cmd->add_option("--commands", simulate.commands, "with --closed-loop: where to write the commands (NDJSON, as replay)");

  EvaluateArgs evaluate;
  auto* evaluate_cmd = app.add_subcommand("evaluate", "Compare incidents with a ground truth: precision, recall, F1, detection delay");
  evaluate_cmd->add_option("--incidents", evaluate.incidents, "incidents NDJSON (from replay)")->required();
  evaluate_cmd->add_option("--truth", evaluate.truth, "ground truth NDJSON (from simulate)")->required();
  evaluate_cmd->add_option("--json", evaluate.json, "also write the metrics as JSON here");
  evaluate_cmd->add_option("--min-f1", evaluate.min_f1, "exit 1 when any type's F1 is below this")->check(CLI::Range(0.0, 1.0));

  ServeArgs serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the service: HTTP API, embedded store, wall-clock deadlines");
  serve_cmd->add_option("--data", serve.data, "data directory (created when absent)");
  serve_cmd->add_option("--config", serve.config, "rules configuration (TOML); defaults when absent");
  serve_cmd->add_option("--listen", serve.listen, "ADDRESS:PORT to listen on (port 0: any free port)");
  serve_cmd->add_option("--outbox-file", serve.outbox_file, "append every command to this NDJSON file (at least once)");
  serve_cmd->add_option("--webhook", serve.webhook, "POST every command to this http:// URL (at least once, Idempotency-Key = command id)");
  serve_cmd->add_option("--max-body-bytes", serve.max_body_bytes, "largest request body");
  serve_cmd->add_option("--max-batch-lines", serve.max_batch_lines, "most events in one POST /v1/events");
  serve_cmd->add_option("--max-page", serve.max_page, "most items in one page");
  serve_cmd->add_option("--max-connections", serve.max_connections, "most open connections");
  serve_cmd->add_option("--max-memory", serve.max_memory_mb,
                        "memory cap in MB: request bodies held get 1/16 of it; above 5/8 resident, ingest is refused (429)")
      ->check(CLI::Range(std::size_t{8}, std::size_t{1} << 30));
  serve_cmd->add_option("--snapshot-every", serve.snapshot_every, "journal records between engine snapshots (0: never)");
  serve_cmd->add_option("--port-file", serve.port_file, "write the bound port to this file");
  serve_cmd->add_option("--web", serve.web, "serve the dashboard from this directory (default: the built web/dist of the source tree)");
  serve_cmd->add_option("--quiet-after", serve.quiet_after,
                        "when no event has come for this long (e.g. 2s, 5m), event time follows the wall clock");
  serve_cmd->add_option("--master-key-file", serve.master_key_file,
                        "the master key that wraps the data keys (64 hex digits); default: $ORDERGUARD_MASTER_KEY, else DATA/master.key "
                        "(created at the first start; production keeps it elsewhere)");

  DemoArgs demo;
  auto* demo_cmd = app.add_subcommand(
      "demo", "The first run: a real serve on a fresh data directory, a simulated grocery day driven into it over HTTP "
              "(the world answers its commands, simulated agents work its escalations), the handling measures; then "
              "it keeps serving until Ctrl-C");
  demo_cmd->add_option("--orders", demo.orders, "orders in the simulated day")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10000000}));
  demo_cmd->add_option("--seed", demo.seed, "random seed of the simulated world");
  demo_cmd->add_option("--platform", demo.platform, "grocery | errand | mall | mixed")->check(CLI::IsMember({"grocery", "errand", "mall", "mixed"}));
  demo_cmd->add_option("--data", demo.data, "data directory of the server (emptied first when an earlier demo made it)");
  demo_cmd->add_option("--listen", demo.listen, "ADDRESS:PORT the server listens on (port 0: any free port)");
  demo_cmd->add_flag("--exit", demo.exit, "stop the server after the measures instead of serving until Ctrl-C");
  demo_cmd->add_option("--events-out", demo.events_out, "write every event line sent to the server, in order (NDJSON)");
  demo_cmd->add_option("--incidents-out", demo.incidents_out, "write the server's incidents at the end (NDJSON)");
  demo_cmd->add_option("--report", demo.report, "write the server's handling measures at the end (GET /v1/kpis, JSON)");
  demo_cmd->add_option("--batch-span-ms", demo.batch_span_ms, "event time one POST /v1/events covers at most")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{3600000}));

  LoadgenArgs loadgen;
  auto* loadgen_cmd = app.add_subcommand("loadgen", "HTTP ingest load: POST an NDJSON file to a running serve, report events/s and latencies");
  loadgen_cmd->add_option("--url", loadgen.url, "the server, http://HOST:PORT")->required();
  loadgen_cmd->add_option("--token", loadgen.token, "a token with the ingest role (or admin)");
  loadgen_cmd->add_option("--token-file", loadgen.token_file, "read the token from this file (e.g. DATA/admin.token)");
  loadgen_cmd->add_option("--input", loadgen.input, "NDJSON events (e.g. from `orderguard simulate`)")->required();
  loadgen_cmd->add_option("--batch", loadgen.batch, "lines per POST /v1/events")->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  loadgen_cmd->add_option("--connections", loadgen.connections, "keep-alive connections")->check(CLI::Range(std::size_t{1}, std::size_t{256}));
  loadgen_cmd->add_option("--pipeline", loadgen.pipeline, "requests in flight per connection")->check(CLI::Range(std::size_t{1}, std::size_t{64}));
  loadgen_cmd->add_flag("--latency", loadgen.latency, "follow GET /v1/stream and measure event-to-incident latency");
  loadgen_cmd->add_option("--rate", loadgen.rate, "offer this many events per second (0: as fast as the server answers)")
      ->check(CLI::NonNegativeNumber);
  loadgen_cmd->add_option("--out-of-orderness-ms", loadgen.out_of_orderness_ms, "the server's max_out_of_orderness (default 10 s)");
  loadgen_cmd->add_option("--json", loadgen.json, "also write the figures as JSON here");

  TokensArgs tokens;
  auto* tokens_cmd = app.add_subcommand("tokens", "Manage API tokens (each carries one role)");
  tokens_cmd->require_subcommand(1);
  auto* tokens_create = tokens_cmd->add_subcommand("create", "Create a token and print it (shown once)");
  tokens_create->add_option("--role", tokens.role, "ingest | viewer | agent | supervisor | admin")->required();
  tokens_create->add_option("--name", tokens.name, "who or what uses it");
  tokens_create->add_option("--agent", tokens.agent, "the agent id a person's token acts as (required for --role agent)");
  auto* tokens_list = tokens_cmd->add_subcommand("list", "List tokens (ids and roles, never secrets)");
  auto* tokens_revoke = tokens_cmd->add_subcommand("revoke", "Revoke a token by its id");
  tokens_revoke->add_option("ID", tokens.id, "the token's id (tok-...)")->required();
  for (auto* command : {tokens_create, tokens_list, tokens_revoke}) {
    command->add_option("--data", tokens.data, "data directory");
  }

  AuditArgs audit;
  auto* audit_cmd = app.add_subcommand("audit", "Work with the tamper-evident audit chain of a data directory");
  audit_cmd->require_subcommand(1);
  auto* audit_verify = audit_cmd->add_subcommand("verify", "Check every link and signed checkpoint; exit 1 and say where if tampered");
  audit_verify->add_option("--public-key", audit.public_key, "the trusted checkpoint key (hex, or the audit.pub file kept elsewhere)");
  auto* audit_checkpoints = audit_cmd->add_subcommand("checkpoints", "Print the signed checkpoints (NDJSON), to keep elsewhere");
  for (auto* command : {audit_verify, audit_checkpoints}) command->add_option("--data", audit.data, "data directory");

  KeysArgs keys;
  auto* keys_cmd = app.add_subcommand("keys", "Encryption at rest: master keys and their rotation");
  keys_cmd->require_subcommand(1);
  auto* keys_new = keys_cmd->add_subcommand("new", "Write a new random master key (hex, mode 0600) to a file that must not exist");
  keys_new->add_option("--out", keys.out, "the key file to create")->required();
  auto* keys_rotate = keys_cmd->add_subcommand(
      "rotate", "Re-wrap every data key of a data directory under a new master key (one transaction) and start a fresh data key; "
                "stop serve first");
  keys_rotate->add_option("--data", keys.data, "data directory");
  keys_rotate->add_option("--master-key-file", keys.master_key_file,
                          "the current master key; default: $ORDERGUARD_MASTER_KEY, else DATA/master.key");
  keys_rotate->add_option("--new-master-key-file", keys.new_master_key_file,
                          "the new master key (see `keys new`); default: $ORDERGUARD_NEW_MASTER_KEY");

  ValidateArgs validate;
  auto* validate_cmd = app.add_subcommand("validate", "Check a draft order before it is placed (前置验证): prints the findings as JSON");
  validate_cmd->add_option("--events", validate.events, "NDJSON events (catalog, stock, zones, orders ...) to check against, or -")
      ->required();
  validate_cmd->add_option("--draft", validate.draft, "the draft order: one JSON object shaped as an order.created payload, or -")
      ->required();
  validate_cmd->add_option("--at", validate.at, "check time, RFC 3339 or epoch milliseconds (default: the last event's ts)");
  validate_cmd->add_option("--config", validate.config, "rules configuration (TOML); defaults when absent");

  // CLI11 answers a mistyped command with "A subcommand is required": name it, and the commands.
  if (argc > 1 && argv[1][0] != '-') {
    std::string commands;
    bool known = false;
    for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || command->get_name() == argv[1];
      commands += (commands.empty() ? "" : ", ") + command->get_name();
    }
    if (!known) {
      spdlog::error("orderguard: `{}` is not a command; the commands are {} (orderguard --help)", argv[1], commands);
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitUsage;
  }

  if (replay_cmd->parsed()) return run_replay(replay);
  if (check_cmd->parsed()) return run_rules_check(rules_file);
  if (simulate_cmd->parsed()) return run_simulate(simulate);
  if (evaluate_cmd->parsed()) return run_evaluate(evaluate);
  if (serve_cmd->parsed()) return run_serve(serve);
  if (demo_cmd->parsed()) return run_demo(demo);
  if (loadgen_cmd->parsed()) return run_loadgen(loadgen);
  if (tokens_create->parsed()) return run_tokens_create(tokens);
  if (tokens_list->parsed()) return run_tokens_list(tokens);
  if (tokens_revoke->parsed()) return run_tokens_revoke(tokens);
  if (audit_verify->parsed()) return run_audit_verify(audit);
  if (audit_checkpoints->parsed()) return run_audit_checkpoints(audit);
  if (validate_cmd->parsed()) return run_validate(validate);
  if (keys_new->parsed()) return run_keys_new(keys);
  if (keys_rotate->parsed()) return run_keys_rotate(keys);
  return kExitUsage;
}
