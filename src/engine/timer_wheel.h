// engine/timer_wheel: the engine's deadlines (payment timeouts, stage limits, retries ...).
// A hierarchical timing wheel at millisecond resolution: schedule and cancel are O(1);
// expiring walks only occupied slots (occupancy bitmaps), so quiet hours cost nothing.
//
// Contract:
// - Time is event time in ms, advanced only by expire_before(); no clock is read here.
// - expire_before(t) fires every live timer with deadline < t, in (deadline, schedule order)
//   order, including timers scheduled by a callback during the same call.
// - Exactly the deadlines below the bound fire: a timer scheduled for a time already behind
//   the wheel fires in the first call whose bound passes it, still in (deadline, schedule
//   order) order; one for exactly the wheel's time waits for a bound beyond it.
// - cancel() of a fired, cancelled or unknown id is a no-op (ids carry a generation).
// Owns: timer storage (a pooled free list of 32-byte nodes; no allocation per timer in steady
// state).
// Depends on: nothing. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

namespace og {

namespace serial {
class Writer;
class Reader;
}  // namespace serial

struct TimerId {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;  // 0 never names a live timer
  bool valid() const { return generation != 0; }
  friend bool operator==(TimerId, TimerId) = default;
};

class TimerWheel {
 public:
  // What expire_before() calls for each timer it fires: a reference to any callable taking
  // (deadline_ms, payload), valid for the call. Not a std::function: the engine expires twice
  // an event, and wrapping its callback each time cost more than the rest of a quiet call.
  class Fire {
   public:
    template <typename F>
      requires(!std::is_same_v<std::remove_cvref_t<F>, Fire> && std::is_invocable_v<F&, std::int64_t, std::uint64_t>)
    Fire(F&& f)  // NOLINT: implicit, so a lambda passes as is
        : target_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* target, std::int64_t deadline_ms, std::uint64_t payload) {
            (*static_cast<std::remove_reference_t<F>*>(target))(deadline_ms, payload);
          }) {}
    void operator()(std::int64_t deadline_ms, std::uint64_t payload) const { call_(target_, deadline_ms, payload); }

   private:
    void* target_;
    void (*call_)(void*, std::int64_t, std::uint64_t);
  };

  explicit TimerWheel(std::int64_t start_ms = 0);
  // Schedule order is kept in 32-bit numbers: when the next one would reach `seq_limit` (2^32
  // - 1 by default), the live timers are renumbered in their order. Tests pass a small limit
  // to run that often.
  TimerWheel(std::int64_t start_ms, std::uint32_t seq_limit);
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  TimerId schedule(std::int64_t deadline_ms, std::uint64_t payload);
  void cancel(TimerId id);
  // cancel(id) then schedule(deadline_ms, payload), with the same effect on what fires and in
  // which order (the timer takes the next schedule order), but the node is reused in place:
  // a watch re-armed at every event of its order (the stage timer, the stall clock) skips the
  // free-list round trip, and a deadline that stays within its wheel slot keeps the node's
  // place in the slot's list (a slot fires in schedule order, not list order). The id
  // returned may equal `id`.
  TimerId reschedule(TimerId id, std::int64_t deadline_ms, std::uint64_t payload);
  bool is_live(TimerId id) const;

  // Fires, in order, every timer whose deadline < until_ms; the wheel's time becomes until_ms
  // (it never moves backwards: a smaller until_ms still fires overdue timers but keeps time).
  void expire_before(std::int64_t until_ms, Fire fire);

  std::int64_t now_ms() const;
  std::size_t size() const;  // live timers
  std::size_t memory_bytes() const;  // what the wheel holds, for memory accounting

  // Snapshots (docs/snapshots.md): the whole wheel, node by node, so that a loaded wheel fires
  // the same timers in the same order (ties included) and hands out the same ids. load()
  // replaces the wheel's contents and checks the structure (lists, bitmaps, placement, the
  // heap), throwing serial::Error when it does not hold. Not during expire_before().
  void save(serial::Writer& w) const;
  void load(serial::Reader& r);
  // Every live timer's (deadline, payload), in no particular order.
  void for_each_live(const std::function<void(std::int64_t deadline_ms, std::uint64_t payload)>& visit) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace og
