// engine/engine_core: private to the engine. The state every rule reads and the rule
// methods, implemented by category in rules_payment.cc, rules_goods.cc, rules_delivery.cc,
// rules_behaviour.cc; plumbing (reorder buffer, dedupe, timers, incident creation) lives in
// engine.cc. Nothing outside src/engine includes this header.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/copied_box.h"
#include "core/id_set.h"
#include "core/index_iterator.h"
#include "core/interner.h"
#include "core/serial.h"
#include "core/symbol_table.h"
#include "engine/engine.h"
#include "engine/incident_log.h"
#include "engine/timer_wheel.h"
#include "handling/command.h"
#include "handling/notify.h"
#include "handling/rate_caps.h"
#include "people/people.h"
#include "events/event.h"
#include "rules/config.h"

namespace og {

// Event ids kept for evidence, stored once in an append-only arena of 1 MiB blocks (no
// growth slack, nothing moves), each as a length byte and its bytes, so a reference is one
// 4-byte position. A slot that is rewritten (the event that started the current stage, the
// stall clock's last restart) reuses its bytes when the new id fits, so rewriting does not
// grow the arena. Ids are at most 128 bytes (the parser's limit).
struct EventRef {
  std::uint32_t at = 0;  // block << kBlockBits | position of the length byte; 0: none
};

class IdArena {
 public:
  EventRef add(std::string_view id) {
    if (id.size() > kMaxId) throw std::length_error("evidence ids: an id over 255 bytes");
    if (1 + id.size() > kBlockBytes - used_ || blocks_.empty()) {
      if (blocks_.size() >= (std::size_t{1} << (32 - kBlockBits))) throw std::length_error("evidence ids: 4 GiB");
      if (!blocks_.empty()) filled_.push_back(static_cast<std::uint32_t>(used_));
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
      used_ = 0;
      if (blocks_.size() == 1) blocks_[0][used_++] = 0;  // position 0 is "none"
    }
    const EventRef ref{static_cast<std::uint32_t>(((blocks_.size() - 1) << kBlockBits) | used_)};
    char* bytes = blocks_.back().get() + used_;
    bytes[0] = static_cast<char>(id.size());
    std::memcpy(bytes + 1, id.data(), id.size());
    used_ += 1 + id.size();
    return ref;
  }
  void set(EventRef& ref, std::string_view id) {
    if (ref.at != 0) {
      char* bytes = at(ref);
      if (id.size() != 0 && id.size() <= static_cast<unsigned char>(bytes[0])) {
        bytes[0] = static_cast<char>(id.size());
        std::memcpy(bytes + 1, id.data(), id.size());
        return;
      }
    }
    ref = add(id);
  }
  std::string_view view(EventRef ref) const {
    if (ref.at == 0) return {};
    const char* bytes = blocks_[ref.at >> kBlockBits].get() + (ref.at & (kBlockBytes - 1));
    return std::string_view(bytes + 1, static_cast<unsigned char>(bytes[0]));
  }
  std::size_t memory_bytes() const { return blocks_.size() * kBlockBytes; }

  // Snapshots (engine/snapshot.cc): the bytes in use, block by block, so refs stay valid.
  void save(serial::Writer& w) const;
  void load(serial::Reader& r);
  bool holds(EventRef ref) const;  // the ref points at an id in the bytes in use (or is none)

 private:
  static constexpr std::size_t kBlockBits = 20;
  static constexpr std::size_t kBlockBytes = std::size_t{1} << kBlockBits;
  static constexpr std::size_t kMaxId = 255;
  char* at(EventRef ref) { return blocks_[ref.at >> kBlockBits].get() + (ref.at & (kBlockBytes - 1)); }

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::uint32_t> filled_;  // bytes used in each block but the last
  std::size_t used_ = 0;
};

// An ordered line, as the rules read it.
struct OrderItem {
  Symbol sku = kNoSymbol;
  std::uint32_t qty = 0;  // saturates at 2^32 - 1
  std::int64_t unit_price = kAbsent;
};

struct ItemRange {
  std::uint32_t chunk = 0;
  std::uint16_t offset = 0;
  std::uint16_t count = 0;
};

// Append-only storage of every order's lines, in chunks that never move; one order's lines
// are contiguous. Orders have at most kMaxItemsPerEvent lines (the parser's limit). Ten lines
// per order dominate the memory of an open order, so a line is kept in 9 unaligned bytes:
// the SKU, its price in 32 bits and its quantity in 8; a price or quantity that does not fit
// (rare: 2^31 fen is over 21 million yuan; 255 of one SKU) is kept exactly in a side table by
// the line's position.
class ItemPool {
  struct Line {
    unsigned char bytes[9];  // sku (4), price (4: kNoPrice, kWidePrice or the price), qty (1)
    Symbol sku() const { return load<Symbol>(0); }
    std::int32_t price() const { return load<std::int32_t>(4); }
    std::uint8_t qty() const { return bytes[8]; }
    template <typename T>
    T load(std::size_t at) const {
      T value;
      std::memcpy(&value, bytes + at, sizeof value);
      return value;
    }
  };
  static_assert(sizeof(Line) == 9);
  static constexpr std::int32_t kNoPrice = INT32_MIN;
  static constexpr std::int32_t kWidePrice = INT32_MIN + 1;
  static constexpr std::uint8_t kWideQty = 255;  // in wide_qtys_

 public:
  static constexpr std::size_t kChunkBits = 12;
  static constexpr std::size_t kChunkItems = std::size_t{1} << kChunkBits;

  // An order's lines, read as OrderItem values.
  class View {
   public:
    class iterator {
     public:
      using value_type = OrderItem;
      using difference_type = std::ptrdiff_t;
      iterator() = default;
      iterator(const ItemPool* pool, const Line* line, std::uint64_t position) : pool_(pool), line_(line), position_(position) {}
      OrderItem operator*() const {
        const std::int32_t narrow = line_->price();
        const std::uint8_t qty = line_->qty();
        if (narrow > kWidePrice && qty != kWideQty) [[likely]] return OrderItem{line_->sku(), qty, narrow};
        return pool_->decode(*line_, position_);
      }
      iterator& operator++() {
        ++line_;
        ++position_;
        return *this;
      }
      iterator operator++(int) {
        iterator before = *this;
        ++*this;
        return before;
      }
      bool operator==(const iterator& other) const { return line_ == other.line_; }

     private:
      const ItemPool* pool_ = nullptr;
      const Line* line_ = nullptr;
      std::uint64_t position_ = 0;  // chunk << kChunkBits | index in the chunk
    };
    View() = default;
    View(const ItemPool* pool, ItemRange range) : pool_(pool), range_(range) {}
    iterator begin() const {
      if (range_.count == 0) return {};
      return {pool_, pool_->chunks_[range_.chunk].get() + range_.offset, position()};
    }
    iterator end() const {
      if (range_.count == 0) return {};
      return {pool_, pool_->chunks_[range_.chunk].get() + range_.offset + range_.count, position() + range_.count};
    }
    std::size_t size() const { return range_.count; }
    bool empty() const { return range_.count == 0; }

   private:
    std::uint64_t position() const { return std::uint64_t{range_.chunk} << kChunkBits | range_.offset; }
    const ItemPool* pool_ = nullptr;
    ItemRange range_;
  };

  ItemRange add(const std::vector<Item>& items);
  View view(ItemRange range) const { return View(this, range); }
  // A line with no price, or a price or quantity in the side tables (out of line: rare).
  [[gnu::noinline]] OrderItem decode(const Line& line, std::uint64_t position) const {
    const std::int32_t narrow = line.price();
    const std::int64_t price = narrow == kNoPrice     ? kAbsent
                               : narrow == kWidePrice ? wide_prices_.at(position)
                                                      : std::int64_t{narrow};
    const std::uint8_t qty = line.qty();
    return OrderItem{line.sku(), qty != kWideQty ? qty : wide_qtys_.at(position), price};
  }
  // A memory hint (the engine's release loop reads a few events ahead): the range's lines.
  void prefetch(ItemRange range) const {
    if (range.count == 0) return;
    const char* first = reinterpret_cast<const char*>(chunks_[range.chunk].get() + range.offset);
    const std::size_t bytes = range.count * sizeof(Line);
    for (std::size_t offset = 0; offset < bytes; offset += 64) og::prefetch(first + offset);
    og::prefetch(first + bytes - 1);
  }
  std::size_t memory_bytes() const {
    return chunks_.size() * kChunkItems * sizeof(Line) + wide_prices_.size() * (sizeof(std::int64_t) * 2 + 3 * sizeof(void*)) +
           wide_qtys_.size() * (sizeof(std::int64_t) * 2 + 3 * sizeof(void*));
  }

  // Snapshots (engine/snapshot.cc): the lines in use, chunk by chunk, so ranges stay valid.
  void save(serial::Writer& w) const;
  void load(serial::Reader& r);
  bool holds(ItemRange range) const;

 private:
  void put(Line& line, std::uint64_t position, const OrderItem& item);

  std::vector<std::unique_ptr<Line[]>> chunks_;
  std::vector<std::uint16_t> filled_;  // lines used in each chunk but the last
  std::size_t used_ = kChunkItems;
  std::unordered_map<std::uint64_t, std::int64_t> wide_prices_;  // by position
  std::unordered_map<std::uint64_t, std::uint32_t> wide_qtys_;   // by position
};

enum class TimerKind : std::uint8_t {
  kPaymentTimeout,
  kPaidNoOrder,
  kRefundTimeout,
  kStockRelease,
  kStage,
  kDeliveryLate,
  kStall,
  kPlaybook,  // a playbook's delay, wait or retry; the order field holds the incident index
};

struct RefundWatch {
  std::uint64_t refund_id = 0;  // hashed (Event::refund_id)
  std::int64_t amount = kAbsent;  // as requested
  TimeMs requested_at = kAbsent;
  TimeMs succeeded_at = kAbsent;
  EventRef requested_event;
  TimerId timer;
};

struct PaymentRecord {
  std::uint64_t txn_id = 0;  // hashed (Event::txn_id)
  TimeMs at = 0;
  std::int64_t amount = 0;
};

struct SkuQty {
  Symbol sku = kNoSymbol;
  std::int64_t qty = 0;
  friend bool operator==(const SkuQty&, const SkuQty&) = default;
};

// Quantity per SKU, sorted by symbol: the canonical form two item lists are compared in.
std::vector<SkuQty> canonical_items(const std::vector<Item>& items);
std::vector<SkuQty> canonical_items(const ItemPool::View& items);
std::uint64_t canonical_hash(std::span<const SkuQty> items);

// What few orders need: kept beside the order, not in it.
struct OrderExtras {
  std::vector<PaymentRecord> more_payments;  // payments after the first, distinct txn_ids
  std::vector<RefundWatch> refunds;
  std::vector<std::pair<Symbol, Symbol>> accepted_substitutions;  // sku -> substitute
  std::vector<std::uint32_t> incidents;                           // every incident about the order
  std::vector<Item> picked_before_created;     // picking.completed seen before order.created
  std::vector<PaymentRecord> paid_before_created;  // checked against the amount once the order is known
  std::int64_t coupon_discount = 0;
  TimerId paid_no_order_timer;  // a payment before order.created
  TimerId stock_release_timer;  // a cancellation after stock was reserved
  std::uint8_t remediation_failures = 0;  // playbook steps that failed on this order
  // The latest refund.issue a playbook sent for the order (its place in `commands`), until a
  // refund.succeeded of the order confirms it: the refund that a refund.failed no
  // refund.requested announced is re-issued at its amount (REFUND_FAILED), and a failure of it
  // takes its amount back out of the loss (decisions #60).
  std::uint32_t last_refund_command = UINT32_MAX;
};


// An order's times (milestones, stage and stall clocks), exact. The common ones take 4 bytes
// each: offsets from a base (the first time set) while within 2^31 ms (24 days) of it. The
// rare ones (a failed payment, a release of stock, a rider's cancellation, a stage deadline
// that fired), and a common one that lies further from the base, go to a block of full-width
// times beside the order, allocated for the few orders that need it.
enum class OrderTime : std::uint8_t {
  kCreated,
  kPaid,
  kCancelled,
  kCompleted,
  kReserved,
  kPickStarted,
  kPickCompleted,
  kRiderAssigned,
  kPickedUp,
  kDelivered,
  kPromise,
  kSlotStart,
  kStallAnchor,
  kLastPing,
  kPaymentFailed,  // the first rare one
  kReleased,
  kRiderCancelled,
  kStageFired,  // kStageCount of them: see OrderState::stage_fired_start
  kCount = kStageFired + kStageCount,
};

class OrderTimes {
 public:
  static constexpr std::size_t kCount = static_cast<std::size_t>(OrderTime::kCount);
  static constexpr std::size_t kCommon = static_cast<std::size_t>(OrderTime::kPaymentFailed);
  OrderTimes() { offsets_.fill(kNone); }
  OrderTimes(OrderTimes&&) noexcept = default;
  OrderTimes& operator=(OrderTimes&&) noexcept = default;
  OrderTimes(const OrderTimes& other) : base_(other.base_), offsets_(other.offsets_) {
    if (other.block_) block_ = std::make_unique<Block>(*other.block_);
  }

  TimeMs get(std::size_t i) const {
    if (i >= kCommon) return block_ ? (*block_)[i] : kAbsent;
    const std::int32_t offset = offsets_[i];
    if (offset > kInBlock) [[likely]] return base_ + offset;
    return offset == kNone ? kAbsent : (*block_)[i];
  }
  void set(std::size_t i, TimeMs t) {
    if (i < kCommon) {
      if (t == kAbsent) {
        offsets_[i] = kNone;
        return;
      }
      if (base_ == kAbsent) base_ = t;
      std::int64_t offset = 0;
      if (!__builtin_sub_overflow(t, base_, &offset) && offset > kInBlock && offset <= INT32_MAX) [[likely]] {
        offsets_[i] = static_cast<std::int32_t>(offset);
        return;
      }
      offsets_[i] = kInBlock;
    } else if (t == kAbsent && !block_) {
      return;
    }
    if (!block_) {
      block_ = std::make_unique<Block>();
      block_->fill(kAbsent);
    }
    (*block_)[i] = t;
  }
  bool has(std::size_t i) const {
    if (i >= kCommon) return block_ && (*block_)[i] != kAbsent;
    return offsets_[i] != kNone;
  }
  bool has_block() const { return block_ != nullptr; }

 private:
  using Block = std::array<TimeMs, kCount>;
  static constexpr std::int32_t kNone = INT32_MIN;         // absent
  static constexpr std::int32_t kInBlock = INT32_MIN + 1;  // in block_
  TimeMs base_ = kAbsent;  // kAbsent: no common time set yet
  std::array<std::int32_t, kCommon> offsets_;
  std::unique_ptr<Block> block_;
};

// Where an order's rider is, as the stall and late-risk rules need it: set from pickup or the
// first rider.location on (a third of the open orders in a steady stream), so it lives in a
// block beside the order, allocated on the first write. Without a block every field reads as
// its default, exactly what the order held before.
struct DeliveryTrack {
  LatLng stall_anchor;
  LatLng last_ping;  // the latest rider.location, kept for a pickup that arrives after it
  TimerId stall_timer;
};

#define OG_ORDER_TIME(name, which)                                                  \
  TimeMs name() const { return times.get(static_cast<std::size_t>(OrderTime::which)); } \
  bool has_##name() const { return times.has(static_cast<std::size_t>(OrderTime::which)); } \
  void set_##name(TimeMs t) { times.set(static_cast<std::size_t>(OrderTime::which), t); }

// 200 bytes; the fields are grouped by size so that none needs padding.
struct OrderState {
  Symbol order_id = kNoSymbol;
  Symbol user = kNoSymbol;
  Symbol zone = kNoSymbol;
  Symbol community = kNoSymbol;
  Symbol rider = kNoSymbol;

  EventRef created_event;
  EventRef paid_event;
  EventRef cancelled_event;
  EventRef stage_event;
  EventRef stall_event;

  ItemRange items;
  std::uint64_t first_txn = 0;  // hashed
  std::int64_t amount = kAbsent;
  std::uint64_t picked_hash = 0;  // canonical_hash of what picking.completed reported

  // Event time of each milestone; kAbsent when not seen.
  OrderTimes times;
  OG_ORDER_TIME(created_at, kCreated)
  OG_ORDER_TIME(paid_at, kPaid)                      // earliest payment.succeeded
  OG_ORDER_TIME(payment_failed_at, kPaymentFailed)  // earliest payment.failed
  OG_ORDER_TIME(cancelled_at, kCancelled)
  OG_ORDER_TIME(completed_at, kCompleted)
  OG_ORDER_TIME(reserved_at, kReserved)
  OG_ORDER_TIME(released_at, kReleased)
  OG_ORDER_TIME(pick_started_at, kPickStarted)
  OG_ORDER_TIME(pick_completed_at, kPickCompleted)
  OG_ORDER_TIME(rider_assigned_at, kRiderAssigned)    // latest
  OG_ORDER_TIME(rider_cancelled_at, kRiderCancelled)  // latest
  OG_ORDER_TIME(picked_up_at, kPickedUp)
  OG_ORDER_TIME(delivered_at, kDelivered)
  OG_ORDER_TIME(promise_at, kPromise)
  OG_ORDER_TIME(slot_start, kSlotStart)
  OG_ORDER_TIME(stall_anchor_at, kStallAnchor)  // last restart of the stall clock, or when it stopped
  OG_ORDER_TIME(last_ping_at, kLastPing)
  // For each fulfilment stage, the start whose deadline has already fired (kAbsent: none),
  // so a stage raises once per start. Starts themselves follow from the milestones above.
  TimeMs stage_fired_start(std::size_t stage) const { return times.get(static_cast<std::size_t>(OrderTime::kStageFired) + stage); }
  void set_stage_fired_start(std::size_t stage, TimeMs t) { times.set(static_cast<std::size_t>(OrderTime::kStageFired) + stage, t); }

  LatLng address_position;
  CopiedBox<DeliveryTrack> track;  // stall_anchor, last_ping, stall_timer

  TimerId payment_timer;  // (the rare paid_no_order and stock_release timers are in OrderExtras)
  TimerId delivery_late_timer;
  TimerId stage_timer;

  OrderKind kind = OrderKind::kGrocery;
  PaymentMethod payment_method = PaymentMethod::kOnline;
  SubstitutionPref substitution_pref = SubstitutionPref::kContact;
  std::uint8_t payment_count = 0;  // distinct txn_ids, capped at kMaxPaymentsPerOrder
  // Flags, one bit each (snapshot.cc packs them).
  bool created : 1 = false;
  bool vip : 1 = false;
  bool has_extras : 1 = false;
  bool address_present : 1 = false;
  bool address_has_text : 1 = false;
  bool address_has_building : 1 = false;
  bool address_has_room : 1 = false;
  bool address_has_position : 1 = false;
  bool stall_running : 1 = false;
  bool stall_awaits_first_location : 1 = false;
  bool late_risk_raised : 1 = false;
  bool current_rider_cancelled : 1 = false;  // the rider of rider_assigned_at cancelled
  bool gmv_counted : 1 = false;              // its amount is in the GMV (paid, or cash on delivery)
  bool pick_items_known : 1 = false;         // its picking.completed listed what was picked

  bool is_closed_at(TimeMs t) const {
    const TimeMs cancelled = cancelled_at();
    const TimeMs completed = completed_at();
    return (cancelled != kAbsent && cancelled <= t) || (completed != kAbsent && completed <= t);
  }
  bool is_paid_at(TimeMs t) const {
    const TimeMs paid = paid_at();
    return paid != kAbsent && paid <= t;
  }
};
#undef OG_ORDER_TIME

// Records in fixed chunks that never move, so references stay valid as it grows and no
// growth holds twice the memory (or copies all of it) the way a vector's doubling does as the
// count crosses a power of two. Indexing is a shift and a mask.
template <typename T, std::size_t ChunkBits>
class ChunkedArray {
 public:
  static constexpr std::size_t kChunk = std::size_t{1} << ChunkBits;
  T& operator[](std::size_t i) { return chunks_[i >> ChunkBits][i & (kChunk - 1)]; }
  const T& operator[](std::size_t i) const { return chunks_[i >> ChunkBits][i & (kChunk - 1)]; }
  std::size_t size() const { return size_; }
  T& emplace_back() {
    if (size_ == capacity()) chunks_.push_back(std::make_unique<T[]>(kChunk));
    return (*this)[size_++];
  }
  void grow_to(std::size_t count) {
    while (size_ < count) emplace_back();
  }
  std::size_t capacity() const { return chunks_.size() * kChunk; }
  std::size_t memory_bytes() const { return capacity() * sizeof(T) + chunks_.capacity() * sizeof(void*); }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t size_ = 0;
};

// Every order's state, 4096 to a chunk.
using OrderStore = ChunkedArray<OrderState, 12>;

// The reorder buffer's event slots, 1024 to a chunk. The buffer holds max_out_of_orderness of
// events (70K at 1M open orders), 320 bytes each (the rare parts are apart, see EventRare).
using EventSlots = ChunkedArray<Event, 10>;

// What few users have: cancellations, incidents about their orders, the behaviour rules' marks.
struct UserHistory {
  std::vector<std::pair<TimeMs, Symbol>> user_cancellations;  // (ts, order)
  TimeMs frequent_cancel_raised_at = kAbsent;
  TimeMs duplicate_unpaid_raised_at = kAbsent;
  std::vector<std::uint32_t> incidents;  // about the user or the user's orders (repeat customers)
  bool empty() const {
    return user_cancellations.empty() && frequent_cancel_raised_at == kAbsent && duplicate_unpaid_raised_at == kAbsent &&
           incidents.empty();
  }
};

struct UserState {
  std::vector<std::pair<TimeMs, std::uint32_t>> recent_orders;  // (created_at, order index)
  std::vector<std::int64_t> amounts;  // last N order amounts, oldest first
  std::unique_ptr<UserHistory> history;  // nullptr: nothing in it yet (most users)
  UserHistory& more() {
    if (!history) history = std::make_unique<UserHistory>();
    return *history;
  }
  const UserHistory& read() const {
    static const UserHistory kNone;
    return history ? *history : kNone;
  }
  bool vip = false;
  bool has_profile_tier = false;
  SubstitutionPref substitution_pref = SubstitutionPref::kContact;
  bool has_profile_pref = false;
  std::uint8_t channels = 0;  // bit per Channel from user.profile; 0: not known (all allowed)
  Symbol complete_address_community = kNoSymbol;  // where the user last gave a complete address
};

struct RiderState {
  Symbol id = kNoSymbol;
  std::vector<std::pair<TimeMs, Symbol>> cancellations;  // (ts, order)
  TimeMs frequent_cancel_raised_at = kAbsent;
  Symbol zone = kNoSymbol;
  bool online = false;
  bool has_position = false;
  LatLng position;
  TimeMs position_at = kAbsent;  // positions only move forward in event time
  std::int64_t active_orders = 0;
};

struct CatalogEntry {
  std::int64_t price = kAbsent;
  Symbol category = kNoSymbol;
  std::vector<Symbol> tags;
  std::int64_t reorder_point = kAbsent;
};

struct ZoneEntry {
  bool has_centre = false;
  LatLng centre;
  double radius_m = -1;
  std::vector<PickupPoint> pickup_points;
};

struct HotspotWindow {
  std::vector<std::pair<TimeMs, std::uint32_t>> incidents;  // (detected_at, incident index)
  TimeMs raised_at = kAbsent;
};

// One incident's playbook while it runs (src/engine/handling.cc, docs/handling.md).
struct PlaybookRun {
  enum class Phase : std::uint8_t { kDelay, kAwait, kBackoff, kHold };
  std::shared_ptr<const HandlingConfig> config;  // the version that opened the incident
  std::uint32_t incident = 0;
  std::uint32_t order = UINT32_MAX;  // UINT32_MAX: not about an order
  std::uint16_t step = 0;
  std::uint16_t attempt = 0;  // attempts made of the current step
  std::uint16_t generation = 0;  // of the pending timer: a timer of an older one is stale
  std::uint16_t step_count = 0;  // steps entered, against loops between steps
  Phase phase = Phase::kDelay;
  TimerId timer;
  TimeMs attempt_at = 0;
  DurationMs interval_ms = 0;  // before the next attempt
  // Facts from when the incident opened.
  std::string reference;  // the triggering event's id
  std::int64_t paid = kAbsent;
  Symbol sku = kNoSymbol;
  std::int64_t short_qty = kAbsent;
  std::vector<SkuQty> items;  // complained or picked items
  AttemptFailure attempt_failure = AttemptFailure::kOther;
  bool repeat_customer = false;
  bool offer_accepted = false;
  Symbol accepted_substitute = kNoSymbol;
  std::int64_t last_payout = kNoAmount;
};

class EngineCore {
 public:
  explicit EngineCore(RulesConfig config);

  IngestOutcome ingest(const Event& event);
  Event& staging_event();
  IngestOutcome ingest_staged();
  void refuse_time_jump(const Event& event);
  std::string refusal;  // why the last kRefused (not saved: it is about one call)
  void advance_watermark(TimeMs time_ms);
  // SLA deadlines are event time too: a case the watermark has passed unacknowledged goes up
  // to a supervisor now, not at the next person's action or the end of the input.
  void fire_sla_deadlines();
  // Memory hints (Engine::prefetch_event_id; release's look-ahead): they change nothing.
  void prefetch_event_id(std::uint64_t id_hash) const { seen_ids_.prefetch(id_hash); }
  void prefetch_order(Symbol order_id) const {
    if (order_id < order_by_symbol_.size()) prefetch(&order_by_symbol_[order_id]);
  }
  EngineMemory memory_usage() const;
  std::size_t order_count() const { return orders_.size(); }
  void finish(TimeMs until_ms);
  // The order's index, or UINT32_MAX when no event of it has been seen (never creates one).
  std::uint32_t find_order(Symbol order_id) const {
    if (order_id == kNoSymbol || order_id >= order_by_symbol_.size() || order_by_symbol_[order_id] == 0) return UINT32_MAX;
    return order_by_symbol_[order_id] - 1;
  }
  const OrderStore& orders_view() const { return orders_; }

  // Snapshots (engine/snapshot.cc): save() writes everything; load() reads it into a new core
  // and checks every cross-reference (serial::Error when one does not hold).
  void save(serial::Writer& w) const;
  static std::unique_ptr<EngineCore> load(serial::Reader& r);

  Interner interner;
  std::vector<Command> commands;
  std::vector<std::uint32_t> escalations;  // incident indexes, in escalation order
  std::vector<AgentRefusal> refusals;
  std::vector<people::Action> desk_actions;  // everything the desk did, in order
  people::PeopleDesk desk;
  std::int64_t gmv = 0;
  std::uint64_t notifications_suppressed = 0;
  RateCaps rate_caps;  // what the caps let through lately, and what they held back
  RulesConfig config;
  IncidentLog log{interner};
  EngineCounters counters;
  TimeMs max_ts = kAbsent;
  TimeMs watermark = kAbsent;

 private:
  friend struct EngineViews;  // the read-only views of engine/views.h (views.cc)

  // --- plumbing (engine.cc)
  struct Pending {
    TimeMs ts;
    std::uint8_t rank;
    std::uint32_t slot;
  };
  struct PendingAfter {
    const EngineCore* core;
    bool operator()(const Pending& a, const Pending& b) const;
  };

  bool is_duplicate(const Event& event);
  std::uint32_t take_slot();
  void buffer(Pending pending);
  void buffer_out_of_order(Pending pending);
  bool next_before(TimeMs before_ms, Pending& next);  // pops the earliest buffered event with ts < before_ms
  bool next_of_both_before(TimeMs before_ms, Pending& next);  // next_before, the heap's head due
  void prefetch_release_ahead() const;  // memory hints for the next events of the in-order lane
  // A new event for a fact already recorded (the same milestone, the same transaction): it
  // changes nothing, and is counted apart from duplicate ids.
  void count_repeat() { ++counters.events_repeated; }
  void release(TimeMs before_ms);  // applies buffered events with ts < before_ms, firing timers in between
  void apply(const Event& event);
  void fire(TimeMs deadline_ms, std::uint64_t payload);
  void expire(TimeMs before_ms);

  // The order's index, created on its first event. The hit (every event but an order's
  // first, twice an event: dedupe and apply) is inline; creating the order is not.
  std::uint32_t order_index(Symbol order_id) {
    if (order_id < order_by_symbol_.size()) [[likely]] {
      if (const std::uint32_t slot = order_by_symbol_[order_id]; slot != 0) [[likely]] return slot - 1;
    }
    return new_order_index(order_id);
  }
  std::uint32_t new_order_index(Symbol order_id);
  TimerId schedule(TimeMs deadline_ms, TimeMs now_ms, std::uint32_t order, TimerKind kind, std::uint32_t detail = 0);
  // Cancels `timer` and schedules anew, in one step (TimerWheel::reschedule).
  void reschedule(TimerId& timer, TimeMs deadline_ms, TimeMs now_ms, std::uint32_t order, TimerKind kind,
                  std::uint32_t detail = 0);

  // --- incidents (engine.cc)
  struct Raise {
    IncidentType type;
    TimeMs at;
    std::uint32_t order = UINT32_MAX;  // UINT32_MAX: not about an order
    Symbol subject = kNoSymbol;        // for user/rider/sku/community subjects
    Symbol sku = kNoSymbol;
    Stage stage = Stage::kCount;
    IncidentType about_type = IncidentType::kCount;
    TimeMs watch_deadline = kAbsent;
    Severity severity_override = Severity::kLow;
    bool has_severity_override = false;
    std::uint64_t refund_id = 0;
    std::vector<std::string> evidence;
  };
  Incident* raise(Raise request);
  Incident* find_open(IncidentType type, Symbol subject, std::uint32_t detail = 0);
  Incident* find_open_for_order(std::uint32_t order, IncidentType type, std::uint32_t detail = 0);
  // Who a clearing is credited to: the playbook when it had acted (`auto`), else the cause
  // itself (`self`); or the cause always, where the spec names the resolution for the type
  // (PAYMENT_FAILED: "a later payment.succeeded (resolution self)", decision 10).
  enum class Credit : std::uint8_t { kPlaybookIfActed, kCause };
  // The awaited evidence arrived: retract when it proves a missed deadline wrong, otherwise
  // resolve (only for types that clear themselves).
  void clear(Incident* incident, const Event& evidence, Credit credit = Credit::kPlaybookIfActed);
  void note_late_evidence(IncidentType type, std::uint32_t order, const Event& evidence, std::uint32_t detail = 0);
  // Retracts the open incident of `type` when the late event `e` would have prevented it
  // (its ts is at or before the missed deadline); otherwise leaves it as it is.
  void retract_if_disproved(std::uint32_t order, IncidentType type, const Event& e, std::uint32_t detail = 0);
  int priority_of(const Incident& incident) const;
  // Repeat customers: an incident about `user`'s orders is noted at its detection time (the
  // last 64 kept), and counted over (from, to].
  void note_user_incident(Symbol user, std::uint32_t incident);
  std::int64_t user_incidents_between(Symbol user, TimeMs from, TimeMs to) const;
  void count_for_hotspot(const Incident& incident, TimeMs known_at = kAbsent);
  // Retracts an incident (never before its detection) and what it alone held up: a hotspot.
  void retract(Incident& incident, TimeMs at);
  std::string event_id(EventRef ref) const { return std::string(ids_.view(ref)); }
  EventRef keep_id(const Event& event) { return ids_.add(event.id); }
  void keep_id(EventRef& slot, const Event& event) { ids_.set(slot, event.id); }
  OrderExtras& extras(std::uint32_t o);
  const OrderExtras* find_extras(std::uint32_t o) const;
  ItemPool::View items_of(std::uint32_t o) const { return item_pool_.view(orders_[o].items); }

  // --- handling (handling.cc)
  void start_playbooks();  // the incidents raised by the event or deadline just handled
  void start_playbook(std::uint32_t incident);
  void enter_step(PlaybookRun& run, std::size_t step, TimeMs at);
  // Every `when` condition of the step holds and no `unless` one does.
  bool step_applies(const PlaybookRun& run, const Step& step) const;
  void attempt_step(PlaybookRun& run, TimeMs at);
  void attempt_failed(PlaybookRun& run, TimeMs at, Symbol code);
  void follow(PlaybookRun& run, const StepTarget& target, TimeMs at, std::string_view cause);
  void finish_run(PlaybookRun& run, TimeMs at);
  void playbook_event(std::uint32_t o, const Event& e);
  void fire_playbook(std::uint32_t incident, std::uint32_t generation, TimeMs at);
  void arm_run_timer(PlaybookRun& run, PlaybookRun::Phase phase, TimeMs deadline, TimeMs now);
  void stop_run(std::uint32_t incident);
  bool condition_holds(const PlaybookRun& run, const Step& step, Condition condition) const;
  std::int64_t step_amount(const PlaybookRun& run, const Step& step) const;
  DurationMs step_timeout(const PlaybookRun& run, const Step& step) const;
  // false: the step cannot act. A command over its rate cap is not sent: `capped` names the cap.
  bool emit_step_commands(PlaybookRun& run, const Step& step, TimeMs at, std::optional<RateCapHit>& capped);
  Command& new_command(const PlaybookRun& run, const Step& step, std::string_view target, TimeMs at);
  bool notify(PlaybookRun& run, const Step& step, TimeMs at, std::optional<RateCapHit>& capped);
  std::vector<std::string> substitutes_for(const PlaybookRun& run, std::size_t count) const;
  Symbol best_rider_for(std::uint32_t o) const;  // kNoSymbol: none qualifies
  const PickupPoint* nearest_pickup_point(std::uint32_t o) const;
  std::vector<std::uint32_t> duplicate_unpaid_extras(Symbol user, std::uint32_t newest) const;
  std::int64_t unit_price_of(std::uint32_t o, Symbol sku) const;
  // Σ (unit_price - catalog price) × qty over the items charged above their catalog price.
  std::int64_t price_above_catalog(std::uint32_t o) const;
  // What the order's goods incidents (shortage, pick, price, complaints) have paid out so far,
  // net of refunds that failed; of those about `sku` alone when one is given.
  std::int64_t goods_refunded(std::uint32_t o, Symbol sku = kNoSymbol) const;
  // What earlier shortages of the run's SKU on its order refunded (the run's own refunds not).
  std::int64_t shortage_refunded_before(const PlaybookRun& run) const;
  void escalate(Incident& incident, TimeMs at, std::string_view cause);
  void withdraw_from_desk(const Incident& incident, std::string_view code, TimeMs at);
  void on_agent_event(const Event& e);
  void sync_desk();
  TimeMs desk_time(TimeMs at) const { return desk.now() ? std::max(at, *desk.now()) : at; }
  void count_gmv(std::uint32_t o);

  // --- rules by category
  void on_order_created(std::uint32_t o, const Event& e);
  void on_address_changed(std::uint32_t o, const Event& e);
  void on_order_cancelled(std::uint32_t o, const Event& e);
  void on_order_completed(std::uint32_t o, const Event& e);
  void on_payment_succeeded(std::uint32_t o, const Event& e);
  void on_payment_failed(std::uint32_t o, const Event& e);
  void on_refund_requested(std::uint32_t o, const Event& e);
  void on_refund_succeeded(std::uint32_t o, const Event& e);
  void on_refund_failed(std::uint32_t o, const Event& e);
  void take_back_failed_refund(std::uint32_t o, const Event& e);
  void refund_did_not_go_through(Command& command);  // its loss taken back (decision 60)
  Command* run_refund_command(const PlaybookRun& run);
  static bool announced_as_another_refund(const OrderExtras& extra, const Event& e, const Command& refund);
  void honoured_coupon_counts(std::uint32_t o, bool counts);
  void on_stock_reserved(std::uint32_t o, const Event& e);
  void on_stock_shortage(std::uint32_t o, const Event& e);
  void on_stock_released(std::uint32_t o, const Event& e);
  void on_picking_started(std::uint32_t o, const Event& e);
  void on_picking_completed(std::uint32_t o, const Event& e);
  void on_substitution_responded(std::uint32_t o, const Event& e);
  void on_rider_assigned(std::uint32_t o, const Event& e);
  void on_rider_cancelled(std::uint32_t o, const Event& e);
  void on_rider_location(std::uint32_t o, const Event& e);
  void on_picked_up(std::uint32_t o, const Event& e);
  void on_attempt_failed(std::uint32_t o, const Event& e);
  void on_delivered(std::uint32_t o, const Event& e);
  void on_complaint(std::uint32_t o, const Event& e);
  void on_rating(std::uint32_t o, const Event& e);
  void on_catalog_item(const Event& e);
  void on_stock_level(const Event& e);
  void on_zone_config(const Event& e);
  void on_rider_status(const Event& e);
  void on_user_profile(const Event& e);

  // payment watches (rules_payment.cc)
  void arm_payment_timeout(std::uint32_t o, TimeMs now);
  void fire_payment_timeout(std::uint32_t o, TimeMs at);
  void fire_paid_no_order(std::uint32_t o, TimeMs at);
  void check_amount_mismatch(std::uint32_t o, const PaymentRecord& payment, const Event& e);
  void fire_refund_timeout(std::uint32_t o, std::uint32_t watch, TimeMs at);
  void arm_stock_release(std::uint32_t o, TimeMs now);
  void fire_stock_release(std::uint32_t o, TimeMs at);

  // goods (rules_goods.cc)
  void check_picking(std::uint32_t o, const Event& e, const std::vector<Item>& picked);
  bool picking_matches_order(std::uint32_t o) const;
  bool pick_matches_order(std::uint32_t o, const std::vector<Item>& picked) const;
  std::uint64_t expected_picking_hash(std::uint32_t o) const;
  // What should have been picked, by SKU: the ordered items after the substitutions the
  // customer accepted (a substitute takes its original's quantity).
  std::vector<SkuQty> expected_picking(std::uint32_t o) const;
  // The SKU expected in place of `ordered`: its accepted substitute, else itself; and back,
  // the ordered SKU an expected one stands for.
  static Symbol expected_sku(const OrderExtras* extra, Symbol ordered);
  static Symbol ordered_sku(const OrderExtras* extra, Symbol expected);
  void check_prices_and_coupon(std::uint32_t o, const Event& e);
  void check_address(std::uint32_t o, const Event& e);

  // fulfilment stages and delivery (rules_delivery.cc)
  void refresh_stage(std::uint32_t o, const Event& e);
  TimeMs stage_start(std::uint32_t o, Stage stage) const;  // kAbsent: the stage is not running
  static bool stages_can_run(const OrderState& s);  // known, open, and the goods not gone yet
  std::array<TimeMs, kStageCount> running_stage_starts(const OrderState& s) const;  // given stages_can_run(s)
  std::array<TimeMs, kStageCount> stage_starts(std::uint32_t o) const;
  void arm_stage_timer(std::uint32_t o, TimeMs now, const std::array<TimeMs, kStageCount>& starts);
  void fire_stage(std::uint32_t o, Stage stage, TimeMs at);
  void arm_delivery_late(std::uint32_t o, TimeMs now);
  void fire_delivery_late(std::uint32_t o);  // dated at the deadline, whenever it is known
  void restart_stall_clock(std::uint32_t o, const Event& e, bool has_position);
  void fire_stall(std::uint32_t o, TimeMs at);
  void drop_fulfilment_watches(std::uint32_t o);
  void retract_fulfilment_deadlines(std::uint32_t o, const Event& e);
  void adopt_early_incidents(std::uint32_t o);
  void raise_if_fulfilled_after(std::uint32_t o, const Event& e, std::initializer_list<TimeMs> fulfilment);
  void check_state_consistency(std::uint32_t o, const Event& e);

  // behaviour (rules_behaviour.cc)
  void check_duplicate_unpaid(std::uint32_t o, const Event& e);
  void check_amount_anomaly(std::uint32_t o, const Event& e);
  void count_user_cancellation(std::uint32_t o, const Event& e);
  void count_rider_cancellation(std::uint32_t o, const Event& e);

  OrderState& order(std::uint32_t o) { return orders_[o]; }
  // The order's delivery track, allocated (and counted, for memory_usage) on first use.
  DeliveryTrack& track_of(OrderState& s) {
    if (!s.track.allocated()) ++delivery_tracks_;
    return s.track.mut();
  }
  UserState& user(Symbol id) { return users_[id]; }
  bool order_kind_in(std::uint32_t bits, OrderKind kind) const { return (bits >> static_cast<unsigned>(kind)) & 1u; }

  TimerWheel timers_;
  // The reorder buffer. Events wait in slots (parsed in place, see staging_event); their
  // order is kept in two lanes: arrivals already in (ts, rank, id) order append to a FIFO in
  // O(1), the rest go to a heap; the earlier of the two heads comes out first.
  EventSlots pending_events_;
  std::vector<std::uint32_t> free_slots_;
  // Item lists' capacity, passed from slot to slot: a free slot, or one holding an event
  // without items, gives its list back, so lists exist only for the events with items (2 in
  // 15 in a grocery stream) rather than in every slot that ever held one.
  std::vector<std::vector<Item>> spare_items_;
  void free_slot(std::uint32_t slot, Event& event);
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;
  std::uint32_t staging_slot_ = kNoSlot;
  // The in-order lane: events in (ts, lifecycle, id) order, mostly appended at the back and
  // always taken from the front. One power-of-two array, so the front, the back and the
  // look-ahead's reads a few entries in (prefetch_release_ahead) are a mask away rather than
  // a std::deque's block lookup. It keeps its largest size (16 bytes an entry, the events of
  // one out-of-orderness bound).
  class PendingRing {
   public:
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    const Pending& front() const { return slots_[head_]; }
    const Pending& back() const { return slots_[(head_ + size_ - 1) & (slots_.size() - 1)]; }
    const Pending& operator[](std::size_t i) const { return slots_[(head_ + i) & (slots_.size() - 1)]; }
    Pending& operator[](std::size_t i) { return slots_[(head_ + i) & (slots_.size() - 1)]; }
    void push_back(const Pending& pending) {
      if (size_ == slots_.size()) reserve(size_ + 1);
      slots_[(head_ + size_) & (slots_.size() - 1)] = pending;
      ++size_;
    }
    void pop_front() {
      head_ = (head_ + 1) & (slots_.size() - 1);
      --size_;
    }
    // Puts `pending` in its place among the last `max_passed` entries, moving those after it
    // up by one; false (nothing changed) when its place lies further in.
    template <class After>
    bool insert_near_back(const Pending& pending, std::size_t max_passed, After after) {
      std::size_t at = size_;
      while (at > 0 && after((*this)[at - 1], pending)) {
        if (size_ - at == max_passed) return false;
        --at;
      }
      push_back(pending);
      for (std::size_t i = size_ - 1; i > at; --i) (*this)[i] = (*this)[i - 1];
      (*this)[at] = pending;
      return true;
    }
    // Snapshots: `n` entries to be overwritten in place, front first.
    void resize(std::size_t n) {
      reserve(n);
      head_ = 0;
      size_ = n;
    }
    using iterator = IndexIterator<PendingRing, Pending>;
    using const_iterator = IndexIterator<const PendingRing, const Pending>;
    iterator begin() { return {this, 0}; }
    iterator end() { return {this, size_}; }
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }

   private:
    void reserve(std::size_t n) {
      if (n <= slots_.size()) return;
      std::size_t capacity = std::max<std::size_t>(slots_.size(), 64);
      while (capacity < n) capacity *= 2;
      std::vector<Pending> grown(capacity);
      for (std::size_t i = 0; i < size_; ++i) grown[i] = (*this)[i];
      slots_.swap(grown);
      head_ = 0;
    }
    std::vector<Pending> slots_;  // empty or a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
  };
  PendingRing in_order_;
  std::priority_queue<Pending, std::vector<Pending>, PendingAfter> out_of_order_{PendingAfter{this}};
  // Every event id seen (hashed), across orders and master data: "the same id seen again is
  // a duplicate, however late it comes", within engine.dedupe_max_ids.
  IdSet seen_ids_;

  OrderStore orders_;
  std::size_t delivery_tracks_ = 0;  // orders whose DeliveryTrack is allocated
  std::vector<std::uint32_t> order_by_symbol_;  // Symbol -> order index + 1 (0: none)
  SymbolTable<UserState> users_;
  SymbolTable<RiderState> riders_;
  std::unordered_map<Symbol, CatalogEntry> catalog_;
  struct StockLevel {
    std::int64_t available = 0;
    TimeMs at = kAbsent;
  };
  std::unordered_map<Symbol, StockLevel> stock_levels_;  // the latest report per SKU
  std::unordered_map<Symbol, ZoneEntry> zones_;
  std::unordered_map<std::uint64_t, HotspotWindow> hotspots_;  // (community, type)
  IdArena ids_;
  ItemPool item_pool_;
  std::unordered_map<std::uint32_t, OrderExtras> extras_;
  bool finishing_ = false;
  std::unordered_map<std::uint32_t, PlaybookRun> runs_;  // by incident index
  std::vector<std::uint32_t> to_start_;  // raised during the current step of the engine
 public:
  // Closed incidents changed since the last take (late evidence, loss taken back or given
  // back): what watches only open incidents (the service's change feed) publishes them again.
  // Not engine state: replay writes incidents at the end, and the service drains it each round.
  std::vector<std::uint32_t> closed_changed;
  void note_closed_change(const Incident& incident) {
    if (incident.is_closed()) closed_changed.push_back(incident.index);
  }

 private:
  const Event* current_event_ = nullptr;  // the event being applied (nullptr for a deadline)
  // The event time of what is being applied, the event's or the deadline's: a playbook starts,
  // and a hotspot an incident completes is detected, no earlier, though the incident may be
  // dated before (a deadline whose watch started only once it had passed, decisions #4).
  TimeMs acting_at_ = kAbsent;
  NotifyLimiter notify_limiter_;
};

// Inline: the reorder buffer calls it for each event it takes, and for each entry an event
// that arrived out of order passes on its way to its place; its heap, a dozen times for each
// event it hands out.
inline bool EngineCore::PendingAfter::operator()(const Pending& a, const Pending& b) const {
  if (a.ts != b.ts) return a.ts > b.ts;
  if (a.rank != b.rank) return a.rank > b.rank;
  // Equal time and type: the id decides, so any arrival order gives the same sequence.
  return core->pending_events_[a.slot].id > core->pending_events_[b.slot].id;
}

inline constexpr std::size_t kMaxRefundWatchesPerOrder = 16;
inline constexpr std::size_t kMaxPaymentsPerOrder = 16;

}  // namespace og
