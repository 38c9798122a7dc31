// handling/notify: notification text and the limits on sending it (docs/spec/INCIDENTS.md
// "Automatic handling": at most a configurable number per customer per hour, never two
// identical ones). Pure: time comes in with every call. Depends on: core.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/time.h"

namespace og {

namespace serial {
class Writer;
class Reader;
}  // namespace serial

// Replaces every {name} in `text` by its value; unknown names stay as they are.
std::string render_template(std::string_view text, const std::vector<std::pair<std::string_view, std::string>>& values);

// "12.5" from 1250 分: money as people read it.
std::string yuan(std::int64_t minor_units);

enum class NotifyVerdict : std::uint8_t { kSend, kDuplicate, kOverHourlyLimit };
std::string_view notify_verdict_name(NotifyVerdict verdict);

class NotifyLimiter {
 public:
  // `recipient` identifies who receives it (a customer, a rider ...), `content` what it says
  // (template, channel, the order and the rendered text), `sender` the incident that sends
  // it. The hourly limit counts what *other* incidents sent the recipient: it decides whether
  // an incident may start talking to a customer, not whether it may follow up (the SMS after
  // the app message, the call after that: one conversation the spec lays out). Counts it when
  // it may go out.
  NotifyVerdict admit(std::uint64_t recipient, std::uint64_t content, std::uint64_t sender, TimeMs at, std::int64_t max_per_hour);
  // admit() in two halves, for a caller with another limit to ask in between: the verdict
  // (it forgets times outside the hour), then counting a notification that went out.
  NotifyVerdict check(std::uint64_t recipient, std::uint64_t content, std::uint64_t sender, TimeMs at, std::int64_t max_per_hour);
  void record(std::uint64_t recipient, std::uint64_t content, std::uint64_t sender, TimeMs at);
  std::size_t memory_bytes() const;
  // Snapshots (docs/snapshots.md): what was sent, in key order; load() replaces it.
  void save(serial::Writer& w) const;
  void load(serial::Reader& r);

 private:
  struct Sent {
    TimeMs at = 0;
    std::uint64_t sender = 0;
  };
  std::unordered_map<std::uint64_t, std::deque<Sent>> sent_;  // per recipient, within the hour
  std::unordered_set<std::uint64_t> contents_;
};

}  // namespace og
