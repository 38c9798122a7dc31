// bench/synthetic_stream: a steady-state stream of realistic grocery orders for benchmarks,
// generated deterministically. Every order has 10 items and lives ~35 minutes through 15
// events (created, paid, reserved, picking started/completed, rider assigned, picked up, 6
// GPS pings, delivered, completed); orders start at a rate that keeps `open_orders` alive.
#pragma once

#include <cstdint>
#include <string>

namespace og::bench {

struct StreamShape {
  std::uint64_t open_orders = 100000;
  std::uint64_t seed = 1;
};

// Writes events in ts order, a chunk at a time, so any size fits in memory. Orders start at a
// steady rate; once `warmed_up()`, every order that is alive is counted in open_orders.
class StreamGenerator {
 public:
  explicit StreamGenerator(const StreamShape& shape);
  ~StreamGenerator();
  // Appends up to `max_events` NDJSON lines to `out`; returns how many it wrote.
  std::uint64_t fill(std::string& out, std::uint64_t max_events);
  bool warmed_up() const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace og::bench
