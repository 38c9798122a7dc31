#include "handling/notify.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/serial.h"

namespace og {

std::string render_template(std::string_view text, const std::vector<std::pair<std::string_view, std::string>>& values) {
  std::string out;
  out.reserve(text.size() + 32);
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('{', i);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(text.substr(i, open - i));
    const std::string_view name = text.substr(open + 1, close - open - 1);
    bool found = false;
    for (const auto& [key, value] : values) {
      if (key == name) {
        out += value;
        found = true;
        break;
      }
    }
    if (!found) out.append(text.substr(open, close - open + 1));
    i = close + 1;
  }
  out.append(text.substr(i));
  return out;
}

std::string yuan(std::int64_t minor_units) {
  const bool negative = minor_units < 0;
  const std::uint64_t value = negative ? 0 - static_cast<std::uint64_t>(minor_units) : static_cast<std::uint64_t>(minor_units);
  const std::uint64_t fen = value % 100;
  std::string out = fmt::format("{}{}", negative ? "-" : "", value / 100);
  if (fen != 0) out += fen % 10 == 0 ? fmt::format(".{}", fen / 10) : fmt::format(".{:02}", fen);
  return out;
}

std::string_view notify_verdict_name(NotifyVerdict verdict) {
  switch (verdict) {
    case NotifyVerdict::kSend: return "send";
    case NotifyVerdict::kDuplicate: return "duplicate";
    case NotifyVerdict::kOverHourlyLimit: return "over_hourly_limit";
  }
  return "send";
}

NotifyVerdict NotifyLimiter::admit(std::uint64_t recipient, std::uint64_t content, std::uint64_t sender, TimeMs at,
                                   std::int64_t max_per_hour) {
  const NotifyVerdict verdict = check(recipient, content, sender, at, max_per_hour);
  if (verdict == NotifyVerdict::kSend) record(recipient, content, sender, at);
  return verdict;
}

NotifyVerdict NotifyLimiter::check(std::uint64_t recipient, std::uint64_t content, std::uint64_t sender, TimeMs at,
                                   std::int64_t max_per_hour) {
  if (contents_.contains(content)) return NotifyVerdict::kDuplicate;
  std::deque<Sent>& sent = sent_[recipient];
  // The hour that ends at `at` is (at - 1h, at].
  while (!sent.empty() && sent.front().at <= at - kHourMs) sent.pop_front();
  const auto by_others = std::count_if(sent.begin(), sent.end(), [&](const Sent& s) { return s.sender != sender; });
  if (by_others >= max_per_hour) return NotifyVerdict::kOverHourlyLimit;
  return NotifyVerdict::kSend;
}

void NotifyLimiter::record(std::uint64_t recipient, std::uint64_t content, std::uint64_t sender, TimeMs at) {
  sent_[recipient].push_back(Sent{at, sender});
  contents_.insert(content);
}

std::size_t NotifyLimiter::memory_bytes() const {
  std::size_t bytes = contents_.size() * 32;
  for (const auto& [recipient, sent] : sent_) bytes += 64 + sent.size() * sizeof(Sent);
  return bytes;
}

void NotifyLimiter::save(serial::Writer& w) const {
  std::vector<std::uint64_t> recipients;
  recipients.reserve(sent_.size());
  for (const auto& entry : sent_) recipients.push_back(entry.first);
  std::sort(recipients.begin(), recipients.end());
  w.varint(recipients.size());
  for (const std::uint64_t recipient : recipients) {
    const std::deque<Sent>& sent = sent_.at(recipient);
    w(recipient);
    w.varint(sent.size());
    for (const Sent& s : sent) w(s.at, s.sender);
  }
  std::vector<std::uint64_t> contents(contents_.begin(), contents_.end());
  std::sort(contents.begin(), contents.end());
  w(contents);
}

void NotifyLimiter::load(serial::Reader& r) {
  sent_.clear();
  contents_.clear();
  const std::size_t recipients = r.count();
  for (std::size_t i = 0; i < recipients; ++i) {
    std::uint64_t recipient = 0;
    r(recipient);
    r.check(!sent_.contains(recipient), "a notification recipient twice");
    std::deque<Sent>& sent = sent_[recipient];
    const std::size_t count = r.count();
    for (std::size_t j = 0; j < count; ++j) {
      Sent& s = sent.emplace_back();
      r(s.at, s.sender);
    }
  }
  std::vector<std::uint64_t> contents;
  r(contents);
  contents_.insert(contents.begin(), contents.end());
  r.check(contents_.size() == contents.size(), "a notification content twice");
}

}  // namespace og
