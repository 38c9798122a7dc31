#include "server/tokens.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

namespace og::server {
namespace {

constexpr std::array<std::string_view, 5> kRoleNames{"ingest", "viewer", "agent", "supervisor", "admin"};
constexpr std::size_t kHashBytes = 32;

std::array<unsigned char, kHashBytes> hash_secret(std::string_view secret) {
  std::array<unsigned char, kHashBytes> hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     nullptr, 0);
  return hash;
}

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not initialise");
}

}  // namespace

std::string_view role_name(Role role) { return kRoleNames[static_cast<std::size_t>(role)]; }

std::optional<Role> role_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

bool role_allows(Role held, Role needed) {
  if (held == Role::kAdmin) return true;
  if (needed == Role::kIngest || held == Role::kIngest) return held == needed;
  return static_cast<int>(held) >= static_cast<int>(needed);
}

std::optional<std::string> token_arguments_error(Role role, std::string_view agent_id, std::string_view name) {
  if (role == Role::kAgent && agent_id.empty()) return std::string("an agent token acts as one agent: give --agent AGENT_ID");
  // Names and agent ids are printed one per line (`tokens list`): a newline in one would
  // forge another line.
  const auto has_control = [](std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  };
  if (has_control(name)) return std::string("--name: no control characters (newlines, tabs ...) in a token's name");
  if (has_control(agent_id)) return std::string("--agent: no control characters (newlines, tabs ...) in an agent id");
  return std::nullopt;
}

store::Result<NewToken> create_token(store::Store& store, Role role, std::string_view name, TimeMs now,
                                     std::string_view agent_id) {
  ensure_sodium();
  if (auto wrong = token_arguments_error(role, agent_id, name)) return tl::unexpected(std::move(*wrong));
  std::array<unsigned char, 32> random{};
  randombytes_buf(random.data(), random.size());
  std::array<char, 64> text{};
  sodium_bin2base64(text.data(), text.size(), random.data(), random.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  NewToken token;
  token.secret = "og_" + std::string(text.data());
  const auto hash = hash_secret(token.secret);
  token.row.id = fmt::format("tok-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", hash[0], hash[1], hash[2], hash[3], hash[4], hash[5]);
  token.row.role = std::string(role_name(role));
  token.row.name = std::string(name);
  token.row.created_at = now;
  token.row.agent_id = std::string(agent_id);
  if (auto added = store.add_token(token.row, hash); !added) return tl::unexpected(added.error());
  return token;
}

TokenCheck::TokenCheck(std::unique_ptr<store::Store> store) : store_(std::move(store)) { ensure_sodium(); }

std::optional<Identity> TokenCheck::identify(std::string_view secret) {
  if (secret.empty() || secret.size() > 256) return std::nullopt;
  // Looked up on every request, not cached: a token revoked by `orderguard tokens revoke` (another
  // process) must get 401 at once. One indexed read of a small table; requests are batches.
  const auto hash = hash_secret(secret);
  std::lock_guard lock(mutex_);
  const auto stored = store_->token(hash);
  if (!stored) return std::nullopt;
  const auto role = role_from_name(stored->role);
  if (!role) return std::nullopt;
  return Identity{*role, stored->agent_id, stored->id};
}

}  // namespace og::server
