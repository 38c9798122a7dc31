// core/id_set: remembers 64-bit ids (hashes of event ids) for dedupe, with bounded memory.
// Two generations of open-addressing sets: lookups check both; when the current generation
// holds half the bound, the older one is dropped and a new one starts. So the most recent
// `max_ids / 2` ids are always remembered, and at most `max_ids` ever are (16 to 32 bytes
// each). Depends on: nothing. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

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
