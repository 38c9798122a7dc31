#include "synthetic_stream.h"

#include <fmt/format.h>

#include <array>
#include <queue>
#include <random>
#include <vector>

#include "core/json_writer.h"

namespace og::bench {
namespace {

constexpr std::int64_t kStartMs = 1795190400000;  // 2026-11-21T00:00:00+08:00
constexpr int kLifetimeSteps = 15;
// Offsets of each lifecycle step from creation, in seconds.
constexpr std::array<std::int64_t, kLifetimeSteps> kStepOffsetS = {0,    30,   120,  300,  900,  1000, 1300, 1400,
                                                                   1500, 1600, 1700, 1800, 1900, 2000, 2100};
constexpr std::int64_t kLifetimeMs = 2100 * 1000;

struct Next {
  std::int64_t ts;
  std::uint64_t order;
  int step;
  bool operator>(const Next& other) const { return ts != other.ts ? ts > other.ts : order > other.order; }
};

void write_event(std::string& out, const Next& next, std::mt19937_64& random) {
  const std::string order = fmt::format("G{:08d}", next.order);
  const std::string id = fmt::format("{}-{}", order, next.step);
  JsonWriter json(out);
  json.begin_object().field("id", id);
  const auto items = [&](bool with_price) {
    json.key("items").begin_array();
    for (int i = 0; i < 10; ++i) {
      json.begin_object().field("sku", fmt::format("sku-{:04d}", (next.order * 7 + i * 13) % 5000)).field("qty", 1 + i % 3);
      if (with_price) json.field("unit_price", 100 + i * 10).field("category", "vegetable");
      json.end_object();
    }
    json.end_array();
  };
  const char* types[kLifetimeSteps] = {"order.created",     "payment.succeeded", "stock.reserved",    "picking.started",
                                       "picking.completed", "rider.assigned",    "delivery.picked_up", "rider.location",
                                       "rider.location",    "rider.location",    "rider.location",    "rider.location",
                                       "rider.location",    "delivery.delivered", "order.completed"};
  json.field("type", types[next.step]).key("ts").time_utc(next.ts).field("order_id", order);
  const std::int64_t amount = 12000;
  switch (next.step) {
    case 0: {
      json.field("user_id", fmt::format("U{}", next.order % 200000)).field("zone", "Z1").field("community", fmt::format("C{}", next.order % 500));
      json.key("address").begin_object().field("text", "清河小区3号楼2单元501").field("building", "3").field("room", "501");
      json.key("lat").number(40.03).key("lng").number(116.33).end_object();
      items(true);
      json.field("amount", amount).key("promise_at").time_utc(next.ts + 3000 * 1000);
      break;
    }
    case 1: json.field("amount", amount).field("txn_id", fmt::format("T{}", next.order)); break;
    case 4: items(false); break;
    case 5:
    case 6:
    case 13: json.field("rider_id", fmt::format("R{}", next.order % 3000)); break;
    default:
      if (next.step >= 7 && next.step <= 12) {
        std::uniform_real_distribution<double> jitter(-0.0005, 0.0005);
        json.field("rider_id", fmt::format("R{}", next.order % 3000));
        json.key("lat").number(40.0 + 0.004 * (next.step - 7) + jitter(random));
        json.key("lng").number(116.3 + 0.004 * (next.step - 7) + jitter(random));
      }
  }
  json.end_object();
  out.push_back('\n');
}

}  // namespace

struct StreamGenerator::Impl {
  StreamShape shape;
  std::mt19937_64 random;
  std::int64_t interval_us = 1;
  std::uint64_t started = 0;
  std::int64_t last_ts = 0;
  std::priority_queue<Next, std::vector<Next>, std::greater<>> pending;
};

StreamGenerator::StreamGenerator(const StreamShape& shape) : impl_(new Impl) {
  impl_->shape = shape;
  impl_->random.seed(shape.seed);
  impl_->interval_us = std::max<std::int64_t>(1, kLifetimeMs * 1000 / static_cast<std::int64_t>(shape.open_orders));
}

StreamGenerator::~StreamGenerator() { delete impl_; }

bool StreamGenerator::warmed_up() const { return impl_->last_ts >= kStartMs + kLifetimeMs; }

std::uint64_t StreamGenerator::fill(std::string& out, std::uint64_t max_events) {
  Impl& s = *impl_;
  std::uint64_t written = 0;
  while (written < max_events) {
    const std::int64_t next_start = kStartMs + static_cast<std::int64_t>(s.started) * s.interval_us / 1000;
    if (s.pending.empty() || next_start <= s.pending.top().ts) {
      for (int step = 0; step < kLifetimeSteps; ++step) s.pending.push(Next{next_start + kStepOffsetS[step] * 1000, s.started, step});
      ++s.started;
      continue;
    }
    const Next next = s.pending.top();
    s.pending.pop();
    s.last_ts = next.ts;
    write_event(out, next, s.random);
    ++written;
  }
  return written;
}

}  // namespace og::bench
