// store/keyring: encryption at rest of customer data (PIPL, docs/privacy.md). Two levels of
// keys: a master key (KEK, 32 bytes) that never enters the store, and random data keys (DEK)
// that are stored only wrapped under it (XChaCha20-Poly1305, the data key's id bound as
// associated data). Whatever the store seals (journal bodies, the customer vault) is sealed
// with the newest data key; older ones stay to open older records.
//
// The master key comes from `--master-key-file PATH`, else the environment variable
// ORDERGUARD_MASTER_KEY (64 hex digits), else DIR/master.key, which the first start of a
// data directory creates (mode 0600). Rotation re-wraps every data key under a new master
// key in one transaction and starts a fresh data key: no record is re-encrypted.
//
// Owns: master-key loading, data keys, sealing and opening, rotation. Depends on: store
// (the data_keys table), libsodium. A KeyRing is immutable once opened: any thread may use it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace og::store {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr const char* kMasterKeyEnv = "ORDERGUARD_MASTER_KEY";

// 32 secret bytes, wiped when destroyed.
class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(const unsigned char* bytes);
  ~SecretKey();
  SecretKey(const SecretKey& other) : SecretKey(other.bytes_.data()) {}
  SecretKey& operator=(const SecretKey& other);
  const unsigned char* data() const { return bytes_.data(); }
  unsigned char* data() { return bytes_.data(); }
  static SecretKey random();

 private:
  std::array<unsigned char, kKeyBytes> bytes_{};
};

struct MasterKey {
  SecretKey key;
  std::string source;    // where it came from, for messages: "--master-key-file F", the variable, the file
  bool created = false;  // this start created DIR/master.key
  // A short public fingerprint (16 hex digits) that names the key in messages and in the
  // store, so that a wrong key is told apart from damaged data.
  std::string id() const;
};

// `hex`: 64 hexadecimal digits, surrounding whitespace allowed.
Result<MasterKey> master_key_from_hex(std::string_view hex, std::string source);
Result<MasterKey> read_master_key_file(const std::string& path);
// Writes a new random master key as hex to `path` (mode 0600); refuses to overwrite a file.
Result<MasterKey> create_master_key_file(const std::string& path);

// The master key of a data directory: `file` when given, else the variable, else
// DIR/master.key, created when the store holds no data key yet. Errors say what to pass.
Result<MasterKey> load_master_key(const Store& store, const std::string& data_dir, const std::string& file);

class KeyRing {
 public:
  // Unwraps every data key of the store with `master`; the first use creates a data key.
  // A wrong master key is an error that names both keys' ids, never garbage.
  static Result<std::shared_ptr<const KeyRing>> open(Store& store, const MasterKey& master, TimeMs now);

  std::uint32_t current_id() const { return current_; }
  const std::string& master_id() const { return master_id_; }
  // nonce (24 bytes) + ciphertext + tag (16 bytes), under the current data key. The nonce is
  // this key ring's random 16-byte prefix, drawn from the OS when it was opened, and a count
  // of its seals (docs/decisions.md #54): no system call per row.
  std::string seal(std::string_view plain, std::string_view associated) const;
  // The same, into `out`, grown when too small and never shrunk: a writer that seals one
  // record after another reuses one buffer rather than allocating and zeroing each time.
  std::span<const unsigned char> seal_into(std::vector<unsigned char>& out, std::string_view plain, std::string_view associated) const;
  // The plaintext, or an error when the data key is unknown or the bytes or their
  // associated data were altered.
  Result<std::string> open(std::uint32_t key_id, std::string_view sealed, std::string_view associated) const;

 private:
  static constexpr std::size_t kNoncePrefixBytes = 16;
  void next_nonce(unsigned char* out) const;  // prefix + count (little-endian), 24 bytes
  std::map<std::uint32_t, SecretKey> keys_;
  std::uint32_t current_ = 0;
  std::string master_id_;
  std::array<unsigned char, kNoncePrefixBytes> nonce_prefix_{};
  mutable std::atomic<std::uint64_t> nonce_count_{0};  // sealing is const: any thread may seal
};

struct RotateReport {
  std::size_t rewrapped = 0;       // data keys now wrapped under the new master key
  std::uint32_t new_data_key = 0;  // the fresh data key for records from now on
};

// Re-wraps every data key under `next` in one transaction (each must open with `current`
// first, or nothing changes) and adds a fresh data key. Old records stay readable.
Result<RotateReport> rotate_master_key(Store& store, const MasterKey& current, const MasterKey& next, TimeMs now);

}  // namespace og::store
