#include "sim/world.h"

#include <memory>

#include "core/hash.h"
#include "core/json_writer.h"
#include "sim/random.h"
#include "sim/render.h"

namespace og::sim {

namespace {

class EventBuilder {
 public:
  EventBuilder(const Command& command, std::vector<WorldEvent>& out) : command_(command), out_(out) {}

  JsonWriter& begin(TimeMs ts, std::string_view type, std::string_view suffix) {
    WorldEvent& event = out_.emplace_back();
    event.ts = ts;
    event.type = std::string(type);
    writer_ = std::make_unique<JsonWriter>(event.json);
    writer_->begin_object();
    writer_->field("id", "w-" + command_.id + "-" + std::string(suffix));
    writer_->field("type", type);
    writer_->key("ts");
    std::string when;
    append_time(when, ts, TimeStyle::kBeijing);
    writer_->raw(when);
    writer_->field("order_id", command_.order_id);
    writer_->field("source", "world");
    return *writer_;
  }
  void end() {
    writer_->end_object();
    out_.back().json.push_back('\n');
  }

 private:
  const Command& command_;
  std::vector<WorldEvent>& out_;
  std::unique_ptr<JsonWriter> writer_;
};

}  // namespace

CommandResponder::CommandResponder(std::uint64_t seed, ResponderConfig config) : seed_(seed), config_(config) {}

std::vector<WorldEvent> CommandResponder::respond(const Command& command) {
  std::vector<WorldEvent> out;
  if (command.id.empty() || !seen_.insert(command.id).second) return out;
  seen_order_.push_back(command.id);
  if (seen_.size() > config_.max_remembered_commands) {
    seen_.erase(seen_order_[seen_head_]);
    seen_order_[seen_head_].clear();
    ++seen_head_;
    if (seen_head_ > seen_order_.size() / 2) {
      seen_order_.erase(seen_order_.begin(), seen_order_.begin() + static_cast<std::ptrdiff_t>(seen_head_));
      seen_head_ = 0;
    }
  }
  ++answered_;
  // The answer depends on the command id only, never on the order commands arrive in.
  Rng rng(derive_seed(seed_, hash64(command.id)));
  EventBuilder build(command, out);
  const auto after = [&](std::int64_t low_s, std::int64_t high_s) { return command.at + rng.range(low_s * kSecondMs, high_s * kSecondMs); };
  const std::int64_t amount = command.amount >= 0 ? command.amount : 0;

  if (command.name == "payment.retry") {
    const TimeMs at = after(5, 60);
    if (rng.chance(config_.payment_retry_success)) {
      JsonWriter& json = build.begin(at, "payment.succeeded", "pay");
      json.field("amount", amount);
      json.field("txn_id", "TR-" + command.id);
    } else {
      JsonWriter& json = build.begin(at, "payment.failed", "pay");
      json.field("code", "INSUFFICIENT_FUNDS");
      json.field("message", "余额不足");
      json.field("txn_id", "TR-" + command.id);
    }
    build.end();
  } else if (command.name == "refund.issue") {
    const TimeMs requested = after(1, 5);
    JsonWriter& request = build.begin(requested, "refund.requested", "req");
    request.field("amount", amount);
    request.field("refund_id", "RR-" + command.id);
    build.end();
    const TimeMs answer = requested + rng.range(10 * kSecondMs, 180 * kSecondMs);
    if (rng.chance(config_.refund_success)) {
      JsonWriter& json = build.begin(answer, "refund.succeeded", "ok");
      json.field("amount", amount);
      json.field("refund_id", "RR-" + command.id);
    } else {
      JsonWriter& json = build.begin(answer, "refund.failed", "fail");
      json.field("refund_id", "RR-" + command.id);
      json.field("code", "CHANNEL_DOWN");
      json.field("message", "退款通道繁忙");
    }
    build.end();
  } else if (command.name == "rider.reassign") {
    if (rng.chance(config_.reassign_success)) {
      JsonWriter& json = build.begin(after(30, 180), "rider.assigned", "rider");
      json.field("rider_id", command.rider_id.empty() ? "R-world-" + std::to_string(rng.range(1, 99)) : command.rider_id);
      build.end();
    }
  } else if (command.name == "order.substitute") {
    JsonWriter& json = build.begin(after(60, 480), "substitution.responded", "sub");
    json.field("sku", command.sku);
    json.field("substitute_sku", command.substitute_sku);
    json.field("accepted", rng.chance(config_.substitute_accept));
    build.end();
  } else if (command.name == "order.cancel") {
    if (rng.chance(config_.cancel_success)) {
      JsonWriter& json = build.begin(after(2, 20), "order.cancelled", "cancel");
      json.field("by", "system");
      json.field("reason", command.reason.empty() ? "系统取消" : command.reason);
      build.end();
    }
  } else if (command.name == "stock.release") {
    if (rng.chance(config_.release_success)) {
      JsonWriter& json = build.begin(after(5, 60), "stock.released", "release");
      json.key("items").begin_array();
      if (!command.sku.empty()) {
        json.begin_object();
        json.field("sku", command.sku);
        json.field("qty", command.qty > 0 ? command.qty : 1);
        json.end_object();
      }
      json.end_array();
      build.end();
    }
  } else if (command.name == "picking.redo") {
    const TimeMs started = after(120, 900);
    JsonWriter& json = build.begin(started, "picking.started", "redo");
    json.field("picker_id", "P-redo");
    build.end();
    // The re-pick ends with the items the order needs (when the warehouse was told them).
    if (!command.items.empty() && rng.chance(config_.redo_success)) {
      JsonWriter& done = build.begin(started + rng.range(3 * 60 * kSecondMs, 12 * 60 * kSecondMs), "picking.completed", "redone");
      done.key("items").begin_array();
      for (const auto& [sku, qty] : command.items) {
        done.begin_object();
        done.field("sku", sku);
        done.field("qty", qty);
        done.end_object();
      }
      done.end_array();
      build.end();
    }
  }
  // notify, coupon.issue, user.restrict, rider.warn, zone.alert, pickup.offer,
  // replenish.request, order.recreate: acknowledged, nothing observable in the event stream.
  return out;
}

}  // namespace og::sim
