// handling/rate_caps: the brake on incident storms (docs/handling.md "Rate caps"): how many
// refunds, coupons and customer text messages or calls the playbooks sent in a sliding window
// of event time, overall and per customer, against the caps of rules/playbook.h. A command
// that does not fit is not sent; the engine escalates its incident instead.
// Pure: event time comes in with every call, so a replay gives the same verdicts. The windows
// run on their own clock, the newest time seen (a late event's command counts as of then), so
// they only ever slide forward. Memory: at most `count` entries per cap, and per customer one
// small window for each customer contacted within the cap's window (older ones are swept).
// Depends on: rules (the caps), core. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/interner.h"
#include "core/time.h"
#include "rules/playbook.h"

namespace og {

namespace serial {
class Writer;
class Reader;
}  // namespace serial

struct RateCapHit {
  RateCapKind kind = RateCapKind::kRefund;
  std::string cause;  // "rate_cap: refund.issue 2000/1h reached"
};

class RateCaps {
 public:
  using Caps = std::array<RateCap, kRateCapCount>;

  // One more command, described as `what` ("refund.issue", "notify sms"), against each cap in
  // `kinds` (a per-customer cap applies when `user` is known; `amount` counts against money
  // caps). When it fits them all it is recorded in each and the answer is nullopt; otherwise
  // nothing is recorded, the first cap it does not fit is counted and named.
  std::optional<RateCapHit> admit(std::span<const RateCapKind> kinds, Symbol user, std::int64_t amount, TimeMs at,
                                  const Caps& caps, std::string_view what);

  // Commands held back, by RateCapKind.
  const std::array<std::uint64_t, kRateCapCount>& capped() const { return capped_; }
  std::size_t memory_bytes() const;
  // Snapshots (docs/snapshots.md): the windows in key order and the counts; load() replaces them.
  void save(serial::Writer& w) const;
  void load(serial::Reader& r);

 private:
  struct Window {
    std::deque<std::pair<TimeMs, std::int64_t>> sent;  // (time, amount), oldest first
    std::int64_t amount = 0;                           // the sum of `sent`'s amounts
  };
  static bool per_user(RateCapKind kind) {
    return kind == RateCapKind::kSmsPerUser || kind == RateCapKind::kPhonePerUser;
  }
  static void expire(Window& window, TimeMs now, DurationMs window_ms);
  Window* window_of(RateCapKind kind, Symbol user, bool create);
  void sweep(const Caps& caps);

  std::array<Window, kRateCapCount> overall_;  // the per-user kinds' slots stay empty
  std::array<std::unordered_map<Symbol, Window>, kRateCapCount> by_user_;  // only per-user kinds
  std::array<std::uint64_t, kRateCapCount> capped_{};
  TimeMs now_ = 0;                 // the newest time seen
  std::size_t sweep_at_ = 1024;    // customer windows held when the next sweep runs
};

}  // namespace og
