#include "handling/rate_caps.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "core/serial.h"
#include "handling/notify.h"

namespace og {

void RateCaps::expire(Window& window, TimeMs now, DurationMs window_ms) {
  // The window that ends at `now` is (now - W, now].
  while (!window.sent.empty() && window.sent.front().first <= now - window_ms) {
    window.amount -= window.sent.front().second;
    window.sent.pop_front();
  }
}

RateCaps::Window* RateCaps::window_of(RateCapKind kind, Symbol user, bool create) {
  const auto k = static_cast<std::size_t>(kind);
  if (!per_user(kind)) return &overall_[k];
  auto& windows = by_user_[k];
  if (create) return &windows[user];
  const auto it = windows.find(user);
  return it == windows.end() ? nullptr : &it->second;
}

std::optional<RateCapHit> RateCaps::admit(std::span<const RateCapKind> kinds, Symbol user, std::int64_t amount, TimeMs at,
                                          const Caps& caps, std::string_view what) {
  now_ = std::max(now_, at);
  const auto applies = [&](RateCapKind kind) { return caps[static_cast<std::size_t>(kind)].count > 0 && (!per_user(kind) || user != kNoSymbol); };
  const std::int64_t money = std::max<std::int64_t>(amount, 0);
  for (const RateCapKind kind : kinds) {
    if (!applies(kind)) continue;
    const RateCap& cap = caps[static_cast<std::size_t>(kind)];
    Window* window = window_of(kind, user, false);
    std::size_t sent = 0;
    std::int64_t sent_amount = 0;
    if (window != nullptr) {
      expire(*window, now_, cap.window_ms);
      sent = window->sent.size();
      sent_amount = window->amount;
    }
    const std::string_view scope = per_user(kind) ? " per customer" : "";
    std::string cause;
    if (static_cast<std::int64_t>(sent) >= cap.count) {
      cause = fmt::format("rate_cap: {} {}/{}{} reached", what, cap.count, format_duration(cap.window_ms), scope);
    } else if (cap.amount > 0 && sent_amount + money > cap.amount) {
      cause = fmt::format("rate_cap: {} ¥{}/{}{} reached", what, yuan(cap.amount), format_duration(cap.window_ms), scope);
    } else {
      continue;
    }
    ++capped_[static_cast<std::size_t>(kind)];
    return RateCapHit{kind, std::move(cause)};
  }
  std::size_t customer_windows = 0;
  for (const RateCapKind kind : kinds) {
    if (!applies(kind)) continue;
    Window& window = *window_of(kind, user, true);
    window.sent.emplace_back(now_, money);
    window.amount += money;
  }
  for (const auto& windows : by_user_) customer_windows += windows.size();
  if (customer_windows > sweep_at_) sweep(caps);
  return std::nullopt;
}

void RateCaps::sweep(const Caps& caps) {
  std::size_t left = 0;
  for (std::size_t k = 0; k < kRateCapCount; ++k) {
    auto& windows = by_user_[k];
    for (auto it = windows.begin(); it != windows.end();) {
      expire(it->second, now_, caps[k].window_ms);
      it = it->second.sent.empty() ? windows.erase(it) : std::next(it);
    }
    left += windows.size();
  }
  sweep_at_ = std::max<std::size_t>(1024, 2 * left);
}

std::size_t RateCaps::memory_bytes() const {
  std::size_t bytes = 0;
  for (const Window& window : overall_) bytes += window.sent.size() * sizeof(window.sent.front());
  for (const auto& windows : by_user_) {
    for (const auto& [user, window] : windows) bytes += 96 + window.sent.size() * sizeof(window.sent.front());
  }
  return bytes;
}

void RateCaps::save(serial::Writer& w) const {
  w(now_, static_cast<std::uint64_t>(sweep_at_), capped_);
  for (const Window& window : overall_) w(window.sent);
  for (const auto& windows : by_user_) {
    std::vector<Symbol> users;
    users.reserve(windows.size());
    for (const auto& entry : windows) users.push_back(entry.first);
    std::sort(users.begin(), users.end());
    w.varint(users.size());
    for (const Symbol user : users) w(serial::sym(user), windows.at(user).sent);
  }
}

void RateCaps::load(serial::Reader& r) {
  std::uint64_t sweep_at = 0;
  r(now_, sweep_at, capped_);
  sweep_at_ = static_cast<std::size_t>(sweep_at);
  const auto sum = [&r](Window& window) {
    window.amount = 0;
    TimeMs previous = std::numeric_limits<TimeMs>::min();
    for (const auto& [at, amount] : window.sent) {
      r.check(amount >= 0 && at >= previous, "a rate cap window out of order or with a negative amount");
      previous = at;
      window.amount += amount;
    }
  };
  for (Window& window : overall_) {
    r(window.sent);
    sum(window);
  }
  for (auto& windows : by_user_) {
    windows.clear();
    const std::size_t users = r.count();
    for (std::size_t i = 0; i < users; ++i) {
      Symbol user = kNoSymbol;
      r(serial::sym(user));
      r.check(user != kNoSymbol && !windows.contains(user), "a rate cap customer twice, or under no id");
      Window& window = windows[user];
      r(window.sent);
      sum(window);
    }
  }
}

}  // namespace og
