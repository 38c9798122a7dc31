// sim/world: the simulated platform answering OrderGuard's commands (docs/spec/INCIDENTS.md
// "Automatic handling"): a `payment.retry` comes back as a payment result, a `refund.issue`
// as refund events, a `rider.reassign` as a new assignment ... after realistic delays and
// with realistic failure rates. Seeded and idempotent: the same command id always gets the
// same answer, and a command id seen before gets none (receivers dedupe on it).
// Used by loop/closed_loop (simulate --closed-loop); the demo will use it too.
// Owns: the command model and the responder. Depends on: core (time, JSON), sim/render.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/time.h"

namespace og::sim {

struct Command {
  std::string id;        // idempotent: derived from the incident and the step
  std::string name;      // payment.retry, refund.issue, rider.reassign, order.substitute, ...
  std::string order_id;
  TimeMs at = 0;         // event time it was issued
  // Parameters, named as in docs/spec/INTERFACES.md; empty or -1 when not given.
  std::int64_t amount = -1;
  std::int64_t qty = -1;
  std::string sku;
  std::string substitute_sku;
  std::string rider_id;
  std::string channel;
  std::string template_name;
  std::string to;
  std::string reason;
  // picking.redo: what the order needs picked, as (sku, qty), after the substitutions the
  // customer accepted. The warehouse knows its orders; empty when the caller does not.
  std::vector<std::pair<std::string, std::int64_t>> items;
};

// One event the world will emit, already rendered as an NDJSON line (with its newline).
struct WorldEvent {
  TimeMs ts = 0;
  std::string type;
  std::string json;
};

struct ResponderConfig {
  double payment_retry_success = 0.7;
  double refund_success = 0.95;
  double reassign_success = 0.9;
  double substitute_accept = 0.8;
  double cancel_success = 0.99;
  double release_success = 0.97;
  double redo_success = 0.95;  // a re-pick that ends with the right items reported
  std::size_t max_remembered_commands = 1 << 20;  // idempotency memory (oldest forgotten first)
};

class CommandResponder {
 public:
  explicit CommandResponder(std::uint64_t seed, ResponderConfig config = {});

  // The events that answer `command`, in ts order, all after command.at. Empty for a command
  // id answered before, and for commands the world only acknowledges (notify, coupon.issue ...).
  std::vector<WorldEvent> respond(const Command& command);

  std::uint64_t answered() const { return answered_; }

 private:
  std::uint64_t seed_;
  ResponderConfig config_;
  std::unordered_set<std::string> seen_;
  std::vector<std::string> seen_order_;  // FIFO bound for seen_
  std::size_t seen_head_ = 0;
  std::uint64_t answered_ = 0;
};

}  // namespace og::sim
