#include "audit/chain.h"

#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace og::audit {
namespace {

constexpr std::size_t kHashBytes = 32;
constexpr std::string_view kCheckpointDomain = "orderguard-audit-v1";

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not initialise");
}

void put_u64(crypto_generichash_state& state, std::uint64_t value) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  crypto_generichash_update(&state, bytes, sizeof bytes);
}

void put_field(crypto_generichash_state& state, std::string_view field) {
  put_u64(state, field.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(field.data()), field.size());
}

std::string checkpoint_message(std::uint64_t seq, const std::string& hash) {
  std::string message(kCheckpointDomain);
  for (int i = 0; i < 8; ++i) message.push_back(static_cast<char>(seq >> (8 * i)));
  message += hash;
  return message;
}

}  // namespace

std::string hex(std::string_view bytes) {
  std::string out;
  for (const unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string genesis_hash() { return std::string(kHashBytes, '\0'); }

std::string link_hash(const store::AuditRow& row) {
  ensure_sodium();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kHashBytes);
  put_field(state, row.prev_hash);
  put_u64(state, row.seq);
  put_u64(state, static_cast<std::uint64_t>(row.at));
  for (const std::string* field : {&row.kind, &row.subject, &row.order_id, &row.actor, &row.key, &row.body}) put_field(state, *field);
  std::string out(kHashBytes, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

store::Result<Signer> Signer::load_or_create(const std::string& data_dir) {
  ensure_sodium();
  const std::filesystem::path path = std::filesystem::path(data_dir) / "audit.key";
  Signer signer;
  signer.secret_key_.resize(crypto_sign_SECRETKEYBYTES);
  signer.public_key_.resize(crypto_sign_PUBLICKEYBYTES);
  auto* secret = reinterpret_cast<unsigned char*>(signer.secret_key_.data());
  auto* public_key = reinterpret_cast<unsigned char*>(signer.public_key_.data());
  if (std::ifstream in(path, std::ios::binary); in) {
    in.read(signer.secret_key_.data(), static_cast<std::streamsize>(signer.secret_key_.size()));
    if (in.gcount() != static_cast<std::streamsize>(signer.secret_key_.size())) {
      return tl::unexpected(path.string() + ": not an audit signing key (64 bytes); restore it from a backup");
    }
    crypto_sign_ed25519_sk_to_pk(public_key, secret);
    return signer;
  }
  crypto_sign_keypair(public_key, secret);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(signer.secret_key_.data(), static_cast<std::streamsize>(signer.secret_key_.size()));
    if (!out) return tl::unexpected(path.string() + ": cannot write the audit signing key");
  }
  ::chmod(path.c_str(), 0600);
  std::ofstream(std::filesystem::path(data_dir) / "audit.pub") << hex(signer.public_key_) << "\n";
  return signer;
}

store::Checkpoint Signer::sign(std::uint64_t seq, const std::string& hash, TimeMs now) const {
  const std::string message = checkpoint_message(seq, hash);
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return store::Checkpoint{seq, hash, signature, public_key_, now};
}

bool checkpoint_signature_ok(const store::Checkpoint& checkpoint) {
  ensure_sodium();
  if (checkpoint.signature.size() != crypto_sign_BYTES || checkpoint.public_key.size() != crypto_sign_PUBLICKEYBYTES) return false;
  const std::string message = checkpoint_message(checkpoint.seq, checkpoint.hash);
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(checkpoint.signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     reinterpret_cast<const unsigned char*>(checkpoint.public_key.data())) == 0;
}

Chain::Chain(const store::Store& store) : tail_hash_(genesis_hash()) {
  if (const auto tail = store.audit_tail()) {
    tail_seq_ = tail->first;
    tail_hash_ = tail->second;
  }
}

std::vector<store::AuditRow> Chain::link(std::vector<store::AuditRow> rows, const store::Store& store) {
  std::vector<store::AuditRow> out;
  out.reserve(rows.size());
  std::uint64_t seq = tail_seq_;
  std::string prev = tail_hash_;
  for (store::AuditRow& row : rows) {
    if (check_store_ && store.audit_has(row.key)) continue;
    row.seq = ++seq;
    row.prev_hash = prev;
    row.hash = link_hash(row);
    prev = row.hash;
    out.push_back(std::move(row));
  }
  return out;
}

void Chain::commit(const std::vector<store::AuditRow>& written) {
  if (written.empty()) return;
  tail_seq_ = written.back().seq;
  tail_hash_ = written.back().hash;
}

VerifyReport verify(const store::Store& store, const std::optional<std::string>& trusted_public_key) {
  VerifyReport report;
  std::map<std::uint64_t, std::string> hashes;  // seq -> stored hash, for the checkpoints
  std::uint64_t expected_seq = 1;
  std::string prev = genesis_hash();
  auto read = store.read_audit(0, {}, [&](store::AuditRow&& row) {
    ++report.links;
    if (row.seq != expected_seq) {
      report.problems.push_back(row.seq > expected_seq
                                    ? fmt::format("links {}..{} are missing (deleted)", expected_seq, row.seq - 1)
                                    : fmt::format("link {} appears out of order", row.seq));
    }
    if (row.prev_hash != prev) {
      report.problems.push_back(fmt::format("link {}: does not follow the link before it (inserted, deleted or reordered)", row.seq));
    }
    if (link_hash(row) != row.hash) {
      report.problems.push_back(fmt::format("link {} ({} {}): its content was changed after it was written", row.seq, row.kind, row.subject));
    }
    hashes[row.seq] = row.hash;
    prev = row.hash;
    expected_seq = row.seq + 1;
    return report.problems.size() < 100;
  });
  if (!read) report.problems.push_back("the chain cannot be read: " + read.error());
  auto checkpoints = store.checkpoints();
  if (!checkpoints) {
    report.problems.push_back("the checkpoints cannot be read: " + checkpoints.error());
    return report;
  }
  for (const store::Checkpoint& checkpoint : *checkpoints) {
    ++report.checkpoints;
    if (!checkpoint_signature_ok(checkpoint)) {
      report.problems.push_back(fmt::format("checkpoint at link {}: the signature does not verify", checkpoint.seq));
      continue;
    }
    if (trusted_public_key && checkpoint.public_key != *trusted_public_key) {
      report.problems.push_back(fmt::format("checkpoint at link {}: signed by another key than the trusted one", checkpoint.seq));
      continue;
    }
    const auto it = hashes.find(checkpoint.seq);
    if (it == hashes.end()) {
      report.problems.push_back(fmt::format("checkpoint at link {}: that link is gone (the chain was cut short)", checkpoint.seq));
    } else if (it->second != checkpoint.hash) {
      report.problems.push_back(fmt::format("checkpoint at link {}: the chain up to it was rewritten", checkpoint.seq));
    } else {
      report.last_checkpoint = checkpoint.seq;
    }
  }
  return report;
}

}  // namespace og::audit
