// server/tokens: API tokens (docs/spec/INTERFACES.md: "Every /v1 call needs Authorization:
// Bearer TOKEN; tokens carry one role"). A token is 32 random bytes (libsodium), shown once
// when created; the store keeps only its BLAKE2b hash, so a copy of the data directory
// gives no token away.
// Owns: token creation, hashing, roles and their order. Depends on: store, libsodium.
#pragma once

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace og::server {

// Stronger roles include the weaker ones, except that `ingest` is a machine role that only
// writes events, and only `admin` also includes it.
enum class Role : std::uint8_t { kIngest, kViewer, kAgent, kSupervisor, kAdmin };

std::string_view role_name(Role role);
std::optional<Role> role_from_name(std::string_view name);
bool role_allows(Role held, Role needed);

struct NewToken {
  std::string secret;  // "og_" + 43 base64url characters: what clients send
  store::TokenRow row;
};

// Creates a token for `role` and stores its hash. `agent_id`: the desk agent a person's token
// acts as (required for the agent role: an agent acts only as themself).
// What is wrong with a token's arguments before anything is stored, or nullopt.
std::optional<std::string> token_arguments_error(Role role, std::string_view agent_id, std::string_view name = {});
store::Result<NewToken> create_token(store::Store& store, Role role, std::string_view name, TimeMs now,
                                     std::string_view agent_id = {});

// Who a token speaks for.
struct Identity {
  Role role = Role::kViewer;
  std::string agent_id;  // "" when not bound to an agent
  std::string token_id;  // the token's public id ("tok-…"), for the audit chain
};

// Checks bearer tokens against the store, remembering answers for a few seconds (a revoked
// token stops working within that time).
class TokenCheck {
 public:
  explicit TokenCheck(std::unique_ptr<store::Store> store);
  // Who the token speaks for, or nullopt when it is unknown or revoked.
  std::optional<Identity> identify(std::string_view secret);

 private:
  std::mutex mutex_;  // the store's connection is used by one thread at a time
  std::unique_ptr<store::Store> store_;
};

}  // namespace og::server
