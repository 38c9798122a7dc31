// sim/render: turns the world's compact steps and master-data records into event JSON
// (docs/spec/EVENTS.md) at the moment they are emitted, so nothing is rendered ahead of time.
// Owns: the wire form of simulated events, event ids and time styles.
// Depends on: sim/order_plan, sim/world_model, core (JSON writing, time).
#pragma once

#include <cstdint>
#include <string>

#include "core/time.h"
#include "events/event_type.h"
#include "sim/order_plan.h"
#include "sim/world_model.h"

namespace og::sim {

// How a time is written: RFC 3339 in Beijing time, RFC 3339 in UTC, or epoch milliseconds.
enum class TimeStyle : std::uint8_t { kBeijing, kUtc, kEpochMs };

void append_time(std::string& out, TimeMs time_ms, TimeStyle style);

// Master data and clock events (no order).
struct MasterEvent {
  TimeMs ts = 0;
  EventType type = EventType::kClockTick;
  std::uint32_t index = 0;   // sku, zone or rider
  std::int64_t value = 0;    // price or available quantity
  bool online = true;        // rider.status
  std::uint64_t serial = 0;  // makes the id
};

// "<order id>.<nnn>": fixed width, so string order is (order, step) order.
void append_step_id(std::string& out, const OrderPlan& plan, std::size_t step_index);

void render_step(std::string& out, const WorldModel& world, const OrderPlan& plan, std::size_t step_index, TimeStyle style);
void render_master(std::string& out, const WorldModel& world, const MasterEvent& event, TimeStyle style);

}  // namespace og::sim
