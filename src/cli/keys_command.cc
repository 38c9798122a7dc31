// cli/keys_command: `orderguard keys new` (a master key file) and `orderguard keys rotate`
// (every data key of a data directory re-wrapped under a new master key). The key ring
// itself is src/store/keyring; docs/privacy.md says how the keys are kept.
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "server/service.h"
#include "store/directory_lock.h"
#include "store/keyring.h"

namespace og::cli {

int run_keys_new(const KeysArgs& args) {
  auto master = store::create_master_key_file(args.out);
  if (!master) {
    spdlog::error("orderguard keys new: {}", master.error());
    return kExitUsage;
  }
  fmt::print("{}: master key {}\n", args.out, master->id());
  return kExitOk;
}

int run_keys_rotate(const KeysArgs& args) {
  constexpr const char* kNewKeyEnv = "ORDERGUARD_NEW_MASTER_KEY";
  // Serve must be stopped (its key ring would keep the old wrappings): held while it runs.
  auto lock = store::DirectoryLock::take(args.data, "keys rotate");
  if (!lock) {
    spdlog::error("orderguard keys rotate: {}", lock.error());
    return kExitUsage;
  }
  auto store = store::Store::open(args.data);
  if (!store) {
    spdlog::error("orderguard keys rotate: {}", store.error());
    return kExitUsage;
  }
  auto existing = (*store)->data_keys();
  if (!existing) {
    spdlog::error("orderguard keys rotate: {}", existing.error());
    return kExitFailure;
  }
  if (existing->empty()) {
    spdlog::error("orderguard keys rotate: {} has no data keys yet (start serve on it once)", args.data);
    return kExitUsage;
  }
  auto current = store::load_master_key(**store, args.data, args.master_key_file);
  if (!current) {
    spdlog::error("orderguard keys rotate: data directory {}: {}", args.data, current.error());
    return kExitUsage;
  }
  store::Result<store::MasterKey> next = tl::unexpected(fmt::format(
      "give the new master key with --new-master-key-file FILE (create one with `orderguard keys new --out FILE`) or {}", kNewKeyEnv));
  if (!args.new_master_key_file.empty()) {
    next = store::read_master_key_file(args.new_master_key_file);
  } else if (const char* value = std::getenv(kNewKeyEnv); value != nullptr && *value != '\0') {
    next = store::master_key_from_hex(value, std::string("the environment variable ") + kNewKeyEnv);
  }
  if (!next) {
    spdlog::error("orderguard keys rotate: {}", next.error());
    return kExitUsage;
  }
  auto rotated = store::rotate_master_key(**store, *current, *next, server::SystemClock().now_ms());
  if (!rotated) {
    spdlog::error("orderguard keys rotate: {}", rotated.error());
    return kExitUsage;
  }
  fmt::print("{}: {} data key(s) re-wrapped under master key {} (was {}); new records use data key {}\n", args.data,
             rotated->rewrapped, next->id(), current->id(), rotated->new_data_key);
  spdlog::info("orderguard keys rotate: start serve with the new key (--master-key-file or ORDERGUARD_MASTER_KEY); {} no longer "
               "opens this directory: destroy it once no backup made before now needs it",
               current->source);
  return kExitOk;
}

}  // namespace og::cli
