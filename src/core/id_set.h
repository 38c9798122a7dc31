// core/id_set: remembers 64-bit ids (hashes of event ids) for dedupe, with bounded memory.
// Two generations of sets: lookups check both; when the current generation holds half the
// bound, the older one is dropped and a new one starts. So the most recent `max_ids / 2` ids
// are always remembered, and at most `max_ids` ever are (9 to 12 bytes each in a large table: see Table).
// Snapshots write both generations (core/serial). Depends on: core/serial, core/prefetch.
// Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/prefetch.h"
#include "core/serial.h"

namespace og {

class IdSet {
 public:
  explicit IdSet(std::size_t max_ids) : generation_limit_(max_ids / 2 < 1 ? 1 : max_ids / 2) {}

  // True when `id` was not remembered (and now is); false for a duplicate.
  bool insert(std::uint64_t id) {
    id |= 1;  // 0 marks an empty slot: ids are 63-bit hashes
    if (older_.contains(id)) return false;
    if (current_.size() >= generation_limit_) {
      if (current_.contains(id)) return false;
      older_ = std::move(current_);
      current_ = Table{};
    }
    return current_.add(id);
  }

  // A memory hint for an insert(id) a little later: the home slot of both generations, so
  // that the two probes' cache misses overlap (and overlap other work). Changes nothing.
  void prefetch(std::uint64_t id) const {
    id |= 1;
    older_.prefetch(id);
    current_.prefetch(id);
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
  // An ordered linear-probing table (Amble and Knuth): an id's home slot is its position
  // scaled to the capacity (ids are uniform hashes), so home order is id order, and each run
  // of occupied slots is kept sorted by shifting it on insert. A lookup stops at the first
  // larger id, so a miss (the usual case for dedupe) costs what a hit costs in plain linear
  // probing; that lets the table run at 70-87.5% load instead of 37-75% with doubling.
  // Runs never wrap: a tail past the last home slot takes the overflow, and its last slot is
  // always empty, so every scan ends. The whole table is in increasing id order, which is also
  // the snapshot's order.
  class Table {
   public:
    bool contains(std::uint64_t id) const {
      if (size_ == 0) return false;
      std::size_t index = home(id);
      while (slots_[index] != 0 && slots_[index] < id) ++index;
      return slots_[index] == id;
    }
    void prefetch(std::uint64_t id) const {
      // An empty table (no data, no capacity) gives address 0: a prefetch never faults.
      og::prefetch(slots_.data() + home(id));
    }
    // False when the id was there already.
    bool add(std::uint64_t id) {
      if (size_ + 1 > limit_) grow(size_ + 1);
      for (;;) {
        const int placed = place(id);
        if (placed == 0) return false;
        if (placed == 1) break;
        grow(step(capacity_));
      }
      ++size_;
      return true;
    }
    std::size_t size() const { return size_; }
    std::size_t memory_bytes() const { return slots_.capacity() * sizeof(std::uint64_t); }
    void save(serial::Writer& w) const {
      w.varint(size_);
      std::uint64_t previous = 0;
      for (const std::uint64_t id : slots_) {
        if (id == 0) continue;
        w.varint(id - previous);
        previous = id;
      }
    }
    void load(serial::Reader& r) {
      *this = Table{};
      const std::size_t n = r.count();
      // Sized for all of them first: in increasing order into a smaller table, the ids would
      // pile up in one run at its start.
      if (n > 0) grow(n);
      std::uint64_t id = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t delta = r.varint();
        r.check(delta != 0 && delta <= UINT64_MAX - id, "remembered ids out of order");
        id += delta;
        r.check((id & 1) != 0, "a remembered id that was never stored");
        add(id);  // in increasing order: never already there
      }
    }

   private:
    static constexpr std::size_t kTail = 256;  // slots past the last home slot
    // Small tables double (rehashing them often costs more than their memory is worth);
    // from 8 MiB on, a table grows by a quarter.
    static std::size_t step(std::size_t capacity) {
      return capacity < (std::size_t{1} << 20) ? 2 * capacity : capacity + capacity / 4;
    }
    std::size_t home(std::uint64_t id) const {
      __extension__ using Wide = unsigned __int128;  // the high half of a 64x64 product
      return static_cast<std::size_t>((static_cast<Wide>(id) * capacity_) >> 64);
    }
    // 1: placed; 0: already there; -1: the run would go past the tail (not placed).
    int place(std::uint64_t id) {
      std::uint64_t* const slots = slots_.data();
      std::size_t index = home(id);
      while (slots[index] != 0 && slots[index] < id) ++index;
      if (slots[index] == id) return 0;
      std::size_t empty = index;
      while (slots[empty] != 0) ++empty;
      if (empty + 1 == slots_.size()) return -1;  // the last slot stays empty: it ends every scan
      // Most ids land on an empty slot: no call to shift nothing.
      if (empty != index) std::memmove(slots + index + 1, slots + index, (empty - index) * sizeof(std::uint64_t));
      slots[index] = id;
      return 1;
    }
    // To at least `at_least` ids at 70% load, one step() at a time; the old table
    // is in id order, so each id goes to its home or just past the previous one.
    void grow(std::size_t at_least) {
      std::size_t capacity = std::max<std::size_t>({1024, step(capacity_), at_least / 7 * 10});
      for (;;) {
        std::vector<std::uint64_t> fresh(capacity + kTail, 0);
        const std::size_t saved_capacity = capacity_;
        capacity_ = capacity;
        std::size_t next = 0;  // the first slot still free
        bool fits = true;
        for (const std::uint64_t id : slots_) {
          if (id == 0) continue;
          const std::size_t index = std::max(home(id), next);
          if (index + 1 >= fresh.size()) {
            fits = false;
            break;
          }
          fresh[index] = id;
          next = index + 1;
        }
        if (fits) {
          slots_.swap(fresh);
          limit_ = capacity_ / 8 * 7;
          return;
        }
        capacity_ = saved_capacity;
        capacity = step(capacity);
      }
    }
    std::vector<std::uint64_t> slots_;
    std::size_t capacity_ = 0;  // home slots; slots_ holds kTail more
    std::size_t limit_ = 0;     // the most ids before a grow: 7/8 of capacity_ (0: grow first)
    std::size_t size_ = 0;
  };

  std::size_t generation_limit_;
  Table older_;
  Table current_;
};

}  // namespace og
