// handling/command: one command a playbook sends to the system that owns the fix
// (docs/spec/INCIDENTS.md "Automatic handling"). OrderGuard never moves money or stock
// itself: it asks, and waits for the owner's event. Plain data, written by replay's
// --commands and read by the simulated world of the closed loop.
// Depends on: core only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"

namespace og {

inline constexpr std::int64_t kNoAmount = -1;

struct Command {
  // "cmd-" + 16 hex digits of hash(incident id, step, attempt, target): the same incident
  // and step always give the same id, so a replay or a restart never sends a second refund.
  std::string id;
  std::string name;         // payment.retry, refund.issue, notify ...
  std::string incident_id;
  std::string order_id;     // the order the command acts on ("" when none)
  TimeMs at = 0;            // event time it was emitted
  // Parameters, named as in docs/spec/INTERFACES.md; empty / kNoAmount when not given.
  std::int64_t amount = kNoAmount;  // minor units (分): refunds, coupons
  std::int64_t qty = kNoAmount;     // order.substitute, replenish.request, refund of a short quantity
  std::int64_t unit_price = kNoAmount;  // order.substitute: what the customer pays per unit
  std::string sku;
  std::string substitute_sku;
  std::vector<std::string> substitute_skus;  // notify of a substitution offer: the top 3
  std::string rider_id;
  std::string user_id;
  std::string zone;
  std::string pickup_point_id;
  std::string reference;    // the event the command is about (the duplicate payment ...)
  std::string channel;      // notify: app | sms | phone
  std::string to;           // notify: customer | rider | agent | operations
  std::string template_name;
  std::string text;         // notify: the message in Chinese
  std::string text_en;      // and in English
  std::string reason;
  std::vector<std::string> linked;  // zone.alert: the incidents of the hotspot
  // refund.issue: a refund.failed showed it moved no money, so it is no loss (decisions #60).
  // Not part of the command as sent.
  bool payout_failed = false;
};

// One line of replay --commands.
std::string command_json(const Command& command);

}  // namespace og
