// cli/commands: the sub-commands of the `orderguard` binary (docs/spec/INTERFACES.md).
// Each returns the process exit code: 0 success, 2 bad usage or configuration, 1 other failure.
// Owns: files, stdin/stdout/stderr. Depends on: replay, engine, rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace og::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct ReplayArgs {
  std::string input;
  std::string config;
  std::string until;
  std::string incidents;
  std::string commands;
  std::string report;
  bool strict = false;
};
int run_replay(const ReplayArgs& args);

int run_rules_check(const std::string& path);

// `orderguard simulate` (src/cli/simulate_command.cc, the world is src/sim).
struct SimulateArgs {
  std::uint64_t orders = 10000;
  std::uint64_t seed = 1;
  std::string platform = "grocery";  // grocery | errand | mall | mixed
  std::string out;                    // events NDJSON, or -
  std::string truth;                  // ground truth NDJSON (docs/truth-format.md)
  std::string start = "2026-11-21T00:00:00+08:00";
  double incident_rate = 0.05;        // share of orders with a planted exception
  double noise_rate = 0.01;           // share of events duplicated / reordered / broken
  bool closed_loop = false;           // the world answers commands, simulated agents work the desk
  std::string report;                 // --closed-loop: the handling measures (JSON)
  std::string config;                 // --closed-loop: rules configuration (TOML); defaults when empty
  std::string incidents;              // --closed-loop: every incident in its final state (NDJSON)
  std::string commands;               // --closed-loop: every command emitted (NDJSON)
};
int run_simulate(const SimulateArgs& args);

// `orderguard evaluate` (src/cli/evaluate_command.cc, the metrics are src/evaluate).
struct EvaluateArgs {
  std::string incidents;
  std::string truth;
  std::string json;                   // where to write the metrics as JSON, optional
  double min_f1 = -1;                 // exit 1 when any type's (or the overall) F1 is below
};
int run_evaluate(const EvaluateArgs& args);

// `orderguard serve` (src/cli/serve_command.cc, the service is src/server).
struct ServeArgs {
  std::string data = "orderguard-data";
  std::string config;
  std::string listen = "127.0.0.1:8080";
  std::string outbox_file;            // NDJSON sink of commands
  std::string webhook;                // HTTP sink of commands
  std::size_t max_body_bytes = 32 << 20;
  std::size_t max_batch_lines = 100000;
  std::size_t max_page = 500;
  std::size_t max_connections = 1024;
  std::size_t max_memory_mb = 2048;   // the memory cap (server/overload.h, docs/serve.md "Overload")
  std::uint64_t snapshot_every = 2000;  // journal records between snapshots
  std::string quiet_after = "2s";     // event time follows the wall clock after this long without events
  std::string port_file;              // write the bound port here (for --listen ...:0)
  std::string web;                    // the dashboard's files; empty: the source tree's web/dist when built
  std::string master_key_file;        // the master key (hex); empty: ORDERGUARD_MASTER_KEY, else DIR/master.key
};
int run_serve(const ServeArgs& args);

// `orderguard keys new|rotate` (src/cli/keys_command.cc, the key ring is src/store/keyring).
struct KeysArgs {
  std::string data = "orderguard-data";
  std::string master_key_file;      // the current master key; empty: ORDERGUARD_MASTER_KEY, else DIR/master.key
  std::string new_master_key_file;  // the new one; empty: ORDERGUARD_NEW_MASTER_KEY
  std::string out;                  // keys new: where to write the key
};
int run_keys_new(const KeysArgs& args);
int run_keys_rotate(const KeysArgs& args);

// `orderguard demo` (src/cli/demo_command.cc): a real serve, the closed-loop day driven into it
// over HTTP (src/client/http_link), the measures the server computed.
struct DemoArgs {
  std::uint64_t orders = 20000;
  std::uint64_t seed = 1;
  std::string platform = "grocery";
  std::string data = "orderguard-demo-data";  // emptied first when a previous demo made it
  std::string listen = "127.0.0.1:8080";
  bool exit = false;                  // stop after the table instead of serving until Ctrl-C
  std::string events_out;             // every line POSTed, in order
  std::string incidents_out;          // the server's incidents at the end (NDJSON)
  std::string report;                 // GET /v1/kpis at the end
  std::int64_t batch_span_ms = 5000;  // event time one POST covers at most
};
int run_demo(const DemoArgs& args);

// `orderguard loadgen` (src/cli/loadgen_command.cc, src/client/loadgen): HTTP ingest load.
struct LoadgenArgs {
  std::string url;
  std::string token;
  std::string token_file;
  std::string input;
  std::size_t batch = 1000;           // lines per POST
  std::size_t connections = 4;
  std::size_t pipeline = 2;           // requests in flight per connection
  bool latency = false;               // also follow GET /v1/stream: event-to-incident latency
  double rate = 0;                    // offered events per second (0: as fast as the server answers)
  std::int64_t out_of_orderness_ms = 10000;
  std::string json;                   // the figures as JSON
};
int run_loadgen(const LoadgenArgs& args);

// `orderguard tokens create|list|revoke`.
struct TokensArgs {
  std::string data = "orderguard-data";
  std::string role;
  std::string name;
  std::string id;
  std::string agent;  // the desk agent a person's token acts as
};
int run_tokens_create(const TokensArgs& args);
int run_tokens_list(const TokensArgs& args);
int run_tokens_revoke(const TokensArgs& args);

// `orderguard audit verify|checkpoints` (src/cli/audit_command.cc, the chain is src/audit).
struct AuditArgs {
  std::string data = "orderguard-data";
  std::string public_key;  // hex, or a file holding it: every checkpoint must be signed by it
};
int run_audit_verify(const AuditArgs& args);
int run_audit_checkpoints(const AuditArgs& args);

// `orderguard validate` (src/cli/validate_command.cc, the checks are src/validate).
struct ValidateArgs {
  std::string events;  // NDJSON events whose master data and orders the draft is checked against, or -
  std::string draft;   // the draft order (one JSON object), or -
  std::string at;      // check time, RFC 3339 or epoch ms; default: the last event's ts
  std::string config;  // rules configuration (TOML); defaults when empty
};
int run_validate(const ValidateArgs& args);

}  // namespace og::cli
