// engine/incident_log: every incident the engine raised, in creation order, with the
// "at most one open incident per dedup key" index and deterministic ids.
// Ids hash (type, key, detected_at), so the same input always gives the same ids, whatever
// the arrival order within the out-of-orderness bound. Depends on: engine/incident, core.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "engine/incident.h"

namespace og {

namespace serial {
class Writer;
class Reader;
}  // namespace serial

struct IncidentKey {
  IncidentType type;
  Symbol subject;
  std::uint32_t detail;  // sku symbol, stage, or the hotspot's type; 0 otherwise
  friend bool operator==(const IncidentKey&, const IncidentKey&) = default;
};

IncidentKey key_of(const Incident& incident);

class IncidentLog {
 public:
  explicit IncidentLog(const Interner& interner) : interner_(interner) {}

  // nullptr when no open incident has this key.
  Incident* find_open(const IncidentKey& key);

  // Adds the incident (status open), assigns its index and id, indexes its key.
  // The caller has checked that no incident with the key is open.
  Incident& add(Incident incident);

  void resolve(Incident& incident, Resolution resolution, TimeMs at);
  void retract(Incident& incident, TimeMs at);

  // nullptr when no incident has this id.
  Incident* find_by_id(std::string_view id);

  Incident& at(std::uint32_t index) { return incidents_[index]; }
  const Incident& at(std::uint32_t index) const { return incidents_[index]; }
  const std::vector<Incident>& all() const { return incidents_; }
  std::size_t open_count() const { return open_.size(); }
  std::size_t memory_bytes() const { return opened_for_.capacity() * sizeof(std::uint64_t); }

  // Snapshots (engine/snapshot.cc): the incidents and the open index; the id index is rebuilt
  // from the ids. load() replaces the log and checks both indexes (serial::Error).
  void save(serial::Writer& w) const;
  void load(serial::Reader& r);

 private:
  struct KeyHash {
    std::size_t operator()(const IncidentKey& key) const;
  };
  void close(Incident& incident);
  bool ever_opened_for(Symbol subject) const {
    const std::size_t word = subject >> 6;
    return word < opened_for_.size() && (opened_for_[word] >> (subject & 63) & 1) != 0;
  }
  void mark_opened_for(Symbol subject);

  const Interner& interner_;
  std::vector<Incident> incidents_;
  std::unordered_map<IncidentKey, std::uint32_t, KeyHash> open_;
  // One bit per subject symbol, set when an incident opens for it and never cleared: a clear
  // bit proves no open incident has that subject, so find_open answers without hashing. Most
  // lookups are rules checking whether an order has an incident to clear, and it has none.
  // Not saved: load() sets it again from the open incidents.
  std::vector<std::uint64_t> opened_for_;
  std::unordered_map<std::uint64_t, std::uint32_t> by_id_hash_;  // hash of the id -> index
};

}  // namespace og
