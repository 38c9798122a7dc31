// audit/chain: the tamper-evident audit chain (the seeds' 区块链存证, done honestly): every
// incident change, command, person's action, configuration change and unmasking is a link
// whose hash covers its content and the hash of the link before it (BLAKE2b-256), and
// periodic checkpoints sign the newest link's hash with Ed25519, so that a copy of the
// checkpoints kept elsewhere proves the chain was not rewritten or cut short since.
// `verify` finds any edit, deletion, insertion or reordering and says where.
// Owns: link hashing, the signing key, checkpoints, verification. Depends on: store, libsodium.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace og::audit {

// hash = BLAKE2b-256(prev_hash, seq, at, kind, subject, order_id, actor, key, body), every
// field length-prefixed, so no two different links hash alike by shifting bytes between fields.
std::string link_hash(const store::AuditRow& row);

// The Ed25519 key that signs checkpoints: DIR/audit.key (mode 0600), created on first use.
class Signer {
 public:
  static store::Result<Signer> load_or_create(const std::string& data_dir);
  store::Checkpoint sign(std::uint64_t seq, const std::string& hash, TimeMs now) const;
  const std::string& public_key() const { return public_key_; }

 private:
  std::string secret_key_;  // 64 bytes
  std::string public_key_;  // 32 bytes
};

bool checkpoint_signature_ok(const store::Checkpoint& checkpoint);

// Appends links in order: gives each its seq and hashes against the tail. Links whose key is
// already in the store are skipped (a change derived again after a restart).
class Chain {
 public:
  explicit Chain(const store::Store& store);
  // Links the rows that are new; returns them ready for Store::append. The tail moves only
  // when commit() says they were written.
  std::vector<store::AuditRow> link(std::vector<store::AuditRow> rows, const store::Store& store);
  void commit(const std::vector<store::AuditRow>& written);
  std::uint64_t tail_seq() const { return tail_seq_; }
  const std::string& tail_hash() const { return tail_hash_; }

  // Whether link() asks the store for each key (on by default). Only changes derived again by
  // a recovery can already be there; a writer that derives each change once turns the
  // lookups off once those are written, and turns them on again to retry a failed write.
  void check_store(bool on) { check_store_ = on; }
  bool checks_store() const { return check_store_; }

 private:
  std::uint64_t tail_seq_ = 0;
  std::string tail_hash_;
  bool check_store_ = true;
};

struct VerifyReport {
  std::uint64_t links = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t last_checkpoint = 0;  // seq of the newest valid checkpoint
  std::vector<std::string> problems;  // each names the link (seq) and what is wrong
  bool ok() const { return problems.empty(); }
};

// Walks the whole chain and every checkpoint. `trusted_public_key` (32 bytes), when given,
// must have signed every checkpoint: a checkpoint re-signed with another key is a problem.
VerifyReport verify(const store::Store& store, const std::optional<std::string>& trusted_public_key = std::nullopt);

// The genesis link's prev_hash: 32 zero bytes.
std::string genesis_hash();

// Bytes as lowercase hex: how hashes, keys and signatures are shown and exported.
std::string hex(std::string_view bytes);

}  // namespace og::audit
