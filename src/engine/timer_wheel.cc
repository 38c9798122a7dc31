#include "engine/timer_wheel.h"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <vector>

#include "core/serial.h"

// Layout. Six levels of 64 slots; a level-L slot spans 64^L ms, so the levels together reach
// 2^36 ms (~795 days) past the cursor. A timer sits at the level of the highest 6-bit digit in
// which its deadline differs from the cursor, so every timer at level L >= 1 shares the digits
// above L with the cursor and has a larger digit at L. That makes the lowest occupied slot of
// the lowest occupied level the earliest one, and it is found with one countr_zero per level.
// Deadlines in a later 2^36-aligned block than the cursor wait in an overflow list, re-sorted
// into the levels only when the cursor reaches the block of the earliest of them.
//
// Deadlines below the cursor (scheduled late, or by a callback for a time already passed) go to
// a small min-heap instead; they are all earlier than anything in the wheel, so they fire first.
//
// Between calls the cursor sits at the previous call's bound, so only deadlines below it are
// "late"; a timer for exactly now_ms() still goes into the wheel.
//
// Where the header leaves room, this implementation settles (the tests pin each point):
// - A call fires exactly the deadlines below its bound, overdue ones included: a timer for
//   exactly now() waits for a call whose bound passes it. The engine depends on this: an
//   event stamped exactly on a deadline is applied before that deadline fires.
// - During a callback now_ms() is the latest deadline fired so far (never less than the time at
//   the call's start), so callbacks can schedule relative to the moment they represent.
// - A callback's own expire_before() is ignored (neither fires nor moves time): the outer
//   call is mid-flight, and it fires everything due by its own bound anyway.
// - A deadline of INT64_MAX never fires: time cannot pass it.

namespace og {
namespace {

constexpr int kSlotBits = 6;
constexpr int kLevels = 6;
constexpr int kWheelBits = kSlotBits * kLevels;
constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
constexpr std::uint16_t kSlotsPerLevel = 1U << kSlotBits;
constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();

// A node's whereabouts; values below kWheelSlots are wheel slots (level * 64 + slot).
constexpr std::uint16_t kWheelSlots = kLevels * kSlotsPerLevel;
constexpr std::uint16_t kInOverflow = kWheelSlots;
constexpr std::uint16_t kInBatch = kWheelSlots + 1;
constexpr std::uint16_t kInLateHeap = kWheelSlots + 2;
constexpr std::uint16_t kFree = kWheelSlots + 3;

// Bit manipulation is done on the two's-complement pattern, so floors and digits work alike
// for negative times.
std::uint64_t pattern(std::int64_t ms) { return static_cast<std::uint64_t>(ms); }

std::int64_t slot_start(std::int64_t cursor, int level, unsigned slot) {
  const int shift = level * kSlotBits;
  const std::uint64_t below_level_above = (std::uint64_t{1} << (shift + kSlotBits)) - 1;
  return static_cast<std::int64_t>((pattern(cursor) & ~below_level_above) |
                                   (std::uint64_t{slot} << shift));
}

bool same_block(std::int64_t a, std::int64_t b) { return ((pattern(a) ^ pattern(b)) >> kWheelBits) == 0; }

}  // namespace

struct TimerWheel::Impl {
  struct Node {
    std::int64_t deadline = 0;
    std::uint64_t payload = 0;
    std::uint64_t seq = 0;
    std::uint32_t prev = kNil;
    std::uint32_t next = kNil;  // also links the free list
    std::uint32_t generation = 1;
    std::uint16_t where = kFree;
  };

  // A timer waiting in the batch or the late heap. Neither is unlinked on cancel: the cancel
  // bumps the node's generation, which marks the entry stale, and the firing loop skips it.
  struct Due {
    std::int64_t deadline;
    std::uint64_t seq;
    std::uint32_t index;
    std::uint32_t generation;
  };

  // The greater-than makes std::push_heap & co. build a min-heap.
  static bool later(const Due& a, const Due& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
  }

  explicit Impl(std::int64_t start_ms) : now(start_ms), cursor(start_ms) { heads.fill(kNil); }

  std::vector<Node> nodes;
  std::uint32_t free_head = kNil;
  std::array<std::uint32_t, kWheelSlots + 1> heads{};  // the last one heads the overflow list
  std::array<std::uint64_t, kLevels> occupied{};
  std::vector<Due> batch;  // one level-0 slot, in schedule order
  std::size_t batch_next = 0;
  std::vector<Due> late_heap;
  std::int64_t now;
  std::int64_t cursor;  // every timer in the wheel or overflow has deadline >= cursor
  std::uint64_t next_seq = 1;
  std::size_t live = 0;
  std::int64_t overflow_min = 0;
  bool overflow_min_known = false;  // cancelling the minimum defers the rescan to when it matters
  bool expiring = false;

  bool current(TimerId id) const {
    return id.valid() && id.index < nodes.size() && nodes[id.index].generation == id.generation &&
           nodes[id.index].where != kFree;
  }

  std::uint32_t allocate() {
    if (free_head != kNil) {
      const std::uint32_t index = free_head;
      free_head = nodes[index].next;
      return index;
    }
    if (nodes.size() >= kNil) return kNil;
    nodes.emplace_back();
    return static_cast<std::uint32_t>(nodes.size() - 1);
  }

  void release(std::uint32_t index) {
    Node& node = nodes[index];
    // Skipping 0 keeps TimerId{} invalid forever, even after 2^32 reuses of one node.
    node.generation = node.generation == std::numeric_limits<std::uint32_t>::max() ? 1 : node.generation + 1;
    node.where = kFree;
    node.prev = kNil;
    node.next = free_head;
    free_head = index;
    --live;
  }

  void link(std::uint16_t list, std::uint32_t index) {
    Node& node = nodes[index];
    node.where = list;
    node.prev = kNil;
    node.next = heads[list];
    if (node.next != kNil) nodes[node.next].prev = index;
    heads[list] = index;
  }

  void unlink(std::uint32_t index) {
    const Node& node = nodes[index];
    if (node.prev != kNil) {
      nodes[node.prev].next = node.next;
    } else {
      heads[node.where] = node.next;
    }
    if (node.next != kNil) nodes[node.next].prev = node.prev;
    if (node.where < kWheelSlots && heads[node.where] == kNil) {
      occupied[node.where / kSlotsPerLevel] &= ~(std::uint64_t{1} << (node.where % kSlotsPerLevel));
    }
  }

  void place(std::uint32_t index) {
    Node& node = nodes[index];
    if (node.deadline < cursor) {
      node.where = kInLateHeap;
      late_heap.push_back({node.deadline, node.seq, index, node.generation});
      std::push_heap(late_heap.begin(), late_heap.end(), later);
      return;
    }
    const std::uint64_t differing = pattern(node.deadline) ^ pattern(cursor);
    if ((differing >> kWheelBits) != 0) {
      if (heads[kInOverflow] == kNil) {
        overflow_min = node.deadline;
        overflow_min_known = true;
      } else if (overflow_min_known) {
        overflow_min = std::min(overflow_min, node.deadline);
      }
      link(kInOverflow, index);
      return;
    }
    const int level = differing == 0 ? 0 : (static_cast<int>(std::bit_width(differing)) - 1) / kSlotBits;
    const auto slot = static_cast<unsigned>((pattern(node.deadline) >> (level * kSlotBits)) & kSlotMask);
    link(static_cast<std::uint16_t>(level * kSlotsPerLevel + slot), index);
    occupied[level] |= std::uint64_t{1} << slot;
  }

  // Detaches a whole list and hands each node to `visit`; `visit` may relink the node anywhere.
  template <typename Visit>
  void drain(std::uint16_t list, Visit visit) {
    std::uint32_t index = heads[list];
    heads[list] = kNil;
    if (list < kWheelSlots) occupied[list / kSlotsPerLevel] &= ~(std::uint64_t{1} << (list % kSlotsPerLevel));
    while (index != kNil) {
      const std::uint32_t next = nodes[index].next;
      visit(index);
      index = next;
    }
  }

  void rehome_overflow() {
    overflow_min_known = false;
    drain(kInOverflow, [this](std::uint32_t index) { place(index); });
  }

  std::int64_t overflow_minimum() {
    if (!overflow_min_known) {
      overflow_min = std::numeric_limits<std::int64_t>::max();
      for (std::uint32_t index = heads[kInOverflow]; index != kNil; index = nodes[index].next) {
        overflow_min = std::min(overflow_min, nodes[index].deadline);
      }
      overflow_min_known = true;
    }
    return overflow_min;
  }

  void take_batch(unsigned slot) {
    batch.clear();
    batch_next = 0;
    drain(static_cast<std::uint16_t>(slot), [this](std::uint32_t index) {
      Node& node = nodes[index];
      node.where = kInBatch;
      batch.push_back({node.deadline, node.seq, index, node.generation});
    });
    // Cascades append timers to a slot in cascade order, not schedule order.
    std::sort(batch.begin(), batch.end(), [](const Due& a, const Due& b) { return a.seq < b.seq; });
  }

  // Moves the cursor to the next thing due before `bound`: a level-0 slot becomes the batch, a
  // higher slot is cascaded down, or the overflow is re-sorted. False when nothing is due.
  bool advance(std::int64_t bound) {
    for (int level = 0; level < kLevels; ++level) {
      if (occupied[level] == 0) continue;
      const auto slot = static_cast<unsigned>(std::countr_zero(occupied[level]));
      const std::int64_t start = slot_start(cursor, level, slot);
      if (level == 0) {
        if (start >= bound) return false;
        cursor = start;
        take_batch(slot);
        return true;
      }
      // A slot starting exactly at the bound is cascaded anyway: parking the cursor on its
      // start would break the rule that level L >= 1 holds only digits above the cursor's.
      if (start > bound) return false;
      cursor = start;
      const auto list = static_cast<std::uint16_t>(level * kSlotsPerLevel + slot);
      drain(list, [this](std::uint32_t index) { place(index); });
      return true;
    }
    if (heads[kInOverflow] == kNil) return false;
    const std::int64_t earliest = overflow_minimum();
    if (earliest >= bound) return false;
    cursor = earliest;
    rehome_overflow();
    return true;
  }

  // Parks the cursor on the bound so that timers scheduled for now() between calls land in the
  // wheel rather than the late heap. Safe: everything left is due at or after the bound, and
  // the cursor can only leave its block when the levels are empty.
  void park_cursor(std::int64_t bound) {
    cursor = bound;
    // Re-sorting only once the earliest overflow timer's block is reached spares far-future
    // timers a pointless pass at every block the cursor crosses. advance() has just computed
    // the minimum whenever the levels are empty, so this does not rescan.
    const bool levels_empty =
        std::all_of(occupied.begin(), occupied.end(), [](std::uint64_t bits) { return bits == 0; });
    if (levels_empty && heads[kInOverflow] != kNil && same_block(overflow_minimum(), cursor)) {
      rehome_overflow();
    }
  }

  void fire_one(const Due& due, const TimerWheel::Fire& fire) {
    const std::uint64_t payload = nodes[due.index].payload;
    // Released first: the callback sees the timer gone and may reuse its node.
    release(due.index);
    now = std::max(now, due.deadline);
    fire(due.deadline, payload);
  }

  bool fire_next_late(std::int64_t bound, const TimerWheel::Fire& fire) {
    while (!late_heap.empty()) {
      const Due earliest = late_heap.front();
      const bool cancelled = nodes[earliest.index].generation != earliest.generation;
      if (!cancelled && earliest.deadline >= bound) return false;
      std::pop_heap(late_heap.begin(), late_heap.end(), later);
      late_heap.pop_back();
      if (cancelled) continue;
      fire_one(earliest, fire);
      return true;
    }
    return false;
  }

  bool fire_next_batched(const TimerWheel::Fire& fire) {
    while (batch_next < batch.size()) {
      const Due due = batch[batch_next++];
      if (nodes[due.index].generation != due.generation) continue;  // cancelled
      fire_one(due, fire);
      return true;
    }
    return false;
  }

  void expire_before(std::int64_t until_ms, const TimerWheel::Fire& fire) {
    // A nested call would find the batch and cursor mid-flight.
    if (expiring) return;
    expiring = true;
    struct ClearFlag {
      bool& flag;
      ~ClearFlag() { flag = false; }
    } clear_flag{expiring};

    const std::int64_t bound = until_ms;
    // The late heap is checked before each firing: a callback may schedule a timer earlier
    // than the rest of the current batch.
    while (fire_next_late(bound, fire) || fire_next_batched(fire) || advance(bound)) {
    }
    if (bound > cursor) park_cursor(bound);  // the cursor never moves back
    now = std::max(now, until_ms);
  }
};

TimerWheel::TimerWheel(std::int64_t start_ms) : impl_(std::make_unique<Impl>(start_ms)) {}

TimerWheel::~TimerWheel() = default;

TimerId TimerWheel::schedule(std::int64_t deadline_ms, std::uint64_t payload) {
  const std::uint32_t index = impl_->allocate();
  if (index == kNil) return TimerId{};  // 2^32 - 1 live timers: the index space is spent
  Impl::Node& node = impl_->nodes[index];
  node.deadline = deadline_ms;
  node.payload = payload;
  node.seq = impl_->next_seq++;
  ++impl_->live;
  impl_->place(index);
  return TimerId{index, node.generation};
}

void TimerWheel::cancel(TimerId id) {
  if (!impl_->current(id)) return;
  const std::uint16_t where = impl_->nodes[id.index].where;
  if (where < kWheelSlots || where == kInOverflow) {
    if (where == kInOverflow && impl_->nodes[id.index].deadline == impl_->overflow_min) {
      impl_->overflow_min_known = false;
    }
    impl_->unlink(id.index);
  }
  // Batch and late-heap entries go stale through the generation bump in release().
  impl_->release(id.index);
}

bool TimerWheel::is_live(TimerId id) const { return impl_->current(id); }

// ---- snapshots

namespace {

// kNil as 0, index i as i + 1: one byte for the empty lists that dominate.
void put_link(serial::Writer& w, std::uint32_t link) { w.varint(link == kNil ? 0 : std::uint64_t{link} + 1); }
std::uint32_t get_link(serial::Reader& r, std::size_t node_count) {
  const std::uint64_t value = r.varint();
  if (value == 0) return kNil;
  r.check(value - 1 < node_count, "a timer link past the last node");
  return static_cast<std::uint32_t>(value - 1);
}

}  // namespace

void TimerWheel::save(serial::Writer& w) const {
  const Impl& m = *impl_;
  w.varint(m.nodes.size());
  for (const Impl::Node& node : m.nodes) {
    w.varint(node.where);
    w.varint(node.generation);
    if (node.where != kFree) {
      w.signed_varint(node.deadline);
      w.varint(node.payload);
      w.varint(node.seq);
      put_link(w, node.prev);
    }
    put_link(w, node.next);
  }
  put_link(w, m.free_head);
  for (const std::uint32_t head : m.heads) put_link(w, head);
  for (const std::uint64_t bits : m.occupied) w.varint(bits);
  const auto put_due = [&w](const Impl::Due& due) {
    w.signed_varint(due.deadline);
    w.varint(due.seq);
    w.varint(due.index);
    w.varint(due.generation);
  };
  w.varint(m.batch.size() - m.batch_next);  // what is left of the batch: the fired part is gone
  for (std::size_t i = m.batch_next; i < m.batch.size(); ++i) put_due(m.batch[i]);
  w.varint(m.late_heap.size());
  for (const Impl::Due& due : m.late_heap) put_due(due);
  w.signed_varint(m.now);
  w.signed_varint(m.cursor);
  w.varint(m.next_seq);
  w.varint(m.live);
  w.signed_varint(m.overflow_min);
  w.varint(m.overflow_min_known ? 1 : 0);
}

void TimerWheel::load(serial::Reader& r) {
  auto fresh = std::make_unique<Impl>(0);
  Impl& m = *fresh;
  const std::size_t count = r.count();
  r.check(count < kNil, "too many timers");
  m.nodes.resize(count);
  for (Impl::Node& node : m.nodes) {
    const std::uint64_t where = r.varint();
    r.check(where <= kFree, "a timer in no known place");
    node.where = static_cast<std::uint16_t>(where);
    const std::uint64_t generation = r.varint();
    r.check(generation != 0 && generation <= UINT32_MAX, "a timer generation out of range");
    node.generation = static_cast<std::uint32_t>(generation);
    if (node.where != kFree) {
      node.deadline = r.signed_varint();
      node.payload = r.varint();
      node.seq = r.varint();
      node.prev = get_link(r, count);
    }
    node.next = get_link(r, count);
  }
  m.free_head = get_link(r, count);
  for (std::uint32_t& head : m.heads) head = get_link(r, count);
  for (std::uint64_t& bits : m.occupied) bits = r.varint();
  const auto get_due = [&r, count]() {
    Impl::Due due{};
    due.deadline = r.signed_varint();
    due.seq = r.varint();
    const std::uint64_t index = r.varint();
    r.check(index < count, "a due timer past the last node");
    due.index = static_cast<std::uint32_t>(index);
    const std::uint64_t generation = r.varint();
    r.check(generation <= UINT32_MAX, "a timer generation out of range");
    due.generation = static_cast<std::uint32_t>(generation);
    return due;
  };
  m.batch.resize(r.count());
  for (Impl::Due& due : m.batch) due = get_due();
  m.late_heap.resize(r.count());
  for (Impl::Due& due : m.late_heap) due = get_due();
  m.now = r.signed_varint();
  m.cursor = r.signed_varint();
  m.next_seq = r.varint();
  m.live = r.varint();
  m.overflow_min = r.signed_varint();
  const std::uint64_t known = r.varint();
  r.check(known <= 1, "a flag that is neither 0 nor 1");
  m.overflow_min_known = known == 1;

  // The structure: every node is in exactly one place, and each place agrees with it.
  std::vector<std::uint8_t> seen(count, 0);
  std::size_t live = 0;
  std::uint64_t max_seq = 0;
  std::int64_t overflow_min = std::numeric_limits<std::int64_t>::max();
  for (std::uint16_t list = 0; list <= kInOverflow; ++list) {
    std::uint32_t previous = kNil;
    for (std::uint32_t index = m.heads[list]; index != kNil; index = m.nodes[index].next) {
      const Impl::Node& node = m.nodes[index];
      r.check(seen[index] == 0 && node.where == list && node.prev == previous, "a broken timer list");
      seen[index] = 1;
      previous = index;
      ++live;
      max_seq = std::max(max_seq, node.seq);
      r.check(node.deadline >= m.cursor, "a waiting timer behind the wheel's cursor");
      const std::uint64_t differing = pattern(node.deadline) ^ pattern(m.cursor);
      if (list == kInOverflow) {
        r.check((differing >> kWheelBits) != 0, "a timer in the overflow that belongs in the wheel");
        overflow_min = std::min(overflow_min, node.deadline);
      } else {
        const int level = differing == 0 ? 0 : (static_cast<int>(std::bit_width(differing)) - 1) / kSlotBits;
        const auto slot = static_cast<unsigned>((pattern(node.deadline) >> (level * kSlotBits)) & kSlotMask);
        r.check((differing >> kWheelBits) == 0 && list == level * kSlotsPerLevel + slot, "a timer in the wrong slot");
      }
    }
    if (list < kWheelSlots) {
      const bool occupied = (m.occupied[list / kSlotsPerLevel] >> (list % kSlotsPerLevel)) & 1u;
      r.check(occupied == (m.heads[list] != kNil), "a timer slot bitmap that disagrees with its list");
    }
  }
  r.check(!m.overflow_min_known || m.heads[kInOverflow] == kNil || m.overflow_min == overflow_min,
          "a wrong earliest overflow deadline");
  for (std::uint32_t index = m.free_head; index != kNil; index = m.nodes[index].next) {
    r.check(seen[index] == 0 && m.nodes[index].where == kFree, "a broken free list");
    seen[index] = 1;
  }
  const auto check_due = [&](const Impl::Due& due, std::uint16_t where) {
    const Impl::Node& node = m.nodes[due.index];
    if (node.generation != due.generation) return;  // cancelled: skipped when it comes up
    r.check(seen[due.index] == 0 && node.where == where && node.deadline == due.deadline && node.seq == due.seq,
            "a due timer that disagrees with its node");
    seen[due.index] = 1;
    ++live;
    max_seq = std::max(max_seq, node.seq);
  };
  for (const Impl::Due& due : m.batch) check_due(due, kInBatch);
  for (const Impl::Due& due : m.late_heap) check_due(due, kInLateHeap);
  r.check(std::is_heap(m.late_heap.begin(), m.late_heap.end(), Impl::later), "a late-timer heap out of order");
  for (std::size_t index = 0; index < count; ++index) r.check(seen[index] != 0, "a timer in no list");
  r.check(live == m.live, "a live-timer count that disagrees with the lists");
  r.check(max_seq < m.next_seq, "a timer sequence number from the future");
  impl_ = std::move(fresh);
}

void TimerWheel::for_each_live(const std::function<void(std::int64_t, std::uint64_t)>& visit) const {
  for (const Impl::Node& node : impl_->nodes) {
    if (node.where != kFree) visit(node.deadline, node.payload);
  }
}

void TimerWheel::expire_before(std::int64_t until_ms, const Fire& fire) {
  impl_->expire_before(until_ms, fire);
}

std::int64_t TimerWheel::now_ms() const { return impl_->now; }

std::size_t TimerWheel::size() const { return impl_->live; }

std::size_t TimerWheel::memory_bytes() const {
  return sizeof(Impl) + impl_->nodes.capacity() * sizeof(Impl::Node) +
         (impl_->batch.capacity() + impl_->late_heap.capacity()) * sizeof(Impl::Due);
}

}  // namespace og
