#include "engine/timer_wheel.h"

#include "core/serial.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace og {
namespace {

constexpr std::int64_t kEpochMs = 1'700'000'000'000;  // a realistic event time
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

struct Fired {
  std::int64_t deadline = 0;
  std::uint64_t payload = 0;
  std::int64_t now_in_callback = 0;
  friend bool operator==(const Fired&, const Fired&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Fired& fired) {
    return out << "{deadline " << fired.deadline << ", payload " << fired.payload << ", now "
               << fired.now_in_callback << "}";
  }
};

std::vector<std::uint64_t> expire_payloads(TimerWheel& wheel, std::int64_t until_ms) {
  std::vector<std::uint64_t> payloads;
  wheel.expire_before(until_ms, [&](std::int64_t, std::uint64_t payload) { payloads.push_back(payload); });
  return payloads;
}

std::vector<std::int64_t> expire_deadlines(TimerWheel& wheel, std::int64_t until_ms) {
  std::vector<std::int64_t> deadlines;
  wheel.expire_before(until_ms, [&](std::int64_t deadline, std::uint64_t) { deadlines.push_back(deadline); });
  return deadlines;
}

std::string save_wheel(const TimerWheel& wheel) {
  std::string bytes;
  serial::Writer w(bytes);
  wheel.save(w);
  return bytes;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? kMax : kMin;
  return sum;
}

TEST(TimerWheelTest, FiresInDeadlineOrder) {
  TimerWheel wheel(kEpochMs);
  const std::vector<std::int64_t> offsets = {1500, 1, 70'000, 63, 64, 5000, 3'600'000, 2, kDayMs, 4096, 4095};
  for (std::size_t i = 0; i < offsets.size(); ++i) wheel.schedule(kEpochMs + offsets[i], i);

  EXPECT_EQ(expire_deadlines(wheel, kEpochMs + 64),
            (std::vector<std::int64_t>{kEpochMs + 1, kEpochMs + 2, kEpochMs + 63}));
  EXPECT_EQ(wheel.now_ms(), kEpochMs + 64);

  std::vector<std::int64_t> rest;
  for (const std::int64_t offset : offsets) {
    if (offset >= 64) rest.push_back(kEpochMs + offset);
  }
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(expire_deadlines(wheel, kEpochMs + 2 * kDayMs), rest);
  EXPECT_EQ(wheel.size(), 0U);
}

TEST(TimerWheelTest, TiesFireInScheduleOrder) {
  TimerWheel wheel(kEpochMs);
  for (std::uint64_t payload = 0; payload < 5; ++payload) wheel.schedule(kEpochMs + 10, payload);
  EXPECT_EQ(expire_payloads(wheel, kEpochMs + 11), (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
}

// Timers for one deadline scheduled from ever closer times start at every level and meet in one
// level-0 slot only after cascades, which append in cascade order rather than schedule order.
TEST(TimerWheelTest, TiesFireInScheduleOrderAfterCascading) {
  const std::int64_t deadline = kEpochMs + (std::int64_t{1} << 34) + 12'345;
  TimerWheel wheel(kEpochMs);
  std::vector<std::uint64_t> expected;
  std::uint64_t payload = 0;
  for (int shift = 34; shift >= 0; --shift) {
    wheel.expire_before(deadline - (std::int64_t{1} << shift), [](std::int64_t, std::uint64_t) {});
    wheel.schedule(deadline, payload);
    wheel.schedule(deadline + 1, 1000 + payload);  // a neighbour that must not interleave
    expected.push_back(payload++);
  }
  wheel.schedule(deadline, payload);  // scheduled exactly at the deadline's time, after all others
  expected.push_back(payload);
  EXPECT_EQ(expire_payloads(wheel, deadline + 1), expected);
  EXPECT_EQ(wheel.size(), expected.size() - 1);
}

TEST(TimerWheelTest, CancelBeforeFire) {
  TimerWheel wheel(0);
  wheel.schedule(10, 1);
  const TimerId middle = wheel.schedule(20, 2);
  const TimerId far = wheel.schedule(10'000'000, 4);
  wheel.schedule(30, 3);
  wheel.cancel(middle);
  wheel.cancel(far);
  EXPECT_FALSE(wheel.is_live(middle));
  EXPECT_FALSE(wheel.is_live(far));
  EXPECT_EQ(wheel.size(), 2U);
  EXPECT_EQ(expire_payloads(wheel, 20'000'000), (std::vector<std::uint64_t>{1, 3}));
}

TEST(TimerWheelTest, CancelOfStaleIdIsNoOp) {
  TimerWheel wheel(0);
  const TimerId fired = wheel.schedule(5, 1);
  const TimerId survivor = wheel.schedule(50, 2);
  EXPECT_EQ(expire_payloads(wheel, 10), (std::vector<std::uint64_t>{1}));

  wheel.cancel(fired);
  wheel.cancel(TimerId{});
  wheel.cancel(TimerId{12345, 1});
  wheel.cancel(TimerId{survivor.index, survivor.generation + 1});
  EXPECT_TRUE(wheel.is_live(survivor));
  EXPECT_EQ(wheel.size(), 1U);

  wheel.cancel(survivor);
  wheel.cancel(survivor);
  EXPECT_EQ(wheel.size(), 0U);

  // The freed node is reused under a new generation; the old id must not reach the new timer.
  const TimerId reused = wheel.schedule(60, 3);
  EXPECT_EQ(reused.index == survivor.index || reused.index == fired.index, true);
  EXPECT_NE(reused, survivor);
  EXPECT_NE(reused, fired);
  wheel.cancel(survivor);
  wheel.cancel(fired);
  EXPECT_TRUE(wheel.is_live(reused));
  EXPECT_EQ(expire_payloads(wheel, 100), (std::vector<std::uint64_t>{3}));
}

TEST(TimerWheelTest, ScheduleInThePastFiresInOrderOnceTheBoundPassesIt) {
  TimerWheel wheel(10'000);
  wheel.expire_before(20'000, [](std::int64_t, std::uint64_t) {});
  wheel.schedule(15'000, 1);
  wheel.schedule(20'000, 2);  // exactly now
  wheel.schedule(19'999, 3);
  wheel.schedule(-5, 4);
  wheel.schedule(15'000, 5);
  // "deadline < until" exactly: overdue timers fire in order, the one at now waits.
  EXPECT_EQ(expire_payloads(wheel, 20'000), (std::vector<std::uint64_t>{4, 1, 5, 3}));
  EXPECT_EQ(wheel.now_ms(), 20'000);
  EXPECT_EQ(expire_payloads(wheel, 20'001), (std::vector<std::uint64_t>{2}));

  // A smaller bound fires only what is below it, and time stays.
  wheel.schedule(15'000, 6);
  wheel.schedule(20'001, 7);
  EXPECT_EQ(expire_payloads(wheel, 10), (std::vector<std::uint64_t>{}));
  EXPECT_EQ(expire_payloads(wheel, 15'001), (std::vector<std::uint64_t>{6}));
  EXPECT_EQ(wheel.now_ms(), 20'001);
  EXPECT_EQ(expire_payloads(wheel, 20'002), (std::vector<std::uint64_t>{7}));
}

// A timer for exactly now fires only once a bound passes it (the engine applies an event
// stamped exactly on a deadline before the deadline fires); ties keep schedule order.
TEST(TimerWheelTest, TimerDueAtNowWaitsForABoundPastIt) {
  TimerWheel wheel(20'000);
  wheel.schedule(30'000, 6);
  EXPECT_EQ(expire_payloads(wheel, 30'000), (std::vector<std::uint64_t>{}));
  wheel.schedule(30'000, 7);
  EXPECT_EQ(expire_payloads(wheel, 30'000), (std::vector<std::uint64_t>{}));
  EXPECT_EQ(expire_payloads(wheel, 30'001), (std::vector<std::uint64_t>{6, 7}));
}

TEST(TimerWheelTest, CallbackSchedulingNearerTimerFiresInSameCall) {
  TimerWheel wheel(0);
  wheel.schedule(100, 1);
  wheel.schedule(5000, 2);
  wheel.schedule(100, 3);
  std::vector<std::pair<std::int64_t, std::uint64_t>> fired;
  wheel.expire_before(5500, [&](std::int64_t deadline, std::uint64_t payload) {
    fired.emplace_back(deadline, payload);
    if (payload != 1) return;
    wheel.schedule(200, 10);   // nearer than 5000
    wheel.schedule(50, 11);    // already past: before the rest of the 100 ms slot
    wheel.schedule(100, 12);   // ties the firing slot: after its earlier-scheduled timers
    wheel.schedule(6000, 13);  // beyond until: stays
    wheel.schedule(5499, 14);  // just inside
  });
  const std::vector<std::pair<std::int64_t, std::uint64_t>> expected = {
      {100, 1}, {50, 11}, {100, 3}, {100, 12}, {200, 10}, {5000, 2}, {5499, 14}};
  EXPECT_EQ(fired, expected);
  EXPECT_EQ(wheel.size(), 1U);
  EXPECT_EQ(expire_payloads(wheel, 6001), (std::vector<std::uint64_t>{13}));
}

TEST(TimerWheelTest, CallbackCancelsOtherTimers) {
  TimerWheel wheel(0);
  TimerId self{};
  self = wheel.schedule(10, 1);
  const TimerId same_slot = wheel.schedule(10, 2);
  wheel.schedule(10, 3);
  const TimerId later_slot = wheel.schedule(20, 4);
  const TimerId far = wheel.schedule(1'000'000, 5);
  const std::vector<std::uint64_t> fired = [&] {
    std::vector<std::uint64_t> payloads;
    wheel.expire_before(2'000'000, [&](std::int64_t, std::uint64_t payload) {
      payloads.push_back(payload);
      if (payload != 1) return;
      EXPECT_FALSE(wheel.is_live(self));
      wheel.cancel(self);  // already fired: no-op
      wheel.cancel(same_slot);
      wheel.cancel(later_slot);
      wheel.cancel(far);
    });
    return payloads;
  }();
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(wheel.size(), 0U);
}

TEST(TimerWheelTest, NowAdvancesThroughDeadlinesDuringCallbacks) {
  TimerWheel wheel(1000);
  wheel.schedule(1500, 1);
  wheel.schedule(900, 2);
  std::vector<std::int64_t> seen_now;
  wheel.expire_before(3000, [&](std::int64_t, std::uint64_t) { seen_now.push_back(wheel.now_ms()); });
  EXPECT_EQ(seen_now, (std::vector<std::int64_t>{1000, 1500}));
  EXPECT_EQ(wheel.now_ms(), 3000);
}

TEST(TimerWheelTest, BigJumpsAcrossAllLevelsAndOverflow) {
  TimerWheel wheel(kEpochMs);
  std::vector<std::int64_t> deadlines;
  for (int shift = 0; shift <= 46; ++shift) {
    const std::int64_t offset = std::int64_t{1} << shift;
    for (const std::int64_t delta : {offset - 1, offset, offset + 1, offset + offset / 3}) {
      deadlines.push_back(kEpochMs + delta);
    }
  }
  for (std::size_t i = 0; i < deadlines.size(); ++i) wheel.schedule(deadlines[i], i);
  std::sort(deadlines.begin(), deadlines.end());

  // Uneven jumps, from a day to years, each firing exactly the deadlines below it.
  std::size_t next = 0;
  std::int64_t until = kEpochMs;
  for (const std::int64_t jump : std::vector<std::int64_t>{kDayMs, 3 * kDayMs, 400 * kDayMs, 1, 2000 * kDayMs,
                                                            5 * 365 * kDayMs, std::int64_t{1} << 44,
                                                            std::int64_t{1} << 46, std::int64_t{1} << 47}) {
    until += jump;
    std::vector<std::int64_t> expected;
    while (next < deadlines.size() && deadlines[next] < until) expected.push_back(deadlines[next++]);
    EXPECT_EQ(expire_deadlines(wheel, until), expected) << "until " << until;
    EXPECT_EQ(wheel.size(), deadlines.size() - next);
  }
  EXPECT_EQ(wheel.size(), 0U);
}

TEST(TimerWheelTest, ManyEmptyDayJumpsWithDistantTimers) {
  TimerWheel wheel(kEpochMs);
  for (std::uint64_t i = 0; i < 1000; ++i) {
    wheel.schedule(kEpochMs + 3000 * kDayMs + static_cast<std::int64_t>(i), i);
  }
  std::int64_t until = kEpochMs;
  for (int day = 0; day < 2999; ++day) {
    until += kDayMs;
    EXPECT_TRUE(expire_payloads(wheel, until).empty());
  }
  EXPECT_EQ(expire_payloads(wheel, until + 2 * kDayMs).size(), 1000U);
}

TEST(TimerWheelTest, NegativeTimesAndTheZeroCrossing) {
  TimerWheel wheel(-1'000'000);
  const std::vector<std::int64_t> deadlines = {70'000,  -1, 3, -70'000, 0,
                                               -5, -999'999, std::int64_t{1} << 40};
  for (std::size_t i = 0; i < deadlines.size(); ++i) wheel.schedule(deadlines[i], i);
  std::vector<std::int64_t> expected = deadlines;
  std::sort(expected.begin(), expected.end());
  expected.pop_back();
  EXPECT_EQ(expire_deadlines(wheel, 1'000'000), expected);
  EXPECT_EQ(wheel.size(), 1U);
}

TEST(TimerWheelTest, SizeAndIsLiveBookkeeping) {
  TimerWheel wheel(0);
  EXPECT_EQ(wheel.size(), 0U);
  EXPECT_FALSE(wheel.is_live(TimerId{}));
  std::vector<TimerId> ids;
  for (std::uint64_t i = 0; i < 100; ++i) {
    ids.push_back(wheel.schedule(static_cast<std::int64_t>(i * 1000), i));
  }
  EXPECT_EQ(wheel.size(), 100U);
  for (const TimerId id : ids) EXPECT_TRUE(wheel.is_live(id));

  for (std::size_t i = 0; i < ids.size(); i += 2) wheel.cancel(ids[i]);
  EXPECT_EQ(wheel.size(), 50U);

  std::size_t live_in_callback = 0;
  wheel.expire_before(50'000, [&](std::int64_t deadline, std::uint64_t payload) {
    EXPECT_FALSE(wheel.is_live(ids[payload]));
    EXPECT_EQ(deadline, static_cast<std::int64_t>(payload * 1000));
    live_in_callback = wheel.size();
  });
  EXPECT_EQ(live_in_callback, 25U);  // counted down before the last callback
  EXPECT_EQ(wheel.size(), 25U);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(wheel.is_live(ids[i]), i % 2 == 1 && i >= 50) << i;
}

TEST(TimerWheelTest, NestedExpireBeforeIsIgnored) {
  TimerWheel wheel(0);
  wheel.schedule(10, 1);
  wheel.schedule(20, 2);
  wheel.schedule(30, 3);
  std::vector<std::uint64_t> fired;
  wheel.expire_before(25, [&](std::int64_t, std::uint64_t payload) {
    fired.push_back(payload);
    wheel.expire_before(1000, [&](std::int64_t, std::uint64_t) { ADD_FAILURE() << "nested call fired"; });
  });
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(wheel.now_ms(), 25);
  EXPECT_EQ(wheel.size(), 1U);
}

TEST(TimerWheelTest, ExtremeInputsDoNotCrash) {
  TimerWheel wheel(0);
  wheel.schedule(kMax, 1);
  wheel.schedule(kMin, 2);
  wheel.schedule(kMax - 1, 3);
  wheel.schedule(kMin + 1, 4);
  EXPECT_EQ(expire_payloads(wheel, kMin), (std::vector<std::uint64_t>{}));  // nothing is below kMin
  EXPECT_EQ(expire_payloads(wheel, kMin + 2), (std::vector<std::uint64_t>{2, 4}));
  EXPECT_EQ(wheel.now_ms(), 0);
  EXPECT_EQ(expire_payloads(wheel, kMax), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(wheel.now_ms(), kMax);
  // Time cannot pass kMax, so a kMax deadline never fires.
  EXPECT_EQ(expire_payloads(wheel, kMax), (std::vector<std::uint64_t>{}));
  wheel.schedule(kMin, 5);
  wheel.schedule(0, 6);
  EXPECT_EQ(expire_payloads(wheel, 0), (std::vector<std::uint64_t>{5}));
  EXPECT_EQ(expire_payloads(wheel, 1), (std::vector<std::uint64_t>{6}));
  EXPECT_EQ(wheel.size(), 1U);

  TimerWheel from_the_bottom(kMin);
  from_the_bottom.schedule(kMin, 1);
  from_the_bottom.schedule(kMax, 2);
  from_the_bottom.schedule(0, 3);
  EXPECT_EQ(expire_payloads(from_the_bottom, kMin + 1), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(expire_payloads(from_the_bottom, kMax), (std::vector<std::uint64_t>{3}));
}

// --- Differential test against an obviously correct model ------------------------------------

// The contract spelled out directly: an ordered map keyed by (deadline, schedule sequence).
class ReferenceTimers {
 public:
  explicit ReferenceTimers(std::int64_t start_ms) : now_(start_ms) {}

  void schedule(std::int64_t deadline, std::uint64_t payload) {
    const Key key{deadline, next_seq_++};
    queue_.emplace(key, payload);
    keys_.emplace(payload, key);
  }

  void cancel(std::uint64_t payload) {
    const auto it = keys_.find(payload);
    if (it == keys_.end()) return;
    queue_.erase(it->second);
    keys_.erase(it);
  }

  // The contract of TimerWheel::reschedule: cancel, then schedule.
  void reschedule(std::uint64_t payload, std::int64_t deadline) {
    cancel(payload);
    schedule(deadline, payload);
  }

  bool is_live(std::uint64_t payload) const { return keys_.contains(payload); }

  template <typename Fire>
  void expire_before(std::int64_t until, Fire fire) {
    while (!queue_.empty() && queue_.begin()->first.first < until) {
      const auto [key, payload] = *queue_.begin();
      queue_.erase(queue_.begin());
      keys_.erase(payload);
      now_ = std::max(now_, key.first);
      fire(key.first, payload);
    }
    now_ = std::max(now_, until);
  }

  std::int64_t now_ms() const { return now_; }
  std::size_t size() const { return queue_.size(); }

 private:
  using Key = std::pair<std::int64_t, std::uint64_t>;
  std::map<Key, std::uint64_t> queue_;
  std::unordered_map<std::uint64_t, Key> keys_;
  std::int64_t now_;
  std::uint64_t next_seq_ = 0;
};

// The wheel behind the reference model's payload-keyed interface. Ids are kept after firing
// and cancelling, so cancels of stale ids are exercised too.
class WheelTimers {
 public:
  explicit WheelTimers(std::int64_t start_ms) : wheel_(start_ms) {}
  WheelTimers(std::int64_t start_ms, std::uint32_t seq_limit) : wheel_(start_ms, seq_limit) {}

  void schedule(std::int64_t deadline, std::uint64_t payload) {
    ids_[payload] = wheel_.schedule(deadline, payload);
  }

  void cancel(std::uint64_t payload) {
    if (const auto it = ids_.find(payload); it != ids_.end()) wheel_.cancel(it->second);
  }

  void reschedule(std::uint64_t payload, std::int64_t deadline) {
    TimerId& id = ids_[payload];  // an id never handed out: TimerId{}, which names no timer
    id = wheel_.reschedule(id, deadline, payload);
  }

  bool is_live(std::uint64_t payload) const {
    const auto it = ids_.find(payload);
    return it != ids_.end() && wheel_.is_live(it->second);
  }

  template <typename Fire>
  void expire_before(std::int64_t until, Fire fire) {
    wheel_.expire_before(until, fire);
  }

  std::int64_t now_ms() const { return wheel_.now_ms(); }
  std::size_t size() const { return wheel_.size(); }

 private:
  TimerWheel wheel_;
  std::unordered_map<std::uint64_t, TimerId> ids_;
};

// Sequence numbers that run out every few hundred schedules: the live timers are renumbered
// again and again, mid-batch and mid-callback included.
class RenumberingWheelTimers : public WheelTimers {
 public:
  explicit RenumberingWheelTimers(std::int64_t start_ms) : WheelTimers(start_ms, 300) {}
};

// The driver's choices among operations, in percent. With reschedules, a quarter of the
// schedules become reschedules of an earlier payload, half of those to the deadline it was
// last given (a watch re-armed for the deadline it already has); callbacks reschedule too.
struct Mix {
  bool reschedules = false;
};

struct Observation {
  std::vector<Fired> fired;
  std::size_t size = 0;
  std::int64_t now = 0;
  bool probe = false;
  friend bool operator==(const Observation&, const Observation&) = default;
};

// Drives one model with random operations. Two drivers with one seed make identical choices for
// as long as their models behave identically, callbacks included.
template <typename Model>
class RandomDriver {
 public:
  RandomDriver(std::uint64_t seed, std::int64_t start_ms, Mix mix = {}) : model_(start_ms), rng_(seed), mix_(mix) {}

  Observation step() {
    Observation observation;
    fired_ = &observation.fired;
    const std::uint64_t choice = rng_() % 100;
    if (choice < 45 && mix_.reschedules && next_payload_ > 0 && below(4) == 0) {
      reschedule(saturating_add(model_.now_ms(), random_offset()));
    } else if (choice < 45) {
      schedule(saturating_add(model_.now_ms(), random_offset()));
    } else if (choice < 62) {
      model_.cancel(random_payload());
    } else if (choice < 67) {
      observation.probe = model_.is_live(random_payload());
    } else {
      model_.expire_before(random_until(), [this](std::int64_t deadline, std::uint64_t payload) {
        fired_->push_back({deadline, payload, model_.now_ms()});
        react(deadline);
      });
    }
    observation.size = model_.size();
    observation.now = model_.now_ms();
    return observation;
  }

 private:
  std::uint64_t below(std::uint64_t limit) { return rng_() % limit; }
  std::int64_t signed_below(std::uint64_t limit) { return static_cast<std::int64_t>(below(limit)); }

  // Mostly near deadlines, with a tail through every level, the overflow and the extremes.
  std::int64_t random_offset() {
    switch (below(16)) {
      case 0: return -signed_below(1000);
      case 1: return 0;
      case 2: case 3: case 4: return signed_below(64);
      case 5: case 6: case 7: return signed_below(4096);
      case 8: case 9: return signed_below(1 << 20);
      case 10: return signed_below(1 << 26);
      case 11: return signed_below(std::uint64_t{1} << 32);
      case 12: return signed_below(std::uint64_t{1} << 40);
      case 13: return std::int64_t{1} << below(45);  // right on slot and level boundaries
      case 14: return recent_offset_;                  // ties
      default:
        switch (below(8)) {
          case 0: return kMax;
          case 1: return kMin;
          default: return signed_below(std::uint64_t{1} << 50) - (std::int64_t{1} << 49);
        }
    }
  }

  std::int64_t random_until() {
    const std::int64_t now = model_.now_ms();
    switch (below(12)) {
      case 0: return now;
      case 1: return now - signed_below(200);
      case 2: case 3: case 4: return now + signed_below(64);
      case 5: case 6: return now + signed_below(5000);
      case 7: case 8: return now + signed_below(1 << 22);
      case 9: return now + signed_below(std::uint64_t{1} << 30);
      case 10: return now + (std::int64_t{1} << below(40));
      default: return below(50) == 0 ? now + signed_below(std::uint64_t{1} << 42) : now + 1;
    }
  }

  std::uint64_t random_payload() { return next_payload_ == 0 ? 0 : below(next_payload_); }

  void schedule(std::int64_t deadline) {
    deadlines_[next_payload_] = deadline;
    model_.schedule(deadline, next_payload_++);
  }

  // A random earlier payload (live, fired or cancelled) to `deadline`, or to its last one.
  void reschedule(std::int64_t deadline) {
    const std::uint64_t payload = random_payload();
    if (below(2) == 0) deadline = deadlines_[payload];
    deadlines_[payload] = deadline;
    model_.reschedule(payload, deadline);
  }

  void react(std::int64_t deadline) {
    const std::uint64_t choice = below(16);
    if (choice < 4) {
      const std::int64_t offset = signed_below(400) - 100;  // some already past
      recent_offset_ = offset;
      schedule(saturating_add(deadline, offset));
    } else if (choice == 4) {
      schedule(deadline);
    } else if (choice < 7) {
      model_.cancel(random_payload());
    } else if (choice < 9 && mix_.reschedules) {
      reschedule(saturating_add(deadline, signed_below(400) - 100));
    }
  }

  Model model_;
  std::mt19937_64 rng_;
  std::uint64_t next_payload_ = 0;
  std::int64_t recent_offset_ = 0;
  std::vector<Fired>* fired_ = nullptr;
  Mix mix_;
  std::unordered_map<std::uint64_t, std::int64_t> deadlines_;  // the last one each payload was given
};

template <typename Wheel = WheelTimers>
void expect_same_as_reference(std::uint64_t seed, std::int64_t start_ms, int steps, Mix mix = {}) {
  RandomDriver<Wheel> wheel(seed, start_ms, mix);
  RandomDriver<ReferenceTimers> reference(seed, start_ms, mix);
  std::size_t total_fired = 0;
  for (int step = 0; step < steps; ++step) {
    const Observation got = wheel.step();
    const Observation want = reference.step();
    ASSERT_EQ(got.fired, want.fired) << "step " << step;
    ASSERT_EQ(got, want) << "step " << step;
    total_fired += got.fired.size();
  }
  EXPECT_GT(total_fired, static_cast<std::size_t>(steps) / 10);  // the test is not vacuous
}

TEST(TimerWheelTest, RandomizedMatchesReferenceModelAtEpochTimes) {
  expect_same_as_reference(0x5eed'0001, kEpochMs, 200'000);
}

TEST(TimerWheelTest, RandomizedMatchesReferenceModelAroundZero) {
  expect_same_as_reference(0x5eed'0002, -(std::int64_t{1} << 37), 100'000);
}

TEST(TimerWheelTest, RenumberedSequenceNumbersKeepTheOrder) {
  expect_same_as_reference<RenumberingWheelTimers>(0x5eed'0003, kEpochMs, 100'000);
}

// reschedule() moves the node in place (or leaves it in its slot when the deadline stays) but
// must fire exactly as cancel-then-schedule does, ties included.
TEST(TimerWheelTest, RandomizedReschedulesMatchCancelThenSchedule) {
  expect_same_as_reference(0x5eed'0004, kEpochMs, 200'000, Mix{.reschedules = true});
  expect_same_as_reference(0x5eed'0005, -(std::int64_t{1} << 37), 100'000, Mix{.reschedules = true});
  expect_same_as_reference<RenumberingWheelTimers>(0x5eed'0006, kEpochMs, 100'000, Mix{.reschedules = true});
}

TEST(TimerWheelTest, RescheduleToTheSameDeadlineMovesToTheBackOfTheTies) {
  TimerWheel wheel(kEpochMs);
  const TimerId first = wheel.schedule(kEpochMs + 100, 1);
  wheel.schedule(kEpochMs + 100, 2);
  const TimerId again = wheel.reschedule(first, kEpochMs + 100, 3);
  EXPECT_FALSE(wheel.is_live(TimerId{}));
  EXPECT_TRUE(wheel.is_live(again));
  EXPECT_EQ(wheel.size(), 2U);
  EXPECT_EQ(expire_payloads(wheel, kEpochMs + 101), (std::vector<std::uint64_t>{2, 3}));
  // Of a timer that fired: a new one.
  const TimerId fresh = wheel.reschedule(again, kEpochMs + 200, 4);
  EXPECT_TRUE(wheel.is_live(fresh));
  EXPECT_EQ(expire_payloads(wheel, kEpochMs + 201), (std::vector<std::uint64_t>{4}));
}

// A deadline that moves within its wheel slot leaves the node where it is in the slot's list
// (the stall clock, restarted by each ping, mostly stays in its slot of minutes): the slot
// still fires by deadline, then schedule order, and so does a wheel restored from a snapshot
// taken then.
TEST(TimerWheelTest, RescheduleWithinItsSlotFiresInDeadlineThenScheduleOrder) {
  const std::int64_t start = kEpochMs & ~((std::int64_t{1} << 24) - 1);  // digits 0 to 3 are 0
  const std::int64_t slot = start + 5 * 4096;  // a level-2 slot: 4,096 ms
  TimerWheel wheel(start);
  TimerId moved_back = wheel.schedule(slot + 3000, 1);
  wheel.schedule(slot + 100, 2);
  wheel.schedule(slot + 50, 3);
  TimerId moved_on = wheel.schedule(slot + 10, 4);
  wheel.schedule(slot + 4000, 5);
  const TimerId first_in_list = wheel.schedule(slot + 4095, 6);
  moved_back = wheel.reschedule(moved_back, slot + 100, 7);  // tied with 2, scheduled after it
  moved_on = wheel.reschedule(moved_on, slot + 4000, 8);     // tied with 5, scheduled after it
  const TimerId gone = wheel.reschedule(first_in_list, slot + 4096, 9);  // the next slot
  EXPECT_TRUE(wheel.is_live(moved_back));
  EXPECT_TRUE(wheel.is_live(moved_on));
  EXPECT_TRUE(wheel.is_live(gone));
  EXPECT_EQ(wheel.size(), 6U);
  EXPECT_EQ(expire_payloads(wheel, slot), (std::vector<std::uint64_t>{}));  // nothing moved earlier than the slot

  const std::string bytes = save_wheel(wheel);
  TimerWheel restored(0);
  serial::Reader r(bytes);
  restored.load(r);
  EXPECT_EQ(save_wheel(restored), bytes);
  const std::vector<std::uint64_t> want{3, 2, 7, 5, 8, 9};
  EXPECT_EQ(expire_payloads(wheel, slot + 4097), want);
  EXPECT_EQ(expire_payloads(restored, slot + 4097), want);
  EXPECT_EQ(wheel.size(), 0U);
}

// Most calls find nothing due; the quick answer for those must not skip a cascade or a timer
// rescheduled into a slot that starts right at the bound.
TEST(TimerWheelTest, QuietCallsStillCascadeAndFireWhatIsDue) {
  TimerWheel wheel(kEpochMs);
  for (std::int64_t t = 1; t <= 5000; ++t) EXPECT_EQ(expire_payloads(wheel, kEpochMs + t), (std::vector<std::uint64_t>{}));
  const TimerId watch = wheel.schedule(kEpochMs + 9000, 1);
  for (std::int64_t t = 5001; t <= 8000; ++t) EXPECT_EQ(expire_payloads(wheel, kEpochMs + t), (std::vector<std::uint64_t>{}));
  const TimerId moved = wheel.reschedule(watch, kEpochMs + 8001, 2);  // earlier: the quick answer must see it
  EXPECT_EQ(expire_payloads(wheel, kEpochMs + 8001), (std::vector<std::uint64_t>{}));
  EXPECT_EQ(expire_payloads(wheel, kEpochMs + 8002), (std::vector<std::uint64_t>{2}));
  EXPECT_FALSE(wheel.is_live(moved));
  const std::int64_t far = kEpochMs + 20'000;  // level 2 from the cursor
  wheel.schedule(far, 3);
  wheel.schedule(kEpochMs + (std::int64_t{1} << 37), 4);  // the overflow
  std::vector<std::pair<std::int64_t, std::uint64_t>> fired;
  std::int64_t first_past = 0;
  for (std::int64_t t = kEpochMs + 8002; t <= kEpochMs + 30'000; t += 977) {
    if (t > far && first_past == 0) first_past = t;
    for (const std::uint64_t payload : expire_payloads(wheel, t)) fired.emplace_back(t, payload);
  }
  EXPECT_EQ(fired, (std::vector<std::pair<std::int64_t, std::uint64_t>>{{first_past, 3}}));
  EXPECT_EQ(expire_payloads(wheel, kEpochMs + (std::int64_t{1} << 37)), (std::vector<std::uint64_t>{}));
  EXPECT_EQ(expire_payloads(wheel, kEpochMs + (std::int64_t{1} << 37) + 1), (std::vector<std::uint64_t>{4}));
}

// Ties make the order visible: timers for one deadline fire in schedule order across a
// renumbering, including those waiting in the late heap and in the current batch.
TEST(TimerWheelTest, TiesKeepScheduleOrderAcrossRenumbering) {
  TimerWheel wheel(kEpochMs, 8);
  for (std::uint64_t i = 0; i < 5; ++i) wheel.schedule(kEpochMs + 10, i);
  const TimerId cancelled = wheel.schedule(kEpochMs + 10, 99);
  wheel.cancel(cancelled);
  EXPECT_EQ(expire_payloads(wheel, kEpochMs + 5), (std::vector<std::uint64_t>{}));
  for (std::uint64_t i = 5; i < 20; ++i) wheel.schedule(i % 2 == 0 ? kEpochMs + 10 : kEpochMs + 1, i);  // odd: late
  std::vector<std::uint64_t> fired;
  wheel.expire_before(kEpochMs + 11, [&](std::int64_t, std::uint64_t payload) {
    fired.push_back(payload);
    if (payload == 2) {
      for (std::uint64_t i = 100; i < 110; ++i) wheel.schedule(kEpochMs + 10, i);  // joins the ties, in order
    }
  });
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{5, 7, 9, 11, 13, 15, 17, 19, 0, 1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 18,
                                               100, 101, 102, 103, 104, 105, 106, 107, 108, 109}));
  EXPECT_EQ(wheel.size(), 0U);
}

// Through a snapshot: a wheel that renumbers often, and a snapshot whose numbers are wider
// than the loading wheel keeps (written by a wheel with room for them), both load into wheels
// that fire exactly what the original fires, in its order.
TEST(TimerWheelTest, SnapshotsAcrossRenumbering) {
  for (const std::uint32_t writer_limit : {std::uint32_t{300}, std::numeric_limits<std::uint32_t>::max()}) {
    SCOPED_TRACE(writer_limit);
    TimerWheel original(kEpochMs, writer_limit);
    std::mt19937_64 rng(7);
    std::vector<TimerId> ids;
    std::uint64_t payload = 0;
    const auto churn = [&](TimerWheel& wheel, std::vector<TimerId>& keep, int rounds) {
      std::vector<std::uint64_t> fired;
      for (int round = 0; round < rounds; ++round) {
        for (int i = 0; i < 40; ++i) keep.push_back(wheel.schedule(wheel.now_ms() + static_cast<std::int64_t>(rng() % 5000) - 100, payload++));
        for (int i = 0; i < 10; ++i) wheel.cancel(keep[rng() % keep.size()]);
        wheel.expire_before(wheel.now_ms() + static_cast<std::int64_t>(rng() % 1500),
                            [&](std::int64_t, std::uint64_t fired_payload) { fired.push_back(fired_payload); });
      }
      return fired;
    };
    churn(original, ids, 50);  // 2,000 schedules: past the loading wheel's limit of 300
    const std::string bytes = save_wheel(original);
    TimerWheel restored(0, 300);
    serial::Reader r(bytes);
    restored.load(r);
    EXPECT_EQ(restored.size(), original.size());
    EXPECT_EQ(restored.now_ms(), original.now_ms());
    if (writer_limit == 300) {
      EXPECT_EQ(save_wheel(restored), bytes);  // numbers that fit are kept as they are
    }
    std::vector<TimerId> restored_ids = ids;
    const std::uint64_t payload_before = payload;
    const std::mt19937_64 rng_before = rng;
    const std::vector<std::uint64_t> want = churn(original, ids, 50);
    payload = payload_before;
    rng = rng_before;
    const std::vector<std::uint64_t> got = churn(restored, restored_ids, 50);
    EXPECT_GT(want.size(), 1000U);
    EXPECT_EQ(got, want);
    EXPECT_EQ(restored.size(), original.size());
  }
}

}  // namespace
}  // namespace og
