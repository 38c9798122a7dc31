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
// A node's `prev` is the node before it in its list or, with this bit set, where the node is
// (the list it heads, the batch, the late heap, the free list): node indexes stay below it.
constexpr std::uint32_t kTag = std::uint32_t{1} << 31;
constexpr std::uint32_t kMaxNodes = kTag - 1;

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

// By the bit width of (deadline ^ cursor), for a deadline in the cursor's block: its level,
// that of its highest digit that differs from the cursor's (0 when none does).
constexpr std::array<std::uint8_t, kWheelBits + 1> kLevelOf = [] {
  std::array<std::uint8_t, kWheelBits + 1> levels{};
  for (int width = 1; width <= kWheelBits; ++width) levels[width] = static_cast<std::uint8_t>((width - 1) / kSlotBits);
  return levels;
}();

// By the bit width of (deadline ^ cursor): the widest change to that deadline that keeps it in
// its list. A timer in the wheel sits at the level of its highest digit that differs from the
// cursor's, so a change confined to the digits below that level (6 bits each) keeps its level
// and slot; at level 0 only no change does. Past the block (the overflow): -1, none.
constexpr std::array<int, 65> kStayWidth = [] {
  std::array<int, 65> widths{};
  for (int width = 0; width <= 64; ++width) {
    widths[width] = width > kWheelBits ? -1 : width == 0 ? 0 : (width - 1) / kSlotBits * kSlotBits;
  }
  return widths;
}();

}  // namespace

struct TimerWheel::Impl {
  // 32 bytes: a million open orders hold about two million of these. Where a node is
  // (`where` in snapshots) is kept only for a node at a list's head (tagged in `prev`); any
  // other listed node is in the overflow exactly when its deadline is outside the cursor's
  // block, and in a wheel slot otherwise, which is all cancel() needs to know.
  struct Node {
    std::int64_t deadline = 0;
    std::uint64_t payload = 0;
    std::uint32_t seq = 0;  // schedule order among the live timers (renumbered, see renumber())
    std::uint32_t prev = kTag | kFree;
    std::uint32_t next = kNil;  // also links the free list
    std::uint32_t generation = 1;
  };
  static_assert(sizeof(Node) == 32);

  static bool tagged(std::uint32_t prev) { return (prev & kTag) != 0; }
  static std::uint16_t tag_of(std::uint32_t prev) { return static_cast<std::uint16_t>(prev & ~kTag); }
  static bool listed(std::uint32_t prev) { return !tagged(prev) || tag_of(prev) <= kInOverflow; }

  // A timer waiting in the batch or the late heap. Neither is unlinked on cancel: the cancel
  // bumps the node's generation, which marks the entry stale, and the firing loop skips it.
  struct Due {
    std::int64_t deadline;
    std::uint32_t seq;
    std::uint32_t index;
    std::uint32_t generation;
  };

  // The greater-than makes std::push_heap & co. build a min-heap.
  static bool later(const Due& a, const Due& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
  }

  Impl(std::int64_t start_ms, std::uint32_t seq_limit_in) : now(start_ms), cursor(start_ms), seq_limit(seq_limit_in) {
    heads.fill(kNil);
  }

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
  std::uint32_t seq_limit;  // next_seq reaching it renumbers the live timers
  std::size_t live = 0;
  std::int64_t overflow_min = 0;
  bool overflow_min_known = false;  // cancelling the minimum defers the rescan to when it matters
  // No wheel slot holding a timer starts before it, and no overflow timer is due before it
  // (place() lowers it; a call that ends recomputes it): a call whose bound is below it, with
  // the late heap and the batch empty, has nothing to fire or cascade. Most calls are such:
  // the engine expires before every event, and few of its timers ever fire.
  std::int64_t horizon = std::numeric_limits<std::int64_t>::min();
  bool expiring = false;

  bool current(TimerId id) const {
    return id.valid() && id.index < nodes.size() && nodes[id.index].generation == id.generation &&
           nodes[id.index].prev != (kTag | kFree);
  }

  std::uint32_t allocate() {
    if (free_head != kNil) {
      const std::uint32_t index = free_head;
      free_head = nodes[index].next;
      return index;
    }
    if (nodes.size() >= kMaxNodes) return kNil;
    // Growth by an eighth rather than doubling: the nodes are most of the wheel's memory, and
    // a vector that has just doubled holds twice what it uses.
    if (nodes.size() == nodes.capacity()) nodes.reserve(nodes.size() + std::max<std::size_t>(nodes.size() / 8, 1024));
    nodes.emplace_back();
    return static_cast<std::uint32_t>(nodes.size() - 1);
  }

  void release(std::uint32_t index) {
    Node& node = nodes[index];
    // Skipping 0 keeps TimerId{} invalid forever, even after 2^32 reuses of one node.
    node.generation = node.generation == std::numeric_limits<std::uint32_t>::max() ? 1 : node.generation + 1;
    node.prev = kTag | kFree;
    node.next = free_head;
    free_head = index;
    --live;
  }

  void link(std::uint16_t list, std::uint32_t index) {
    Node& node = nodes[index];
    node.prev = kTag | list;
    node.next = heads[list];
    if (node.next != kNil) nodes[node.next].prev = index;
    heads[list] = index;
  }

  // The node must be in a list; a new head inherits its tag.
  void unlink(std::uint32_t index) {
    const Node& node = nodes[index];
    if (node.next != kNil) nodes[node.next].prev = node.prev;
    if (!tagged(node.prev)) {
      nodes[node.prev].next = node.next;
      return;
    }
    const std::uint16_t list = tag_of(node.prev);
    heads[list] = node.next;
    if (list < kWheelSlots && node.next == kNil) {
      occupied[list / kSlotsPerLevel] &= ~(std::uint64_t{1} << (list % kSlotsPerLevel));
    }
  }

  // Gives the live timers the sequence numbers 1, 2, ... in the order of `key` (their current
  // numbers, or a snapshot's wider ones), so 32 bits last however many timers come and go:
  // only the order among live timers is ever compared. Stale batch and heap entries go.
  void renumber(const std::vector<std::uint64_t>& key) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> live_order;
    live_order.reserve(live);
    for (std::uint32_t index = 0; index < nodes.size(); ++index) {
      if (nodes[index].prev != (kTag | kFree)) live_order.emplace_back(key[index], index);
    }
    std::sort(live_order.begin(), live_order.end());
    for (std::size_t rank = 0; rank < live_order.size(); ++rank) {
      nodes[live_order[rank].second].seq = static_cast<std::uint32_t>(rank + 1);
    }
    next_seq = live_order.size() + 1;
    const auto stale = [this](const Due& due) { return nodes[due.index].generation != due.generation; };
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(batch_next));
    batch_next = 0;
    std::erase_if(batch, stale);
    std::erase_if(late_heap, stale);
    for (Due& due : batch) due.seq = nodes[due.index].seq;
    for (Due& due : late_heap) due.seq = nodes[due.index].seq;
    std::make_heap(late_heap.begin(), late_heap.end(), later);
  }

  std::uint32_t take_seq() {
    if (next_seq >= seq_limit) {
      std::vector<std::uint64_t> key(nodes.size());
      for (std::size_t index = 0; index < nodes.size(); ++index) key[index] = nodes[index].seq;
      renumber(key);
    }
    return static_cast<std::uint32_t>(next_seq++);
  }

  // Inline for the usual timer, one in the cursor's block; the late heap and the overflow are
  // out of line, so the wheel's path saves few registers (place runs at nearly every event).
  void place(std::uint32_t index) {
    Node& node = nodes[index];
    const std::uint64_t differing = pattern(node.deadline) ^ pattern(cursor);
    if (node.deadline < cursor || (differing >> kWheelBits) != 0) [[unlikely]] return place_off_wheel(index);
    const int level = kLevelOf[std::bit_width(differing)];
    const auto slot = static_cast<unsigned>((pattern(node.deadline) >> (level * kSlotBits)) & kSlotMask);
    link(static_cast<std::uint16_t>(level * kSlotsPerLevel + slot), index);
    occupied[level] |= std::uint64_t{1} << slot;
    horizon = std::min(horizon, slot_start(cursor, level, slot));
  }

  [[gnu::noinline]] void place_off_wheel(std::uint32_t index) {
    Node& node = nodes[index];
    if (node.deadline < cursor) {
      node.prev = kTag | kInLateHeap;
      late_heap.push_back({node.deadline, node.seq, index, node.generation});
      std::push_heap(late_heap.begin(), late_heap.end(), later);
      return;
    }
    if (heads[kInOverflow] == kNil) {
      overflow_min = node.deadline;
      overflow_min_known = true;
    } else if (overflow_min_known) {
      overflow_min = std::min(overflow_min, node.deadline);
    }
    link(kInOverflow, index);
    horizon = std::min(horizon, node.deadline);
  }

  // The start of the earliest occupied slot (the lowest one of the lowest level: see the
  // layout), else the start of the block after the cursor's, where the overflow begins.
  std::int64_t next_start() const {
    for (int level = 0; level < kLevels; ++level) {
      if (occupied[level] != 0) return slot_start(cursor, level, static_cast<unsigned>(std::countr_zero(occupied[level])));
    }
    if (heads[kInOverflow] == kNil) return std::numeric_limits<std::int64_t>::max();
    const std::uint64_t next_block = (pattern(cursor) | ((std::uint64_t{1} << kWheelBits) - 1)) + 1;
    return next_block == std::uint64_t{1} << 63 ? std::numeric_limits<std::int64_t>::min() : static_cast<std::int64_t>(next_block);
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
      node.prev = kTag | kInBatch;
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
    if (heads[kInOverflow] != kNil) park_overflow();  // the usual case (none) stays inline
  }
  // Re-sorting only once the earliest overflow timer's block is reached spares far-future
  // timers a pointless pass at every block the cursor crosses. advance() has just computed
  // the minimum whenever the levels are empty, so this does not rescan.
  [[gnu::noinline]] void park_overflow() {
    const bool levels_empty =
        std::all_of(occupied.begin(), occupied.end(), [](std::uint64_t bits) { return bits == 0; });
    if (levels_empty && same_block(overflow_minimum(), cursor)) {
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

  // Inline in TimerWheel::expire_before: the engine calls it twice an event, and nearly every
  // call has nothing to fire; the rest of the work is out of line (expire_due), so this part
  // saves no registers.
  [[gnu::always_inline]] void expire_before(std::int64_t until_ms, const TimerWheel::Fire& fire) {
    const std::int64_t bound = until_ms;
    // A nested call (expiring) would find the batch and cursor mid-flight: expire_due ignores it.
    if (bound < horizon && !expiring && late_heap.empty() && batch_next == batch.size()) [[likely]] {
      if (bound > cursor) park_cursor(bound);  // may re-sort the overflow: fires nothing
      now = std::max(now, until_ms);
      return;
    }
    expire_due(until_ms, fire);
  }

  [[gnu::noinline]] void expire_due(std::int64_t until_ms, const TimerWheel::Fire& fire) {
    if (expiring) return;
    const std::int64_t bound = until_ms;
    expiring = true;
    struct ClearFlag {
      bool& flag;
      ~ClearFlag() { flag = false; }
    } clear_flag{expiring};

    // The late heap is checked before each firing: a callback may schedule a timer earlier
    // than the rest of the current batch.
    while (fire_next_late(bound, fire) || fire_next_batched(fire) || advance(bound)) {
    }
    if (bound > cursor) park_cursor(bound);  // the cursor never moves back
    now = std::max(now, until_ms);
    horizon = next_start();
  }
};

TimerWheel::TimerWheel(std::int64_t start_ms) : TimerWheel(start_ms, std::numeric_limits<std::uint32_t>::max()) {}

TimerWheel::TimerWheel(std::int64_t start_ms, std::uint32_t seq_limit)
    : impl_(std::make_unique<Impl>(start_ms, std::max<std::uint32_t>(seq_limit, 2))) {}

TimerWheel::~TimerWheel() = default;

TimerId TimerWheel::schedule(std::int64_t deadline_ms, std::uint64_t payload) {
  if (impl_->nodes.size() >= kMaxNodes && impl_->free_head == kNil) return TimerId{};  // 2^31 - 1 live timers
  const std::uint32_t seq = impl_->take_seq();
  const std::uint32_t index = impl_->allocate();
  Impl::Node& node = impl_->nodes[index];
  node.deadline = deadline_ms;
  node.payload = payload;
  node.seq = seq;
  ++impl_->live;
  impl_->place(index);
  return TimerId{index, node.generation};
}

void TimerWheel::cancel(TimerId id) {
  if (!impl_->current(id)) return;
  const Impl::Node& node = impl_->nodes[id.index];
  if (Impl::listed(node.prev)) {
    if (!same_block(node.deadline, impl_->cursor) && node.deadline == impl_->overflow_min) {
      impl_->overflow_min_known = false;  // in the overflow: see Node
    }
    impl_->unlink(id.index);
  }
  // Batch and late-heap entries go stale through the generation bump in release().
  impl_->release(id.index);
}

TimerId TimerWheel::reschedule(TimerId id, std::int64_t deadline_ms, std::uint64_t payload) {
  Impl& m = *impl_;
  // Only a node waiting in the wheel or the overflow (not the batch or the late heap, whose
  // entries are not unlinked) is moved in place. It goes to the same wheel slot exactly when
  // the new deadline is in the cursor's block and differs from the old only below that
  // slot's level; a cancel then schedule would take the same schedule number and land there too.
  if (!m.current(id) || !Impl::listed(m.nodes[id.index].prev) || deadline_ms < m.cursor) {
    cancel(id);
    return schedule(deadline_ms, payload);
  }
  Impl::Node& node = m.nodes[id.index];
  const std::uint32_t seq = m.take_seq();  // may renumber: the node is live, so it keeps its place
  node.payload = payload;
  node.seq = seq;
  // A deadline that stays in its wheel slot (unchanged, or a stall clock restarted a ping
  // later, in a slot of minutes) keeps the node where it is in the slot's list: the slot fires
  // in schedule order (take_batch sorts by seq), whatever the list's order, and its start, so
  // the horizon, is the same. It stays exactly when the move changes no digit at or above the
  // node's level.
  const int stay_width = kStayWidth[std::bit_width(pattern(node.deadline) ^ pattern(m.cursor))];
  if (static_cast<int>(std::bit_width(pattern(node.deadline) ^ pattern(deadline_ms))) <= stay_width) {
    node.deadline = deadline_ms;
    return id;
  }
  if (!same_block(node.deadline, m.cursor) && node.deadline == m.overflow_min) m.overflow_min_known = false;
  m.unlink(id.index);
  node.deadline = deadline_ms;
  m.place(id.index);
  return id;
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
  std::vector<std::uint16_t> where(m.nodes.size());
  for (std::uint16_t list = 0; list <= kInOverflow; ++list) {
    for (std::uint32_t index = m.heads[list]; index != kNil; index = m.nodes[index].next) where[index] = list;
  }
  w.varint(m.nodes.size());
  for (std::uint32_t index = 0; index < m.nodes.size(); ++index) {
    const Impl::Node& node = m.nodes[index];
    const std::uint16_t place = Impl::listed(node.prev) ? where[index] : Impl::tag_of(node.prev);
    w.varint(place);
    w.varint(node.generation);
    if (place != kFree) {
      w.signed_varint(node.deadline);
      w.varint(node.payload);
      w.varint(node.seq);
      put_link(w, Impl::tagged(node.prev) ? kNil : node.prev);
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
  auto fresh = std::make_unique<Impl>(0, impl_->seq_limit);
  Impl& m = *fresh;
  const std::size_t count = r.count();
  r.check(count < kMaxNodes, "too many timers");
  m.nodes.resize(count);
  // As written: each node's place and predecessor (kNil at a list's head), and sequence
  // numbers in 64 bits (a snapshot may hold wider ones than this build keeps: see renumber()).
  std::vector<std::uint16_t> places(count, kFree);
  std::vector<std::uint32_t> prevs(count, kNil);
  std::vector<std::uint64_t> seqs(count, 0);
  for (std::uint32_t index = 0; index < count; ++index) {
    Impl::Node& node = m.nodes[index];
    const std::uint64_t where = r.varint();
    r.check(where <= kFree, "a timer in no known place");
    places[index] = static_cast<std::uint16_t>(where);
    const std::uint64_t generation = r.varint();
    r.check(generation != 0 && generation <= UINT32_MAX, "a timer generation out of range");
    node.generation = static_cast<std::uint32_t>(generation);
    if (where != kFree) {
      node.deadline = r.signed_varint();
      node.payload = r.varint();
      seqs[index] = r.varint();
      prevs[index] = get_link(r, count);
    }
    node.next = get_link(r, count);
    node.prev = where <= kInOverflow && prevs[index] != kNil ? prevs[index] : kTag | static_cast<std::uint32_t>(where);
  }
  m.free_head = get_link(r, count);
  for (std::uint32_t& head : m.heads) head = get_link(r, count);
  for (std::uint64_t& bits : m.occupied) bits = r.varint();
  std::vector<std::uint64_t> due_seqs;  // the batch's, then the late heap's
  const auto get_due = [&r, count, &due_seqs]() {
    Impl::Due due{};
    due.deadline = r.signed_varint();
    due_seqs.push_back(r.varint());
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
      r.check(seen[index] == 0 && places[index] == list && prevs[index] == previous, "a broken timer list");
      seen[index] = 1;
      previous = index;
      ++live;
      max_seq = std::max(max_seq, seqs[index]);
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
    r.check(seen[index] == 0 && places[index] == kFree, "a broken free list");
    seen[index] = 1;
  }
  std::size_t due_at = 0;
  const auto check_due = [&](const Impl::Due& due, std::uint16_t where) {
    const std::uint64_t due_seq = due_seqs[due_at++];
    const Impl::Node& node = m.nodes[due.index];
    if (node.generation != due.generation) return;  // cancelled: skipped when it comes up
    r.check(seen[due.index] == 0 && places[due.index] == where && node.deadline == due.deadline && seqs[due.index] == due_seq,
            "a due timer that disagrees with its node");
    seen[due.index] = 1;
    ++live;
    max_seq = std::max(max_seq, due_seq);
  };
  for (const Impl::Due& due : m.batch) check_due(due, kInBatch);
  for (const Impl::Due& due : m.late_heap) check_due(due, kInLateHeap);
  // The heap's order, by the numbers as written (ties broken by them).
  std::vector<std::size_t> heap_order(m.late_heap.size());
  for (std::size_t i = 0; i < heap_order.size(); ++i) heap_order[i] = i;
  const std::size_t heap_base = m.batch.size();
  r.check(std::is_heap(heap_order.begin(), heap_order.end(),
                       [&](std::size_t a, std::size_t b) {
                         const Impl::Due& x = m.late_heap[a];
                         const Impl::Due& y = m.late_heap[b];
                         return x.deadline != y.deadline ? x.deadline > y.deadline : due_seqs[heap_base + a] > due_seqs[heap_base + b];
                       }),
          "a late-timer heap out of order");
  for (std::size_t index = 0; index < count; ++index) r.check(seen[index] != 0, "a timer in no list");
  r.check(live == m.live, "a live-timer count that disagrees with the lists");
  r.check(max_seq < m.next_seq, "a timer sequence number from the future");
  if (m.next_seq <= m.seq_limit) {
    for (std::uint32_t index = 0; index < count; ++index) m.nodes[index].seq = static_cast<std::uint32_t>(seqs[index]);
    for (std::size_t i = 0; i < m.batch.size(); ++i) m.batch[i].seq = static_cast<std::uint32_t>(due_seqs[i]);
    for (std::size_t i = 0; i < m.late_heap.size(); ++i) m.late_heap[i].seq = static_cast<std::uint32_t>(due_seqs[heap_base + i]);
  } else {
    m.renumber(seqs);  // a snapshot's numbers past what this wheel keeps
  }
  impl_ = std::move(fresh);
}

void TimerWheel::for_each_live(const std::function<void(std::int64_t, std::uint64_t)>& visit) const {
  for (const Impl::Node& node : impl_->nodes) {
    if (node.prev != (kTag | kFree)) visit(node.deadline, node.payload);
  }
}

void TimerWheel::expire_before(std::int64_t until_ms, Fire fire) {
  impl_->expire_before(until_ms, fire);
}

std::int64_t TimerWheel::now_ms() const { return impl_->now; }

std::size_t TimerWheel::size() const { return impl_->live; }

std::size_t TimerWheel::memory_bytes() const {
  return sizeof(Impl) + impl_->nodes.capacity() * sizeof(Impl::Node) +
         (impl_->batch.capacity() + impl_->late_heap.capacity()) * sizeof(Impl::Due);
}

}  // namespace og
