// core/id_set: remembers 64-bit ids (hashes of event ids) for dedupe, with bounded memory.
// Two generations of open-addressing sets: lookups check both; when the current generation
// holds half the bound, the older one is dropped and a new one starts. So the most recent
// `max_ids / 2` ids are always remembered, and at most `max_ids` ever are (16 to 32 bytes
// each). Snapshots write both generations (core/serial). Depends on: core/serial. Not
// thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/serial.h"

namespace og {

class IdSet {
 public:
  explicit IdSet(std::size_t max_ids) : generation_limit_(max_ids / 2 < 1 ? 1 : max_ids / 2) {}

  // True when `id` was not remembered (and now is); false for a duplicate.
  bool insert(std::uint64_t id) {
    id |= 1;  // 0 marks an empty slot: ids are 63-bit hashes
    if (older_.contains(id) || current_.contains(id)) return false;
    if (current_.size() >= generation_limit_) {
      older_ = std::move(current_);
      current_ = Table{};
    }
    current_.add(id);
    return true;
  }

  std::size_t size() const { return older_.size() + current_.size(); }
  std::size_t memory_bytes() const { return older_.memory_bytes() + current_.memory_bytes(); }

  // Snapshots: both generations, each as its ids in increasing order (delta varints), so the
  // bytes do not depend on the table layout. load() replaces what the set holds.
  void save(serial::Writer& w) const {
    older_.save(w);
    current_.save(w);
  }
  void load(serial::Reader& r) {
    older_.load(r);
    current_.load(r);
    r.check(current_.size() <= generation_limit_ && older_.size() <= generation_limit_,
            "more remembered ids than engine.dedupe_max_ids allows");
  }

 private:
  class Table {
   public:
    bool contains(std::uint64_t id) const {
      if (slots_.empty()) return false;
      for (std::size_t index = id & mask(); slots_[index] != 0; index = (index + 1) & mask()) {
        if (slots_[index] == id) return true;
      }
      return false;
    }
    void add(std::uint64_t id) {
      if ((size_ + 1) * 4 > slots_.size() * 3) grow();
      std::size_t index = id & mask();
      while (slots_[index] != 0) index = (index + 1) & mask();
      slots_[index] = id;
      ++size_;
    }
    std::size_t size() const { return size_; }
    std::size_t memory_bytes() const { return slots_.capacity() * sizeof(std::uint64_t); }
    void save(serial::Writer& w) const {
      std::vector<std::uint64_t> ids;
      ids.reserve(size_);
      for (const std::uint64_t id : slots_) {
        if (id != 0) ids.push_back(id);
      }
      std::sort(ids.begin(), ids.end());
      w.varint(ids.size());
      std::uint64_t previous = 0;
      for (const std::uint64_t id : ids) {
        w.varint(id - previous);
        previous = id;
      }
    }
    void load(serial::Reader& r) {
      *this = Table{};
      const std::size_t n = r.count();
      std::uint64_t id = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t delta = r.varint();
        r.check(delta != 0 && delta <= UINT64_MAX - id, "remembered ids out of order");
        id += delta;
        r.check((id & 1) != 0, "a remembered id that was never stored");
        add(id);
      }
    }

   private:
    std::size_t mask() const { return slots_.size() - 1; }
    void grow() {
      std::vector<std::uint64_t> old(slots_.empty() ? 1024 : slots_.size() * 2, 0);
      old.swap(slots_);
      for (const std::uint64_t id : old) {
        if (id == 0) continue;
        std::size_t index = id & mask();
        while (slots_[index] != 0) index = (index + 1) & mask();
        slots_[index] = id;
      }
    }
    std::vector<std::uint64_t> slots_;
    std::size_t size_ = 0;
  };

  std::size_t generation_limit_;
  Table older_;
  Table current_;
};

}  // namespace og
