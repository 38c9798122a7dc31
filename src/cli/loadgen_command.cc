// cli/loadgen_command: `orderguard loadgen`: reads the events file and the token, runs the
// load (src/client/loadgen), prints the figures. A separate process from the server it loads.
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "client/loadgen.h"

namespace og::cli {

int run_loadgen(const LoadgenArgs& args) {
  const auto endpoint = client::parse_url(args.url);
  if (!endpoint) {
    spdlog::error("orderguard loadgen: --url: {}", endpoint.error());
    return kExitUsage;
  }
  std::string token = args.token;
  if (token.empty() && !args.token_file.empty()) {
    std::ifstream in(args.token_file);
    std::getline(in, token);
    if (token.empty()) {
      spdlog::error("orderguard loadgen: --token-file {}: no token in it", args.token_file);
      return kExitUsage;
    }
  }
  if (token.empty()) {
    spdlog::error("orderguard loadgen: give --token TOKEN or --token-file FILE (a token with the ingest role)");
    return kExitUsage;
  }
  std::ifstream in(args.input, std::ios::binary);
  if (!in) {
    spdlog::error("orderguard loadgen: --input {}: cannot read it", args.input);
    return kExitUsage;
  }
  // Read whole into one buffer of the file's size: through a string stream the 200 MB of a
  // day were copied three times, and that CPU counts against the server's in bench-http.
  // A pipe has no size: it is read through a string stream.
  std::string input;
  in.seekg(0, std::ios::end);
  if (const std::streamoff size = in.tellg(); size >= 0) {
    input.resize(static_cast<std::size_t>(size));
    in.seekg(0);
    in.read(input.data(), size);
    input.resize(static_cast<std::size_t>(in.gcount()));
  } else {
    in.clear();
    std::ostringstream text;
    text << in.rdbuf();
    input = std::move(text).str();
  }

  client::LoadgenOptions options;
  options.endpoint = *endpoint;
  options.token = token;
  options.batch = args.batch;
  options.connections = args.connections;
  options.pipeline = args.pipeline;
  options.latency = args.latency;
  options.rate = args.rate;
  options.out_of_orderness = args.out_of_orderness_ms;
  spdlog::info("orderguard loadgen: {} bytes to {} over {} connection(s), {} lines per POST, {} in flight each{}{}", input.size(),
               args.url, args.connections, args.batch, args.pipeline,
               args.rate > 0 ? fmt::format(", offering {:.0f} events/s", args.rate) : std::string(),
               args.latency ? ", following /v1/stream" : "");
  const client::LoadgenReport report = client::run_loadgen(options, input);
  fmt::print("{}", report.text());
  std::fflush(stdout);
  if (!args.json.empty()) {
    std::ofstream out(args.json, std::ios::binary | std::ios::trunc);
    out << report.json() << "\n";
    if (!out) {
      spdlog::error("orderguard loadgen: cannot write {}", args.json);
      return kExitFailure;
    }
  }
  if (report.failed_batches != 0 || report.accepted + report.duplicates + report.rejected != report.lines) {
    spdlog::error("orderguard loadgen: not every event was answered ({} failed POSTs)", report.failed_batches);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace og::cli
