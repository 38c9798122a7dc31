#include "store/keyring.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace og::store {
namespace {

constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kKeyBytes);

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

// Writes nonce, ciphertext and tag to `out` (kNonceBytes + plain.size() + kTagBytes bytes);
// the nonce is already in out[0, kNonceBytes).
void seal_after_nonce(const SecretKey& key, std::string_view plain, std::string_view associated, unsigned char* out) {
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kNonceBytes, &written, reinterpret_cast<const unsigned char*>(plain.data()),
                                             plain.size(), reinterpret_cast<const unsigned char*>(associated.data()),
                                             associated.size(), nullptr, out, key.data());
}

// The same with a nonce from the OS: keys wrapped under a master key (rare).
void seal_to(const SecretKey& key, std::string_view plain, std::string_view associated, unsigned char* out) {
  randombytes_buf(out, kNonceBytes);
  seal_after_nonce(key, plain, associated, out);
}

std::string seal_with(const SecretKey& key, std::string_view plain, std::string_view associated) {
  std::string out(kNonceBytes + plain.size() + kTagBytes, '\0');
  seal_to(key, plain, associated, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// false when the bytes, their associated data or the key are not those it was sealed with.
bool open_with(const SecretKey& key, std::string_view sealed, std::string_view associated, std::string& plain) {
  if (sealed.size() < kNonceBytes + kTagBytes) return false;
  plain.resize(sealed.size() - kNonceBytes - kTagBytes);
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  unsigned long long written = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr,
                                                    nonce + kNonceBytes, sealed.size() - kNonceBytes,
                                                    reinterpret_cast<const unsigned char*>(associated.data()), associated.size(),
                                                    nonce, key.data()) == 0;
}

// A wrapped data key is bound to its id: wrappings swapped between ids do not open.
std::string wrap_binding(std::uint32_t id) { return "orderguard-data-key-v1:" + std::to_string(id); }

DataKeyRow wrap(const SecretKey& data_key, std::uint32_t id, const MasterKey& master, TimeMs now) {
  const std::string_view bytes(reinterpret_cast<const char*>(data_key.data()), kKeyBytes);
  return DataKeyRow{id, master.id(), seal_with(master.key, bytes, wrap_binding(id)), now};
}

Result<SecretKey> unwrap(const DataKeyRow& row, const MasterKey& master) {
  std::string plain;
  if (!open_with(master.key, row.wrapped, wrap_binding(row.id), plain) || plain.size() != kKeyBytes) {
    sodium_memzero(plain.data(), plain.size());
    if (row.master_id != master.id()) {
      return tl::unexpected("the master key from " + master.source + " (id " + master.id() + ") is not the one this data directory's keys are wrapped with (id " +
                            row.master_id + "): give that key with --master-key-file PATH or " + kMasterKeyEnv);
    }
    return tl::unexpected("data key " + std::to_string(row.id) + " does not open with the master key from " + master.source +
                          " although its id matches: the data_keys table was altered; restore the data directory from a backup");
  }
  SecretKey key(reinterpret_cast<const unsigned char*>(plain.data()));
  sodium_memzero(plain.data(), plain.size());
  return key;
}

}  // namespace

SecretKey::SecretKey(const unsigned char* bytes) { std::copy(bytes, bytes + kKeyBytes, bytes_.begin()); }
SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }
SecretKey& SecretKey::operator=(const SecretKey& other) {
  bytes_ = other.bytes_;
  return *this;
}
SecretKey SecretKey::random() {
  sodium_ready();
  SecretKey key;
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
  return key;
}

std::string MasterKey::id() const {
  // A keyed hash of a constant: it names the key without telling anything about it.
  unsigned char digest[8];
  static constexpr std::string_view kLabel = "orderguard-master-key-id-v1";
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), key.data(), kKeyBytes);
  return to_hex(digest, sizeof digest);
}

Result<MasterKey> master_key_from_hex(std::string_view hex, std::string source) {
  if (!sodium_ready()) return tl::unexpected(std::string("libsodium could not be initialised"));
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
  MasterKey master;
  master.source = std::move(source);
  std::size_t length = 0;
  const char* end = nullptr;
  if (hex.size() != kKeyBytes * 2 ||
      sodium_hex2bin(master.key.data(), kKeyBytes, hex.data(), hex.size(), nullptr, &length, &end) != 0 || length != kKeyBytes) {
    return tl::unexpected("the master key from " + master.source + " must be 64 hexadecimal digits (32 bytes); create one with `orderguard keys new --out FILE`");
  }
  return master;
}

Result<MasterKey> read_master_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected("master key file " + path + ": cannot read it");
  std::ostringstream text;
  text << in.rdbuf();
  std::string hex = text.str();
  auto master = master_key_from_hex(hex, path);
  sodium_memzero(hex.data(), hex.size());
  return master;
}

Result<MasterKey> create_master_key_file(const std::string& path) {
  if (!sodium_ready()) return tl::unexpected(std::string("libsodium could not be initialised"));
  MasterKey master;
  master.key = SecretKey::random();
  master.source = path;
  master.created = true;
  std::string hex = to_hex(master.key.data(), kKeyBytes) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return tl::unexpected("master key file " + path + ": cannot create it (" + std::strerror(errno) + "); it must not exist yet");
  const bool written = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(hex.data(), hex.size());
  if (!written) return tl::unexpected("master key file " + path + ": cannot write it");
  return master;
}

Result<MasterKey> load_master_key(const Store& store, const std::string& data_dir, const std::string& file) {
  if (!file.empty()) return read_master_key_file(file);
  if (const char* value = std::getenv(kMasterKeyEnv); value != nullptr && *value != '\0') {
    return master_key_from_hex(value, std::string("the environment variable ") + kMasterKeyEnv);
  }
  const std::string local = (std::filesystem::path(data_dir) / "master.key").string();
  if (std::filesystem::exists(local)) return read_master_key_file(local);
  auto keys = store.data_keys();
  if (!keys) return tl::unexpected(keys.error());
  if (!keys->empty()) {
    return tl::unexpected("it is encrypted with master key " + keys->back().master_id +
                          ", and none was given: pass --master-key-file PATH or set " + kMasterKeyEnv);
  }
  return create_master_key_file(local);
}

Result<std::shared_ptr<const KeyRing>> KeyRing::open(Store& store, const MasterKey& master, TimeMs now) {
  if (!sodium_ready()) return tl::unexpected(std::string("libsodium could not be initialised"));
  auto rows = store.data_keys();
  if (!rows) return tl::unexpected(rows.error());
  auto ring = std::make_shared<KeyRing>();
  ring->master_id_ = master.id();
  randombytes_buf(ring->nonce_prefix_.data(), ring->nonce_prefix_.size());
  for (const DataKeyRow& row : *rows) {
    auto key = unwrap(row, master);
    if (!key) return tl::unexpected(key.error());
    ring->keys_.emplace(row.id, std::move(*key));
  }
  if (ring->keys_.empty()) {
    const SecretKey fresh = SecretKey::random();
    if (auto ok = store.write_data_keys({}, wrap(fresh, 1, master, now), false); !ok) return tl::unexpected(ok.error());
    ring->keys_.emplace(1, fresh);
  }
  ring->current_ = ring->keys_.rbegin()->first;
  return std::shared_ptr<const KeyRing>(std::move(ring));
}

void KeyRing::next_nonce(unsigned char* out) const {
  static_assert(kNoncePrefixBytes + 8 == kNonceBytes);
  std::memcpy(out, nonce_prefix_.data(), kNoncePrefixBytes);
  const std::uint64_t count = nonce_count_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < 8; ++i) out[kNoncePrefixBytes + i] = static_cast<unsigned char>(count >> (8 * i));
}

std::string KeyRing::seal(std::string_view plain, std::string_view associated) const {
  std::string out(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  next_nonce(bytes);
  seal_after_nonce(keys_.at(current_), plain, associated, bytes);
  return out;
}

std::span<const unsigned char> KeyRing::seal_into(std::vector<unsigned char>& out, std::string_view plain,
                                                 std::string_view associated) const {
  const std::size_t size = kNonceBytes + plain.size() + kTagBytes;
  if (out.size() < size) out.resize(size);
  next_nonce(out.data());
  seal_after_nonce(keys_.at(current_), plain, associated, out.data());
  return {out.data(), size};
}

Result<std::string> KeyRing::open(std::uint32_t key_id, std::string_view sealed, std::string_view associated) const {
  const auto found = keys_.find(key_id);
  if (found == keys_.end()) return tl::unexpected("sealed with data key " + std::to_string(key_id) + ", which the store does not hold");
  std::string plain;
  if (!open_with(found->second, sealed, associated, plain)) {
    return tl::unexpected(std::string("does not authenticate: the bytes were altered or moved from another record"));
  }
  return plain;
}

Result<RotateReport> rotate_master_key(Store& store, const MasterKey& current, const MasterKey& next, TimeMs now) {
  if (!sodium_ready()) return tl::unexpected(std::string("libsodium could not be initialised"));
  if (current.id() == next.id()) return tl::unexpected("the new master key is the current one (id " + current.id() + "): give a new key");
  auto rows = store.data_keys();
  if (!rows) return tl::unexpected(rows.error());
  std::vector<DataKeyRow> rewrapped;
  std::uint32_t last_id = 0;
  for (const DataKeyRow& row : *rows) {
    auto key = unwrap(row, current);
    if (!key) return tl::unexpected(key.error());
    rewrapped.push_back(wrap(*key, row.id, next, now));
    rewrapped.back().created_at = row.created_at;
    last_id = row.id;
  }
  const DataKeyRow added = wrap(SecretKey::random(), last_id + 1, next, now);
  if (auto ok = store.write_data_keys(rewrapped, added, true); !ok) return tl::unexpected(ok.error());
  return RotateReport{rewrapped.size(), added.id};
}

}  // namespace og::store
