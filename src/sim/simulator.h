// sim/simulator: `orderguard simulate`: a seeded, reproducible run of a platform's days.
// Orders arrive with meal-time peaks; each order's life is planned when it starts (sim/
// order_plan) and emitted event by event from one time-ordered queue that holds only the
// next step of each active order plus the day's master data, so memory follows the orders
// in flight, not the orders in the run. Episodes (a user who keeps cancelling, a rider who
// keeps dropping orders, a payment channel down in one community ...) plan several orders
// ahead. Truth records wait in their own queue until the stream has passed their time, then
// pass through the cross-order trackers (hotspots) and out.
// Owns: the arrival process, incident planting, the run loop. Depends on: the other sim parts.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "core/time.h"
#include "sim/stream.h"
#include "sim/truth.h"
#include "sim/world_model.h"

namespace og::sim {

struct SimConfig {
  std::uint64_t orders = 10000;
  std::uint64_t seed = 1;
  Platform platform = Platform::kGrocery;
  TimeMs start_ms = 0;               // midnight of the first simulated day, preferably
  double incident_rate = 0.05;       // share of orders with a planted exception
  double near_miss_rate = -1;        // share with a planted near miss; < 0: half the incident rate (capped at 1 - it)
  double noise_rate = 0.01;          // share of events delayed, duplicated or joined by a bad line
  std::uint64_t orders_per_day = 200000;  // a bigger run spans more days (bounded memory)
  bool exact_boundaries = true;      // near misses exactly on a deadline (see PlanRequest)
};

// Validates ranges; the message says what to change.
tl::expected<void, std::string> validate(const SimConfig& config);

struct SimStats {
  std::uint64_t orders = 0;
  std::uint64_t events = 0;               // distinct events (before noise)
  std::uint64_t lines = 0;                // lines written, noise included
  std::uint64_t duplicates = 0;
  std::uint64_t delayed = 0;
  std::uint64_t bad_lines = 0;
  std::uint64_t truth_records = 0;
  std::uint64_t planted = 0;              // orders and episodes with a planted exception
  std::uint64_t near_misses = 0;
  std::uint64_t days = 0;
  std::uint64_t peak_active_orders = 0;   // order plans alive at once
  std::uint64_t peak_queue = 0;           // pending events in the time-ordered queue
  std::uint64_t peak_pending_truth = 0;
  std::uint64_t peak_tracker_entries = 0; // cross-order rule state (sampled hourly)
  std::uint64_t clean_surprises = 0;      // clean orders the delivery checks flagged (must be 0)
  std::array<std::uint64_t, kKindCount> truth_by_type{};
  TimeMs first_ts = 0;
  TimeMs last_ts = 0;
};

// Runs the whole simulation. Lines go to `events`; truth records to `truth` when given.
SimStats simulate(const SimConfig& config, LineSink& events, LineSink* truth);

}  // namespace og::sim
