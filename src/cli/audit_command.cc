// cli/audit_command: `orderguard audit verify` and `orderguard audit checkpoints`: the audit
// chain of a data directory checked, and its signed checkpoints exported to be kept elsewhere.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "audit/chain.h"
#include "cli/commands.h"

namespace og::cli {
namespace {

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    if (std::sscanf(std::string(text.substr(i, 2)).c_str(), "%2x", &value) != 1) return std::nullopt;
    out.push_back(static_cast<char>(value));
  }
  return out;
}

}  // namespace

int run_audit_verify(const AuditArgs& args) {
  auto store = store::Store::open_existing(args.data);
  if (!store) {
    spdlog::error("orderguard audit verify: {}", store.error());
    return kExitUsage;
  }
  std::optional<std::string> trusted;
  if (!args.public_key.empty()) {
    std::string text = args.public_key;
    if (std::ifstream in(args.public_key); in) in >> text;  // a file holding the hex key
    trusted = unhex(text);
    if (!trusted || trusted->size() != 32) {
      spdlog::error("orderguard audit verify: --public-key: give the 64 hex digits of DIR/audit.pub, or that file");
      return kExitUsage;
    }
  }
  const audit::VerifyReport report = audit::verify(**store, trusted);
  for (const std::string& problem : report.problems) fmt::print("problem: {}\n", problem);
  fmt::print("{}: {} link(s), {} checkpoint(s), newest valid checkpoint at link {}: {}\n", args.data, report.links,
             report.checkpoints, report.last_checkpoint, report.ok() ? "verified" : "TAMPERED");
  return report.ok() ? kExitOk : kExitFailure;
}

int run_audit_checkpoints(const AuditArgs& args) {
  auto store = store::Store::open_existing(args.data);
  if (!store) {
    spdlog::error("orderguard audit checkpoints: {}", store.error());
    return kExitUsage;
  }
  auto checkpoints = (*store)->checkpoints();
  if (!checkpoints) {
    spdlog::error("orderguard audit checkpoints: {}", checkpoints.error());
    return kExitFailure;
  }
  for (const store::Checkpoint& checkpoint : *checkpoints) {
    fmt::print("{{\"seq\":{},\"hash\":\"{}\",\"signature\":\"{}\",\"public_key\":\"{}\",\"at\":\"{}\"}}\n", checkpoint.seq,
               audit::hex(checkpoint.hash), audit::hex(checkpoint.signature), audit::hex(checkpoint.public_key), format_utc_ms(checkpoint.at));
  }
  return kExitOk;
}

}  // namespace og::cli
