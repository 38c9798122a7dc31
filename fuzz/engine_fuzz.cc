// libFuzzer target for the detection engine: the fuzz bytes become a stream of plausible
// order events over a few orders, users, riders and SKUs, with time jumping forwards and
// backwards (late and out-of-order arrivals, equal timestamps, duplicates). Checks that
// nothing crashes, that every incident is internally consistent, and that the same stream
// run again gives byte-identical output (the engine is a pure function of its input), and that
// a run cut at a point picked from the input, saved with snapshot(), restored and continued
// gives the same output and final state as the uninterrupted one; a snapshot corrupted behind a
// good checksum is refused or restored (and saved again), never a crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/hash.h"
#include "core/json_writer.h"
#include "engine/engine.h"
#include "events/parser.h"
#include "replay/output.h"

namespace {

#define FUZZ_CHECK(condition)                                                      \
  do {                                                                              \
    if (!(condition)) {                                                             \
      std::fprintf(stderr, "engine_fuzz: check failed: %s (line %d)\n", #condition, __LINE__); \
      std::abort();                                                                 \
    }                                                                               \
  } while (false)

constexpr std::int64_t kStartMs = 1795190400000;  // 2026-11-21T00:00:00+08:00

const char* const kTypes[] = {
    "order.created",     "order.address_changed", "order.cancelled",    "order.completed", "payment.succeeded",
    "payment.failed",    "refund.requested",      "refund.succeeded",   "refund.failed",   "stock.reserved",
    "stock.shortage",    "stock.released",        "picking.started",    "picking.completed", "rider.assigned",
    "rider.cancelled",   "rider.location",        "delivery.picked_up", "delivery.attempt_failed",
    "delivery.delivered", "complaint.filed",      "rating.submitted",   "substitution.responded", "catalog.item",
    "stock.level",       "zone.config",           "rider.status",       "user.profile",    "clock.tick"};

std::string pick(FuzzedDataProvider& data, const char* prefix, int count) {
  return std::string(prefix) + std::to_string(data.ConsumeIntegralInRange<int>(0, count - 1));
}

void items(og::JsonWriter& json, FuzzedDataProvider& data, bool priced) {
  json.key("items").begin_array();
  const int count = data.ConsumeIntegralInRange<int>(0, 3);
  for (int i = 0; i < count; ++i) {
    json.begin_object().field("sku", pick(data, "s", 4)).field("qty", data.ConsumeIntegralInRange<int>(1, 3));
    if (priced) json.field("unit_price", data.ConsumeIntegralInRange<int>(0, 2000));
    if (data.ConsumeBool()) json.key("expires_at").integer(kStartMs + data.ConsumeIntegralInRange<std::int64_t>(0, 400'000'000));
    json.end_object();
  }
  json.end_array();
}

// One event as an NDJSON line; `clock_ms` moves mostly forward, sometimes back (late events).
std::string next_event(FuzzedDataProvider& data, std::int64_t& clock_ms, int serial) {
  clock_ms += data.ConsumeIntegralInRange<std::int64_t>(-30'000, 900'000);
  const char* type = kTypes[data.ConsumeIntegralInRange<std::size_t>(0, std::size(kTypes) - 1)];
  std::string line;
  og::JsonWriter json(line);
  // Ids repeat now and then: duplicates, sometimes across orders.
  const int id = data.ConsumeIntegralInRange<int>(0, 9) == 0 ? data.ConsumeIntegralInRange<int>(0, serial) : serial;
  json.begin_object().field("id", "e" + std::to_string(id)).field("type", type).key("ts").integer(clock_ms);
  const std::string t(type);
  if (t.rfind("order.", 0) == 0 || t.rfind("payment.", 0) == 0 || t.rfind("refund.", 0) == 0 || t == "stock.reserved" ||
      t == "stock.shortage" || t == "stock.released" || t.rfind("picking.", 0) == 0 || t == "rider.assigned" ||
      t == "rider.cancelled" || t == "rider.location" || t.rfind("delivery.", 0) == 0 || t == "complaint.filed" ||
      t == "rating.submitted" || t == "substitution.responded") {
    json.field("order_id", pick(data, "O", 6));
  }
  const auto position = [&](const char* lat, const char* lng) {
    json.key(lat).number(40.0 + data.ConsumeIntegralInRange<int>(0, 100) * 0.0005);
    json.key(lng).number(116.3 + data.ConsumeIntegralInRange<int>(0, 100) * 0.0005);
  };
  if (t == "order.created" || t == "order.address_changed") {
    if (t == "order.created") {
      json.field("user_id", pick(data, "U", 3)).field("amount", data.ConsumeIntegralInRange<int>(0, 150000));
      json.field("kind", data.PickValueInArray({"grocery", "errand", "mall"}));
      json.field("payment_method", data.ConsumeBool() ? "online" : "cod");
      json.field("zone", "Z1").field("community", pick(data, "C", 2));
      if (data.ConsumeBool()) json.key("promise_at").integer(clock_ms + data.ConsumeIntegralInRange<int>(0, 5'400'000));
      if (data.ConsumeBool()) json.key("slot_start").integer(clock_ms + data.ConsumeIntegralInRange<int>(0, 7'200'000));
      if (data.ConsumeBool()) {
        json.key("coupon").begin_object().field("code", "C1").field("discount", data.ConsumeIntegralInRange<int>(0, 3000));
        json.field("min_spend", data.ConsumeIntegralInRange<int>(0, 5000)).key("expires_at").integer(clock_ms - 1000 + data.ConsumeIntegralInRange<int>(0, 2000));
        json.end_object();
      }
      items(json, data, true);
    }
    json.key("address").begin_object();
    if (data.ConsumeBool()) json.field("text", "清河小区");
    if (data.ConsumeBool()) json.field("building", "3");
    if (data.ConsumeBool()) position("lat", "lng");
    json.end_object();
  } else if (t == "order.cancelled") {
    json.field("by", data.PickValueInArray({"user", "merchant", "rider", "system"}));
  } else if (t == "payment.succeeded") {
    json.field("amount", data.ConsumeIntegralInRange<int>(0, 150000)).field("txn_id", pick(data, "T", 3));
  } else if (t.rfind("refund.", 0) == 0) {
    json.field("refund_id", pick(data, "RF", 2));
  } else if (t == "stock.shortage" || t == "substitution.responded") {
    json.field("sku", pick(data, "s", 4));
    if (t == "substitution.responded") json.field("substitute_sku", pick(data, "s", 4)).field("accepted", data.ConsumeBool());
  } else if (t == "picking.completed") {
    items(json, data, false);
  } else if (t == "rider.assigned" || t == "rider.cancelled" || t == "delivery.picked_up" || t == "delivery.delivered") {
    json.field("rider_id", pick(data, "R", 3));
  } else if (t == "rider.location") {
    json.field("rider_id", pick(data, "R", 3));
    position("lat", "lng");
  } else if (t == "delivery.attempt_failed") {
    json.field("reason", data.PickValueInArray({"no_answer", "wrong_address", "refused", "other"}));
  } else if (t == "complaint.filed") {
    json.field("kind", data.PickValueInArray({"damaged", "quality", "wrong_item", "missing_item", "expired", "other"}));
  } else if (t == "rating.submitted") {
    json.field("score", data.ConsumeIntegralInRange<int>(1, 5));
  } else if (t == "catalog.item") {
    json.field("sku", pick(data, "s", 4)).field("price", data.ConsumeIntegralInRange<int>(0, 2000));
    json.field("reorder_point", data.ConsumeIntegralInRange<int>(0, 20));
  } else if (t == "stock.level") {
    json.field("sku", pick(data, "s", 4)).field("available", data.ConsumeIntegralInRange<int>(0, 30));
  } else if (t == "zone.config") {
    json.field("zone", "Z1").field("radius_m", data.ConsumeIntegralInRange<int>(0, 5000));
    position("lat", "lng");
  } else if (t == "rider.status") {
    json.field("rider_id", pick(data, "R", 3)).field("zone", "Z1").field("online", data.ConsumeBool());
  } else if (t == "user.profile") {
    json.field("user_id", pick(data, "U", 3)).field("tier", data.ConsumeBool() ? "vip" : "normal");
  }
  json.end_object();
  return line;
}

struct Outputs {
  std::string incidents;
  std::string commands;
  std::string state;
  bool operator==(const Outputs&) const = default;
};

Outputs outputs_of(const og::Engine& engine) {
  return Outputs{og::incidents_ndjson(engine, engine.interner()), og::commands_ndjson(engine), engine.snapshot()};
}

// Half of the inputs run with rate caps that bite (policy.rate_caps), so that their windows are
// state the snapshot has to carry.
og::RulesConfig config_for(bool tight_caps) {
  og::RulesConfig config;
  if (!tight_caps) return config;
  og::HandlingConfig handling = *config.handling;
  for (og::RateCap& cap : handling.policies.rate_caps) cap = og::RateCap{2, 2000, 20 * og::kMinuteMs};
  config.handling = std::make_shared<const og::HandlingConfig>(std::move(handling));
  return config;
}

Outputs run(const std::vector<std::string>& lines, bool tight_caps) {
  og::Engine engine{config_for(tight_caps)};
  og::EventParser parser(engine.interner());
  for (const std::string& line : lines) {
    if (parser.parse(line, engine.staging_event())) engine.ingest_staged();
  }
  engine.finish();
  std::size_t open = 0;
  for (const og::Incident& incident : engine.incidents().all()) {
    FUZZ_CHECK(incident.id.size() == 20);
    FUZZ_CHECK((incident.resolution != og::Resolution::kNone) == (incident.status == og::IncidentStatus::kResolved));
    if (incident.status == og::IncidentStatus::kResolved) FUZZ_CHECK(incident.resolved_at >= incident.detected_at);
    if (incident.status == og::IncidentStatus::kRetracted) FUZZ_CHECK(incident.retracted_at >= incident.detected_at);
    if (!incident.is_closed()) ++open;
    FUZZ_CHECK(incident.priority >= 0 && incident.priority <= 100);
    FUZZ_CHECK(incident.subject != og::kNoSymbol);
  }
  FUZZ_CHECK(open == engine.incidents().open_count());
  return outputs_of(engine);
}

void feed(og::Engine& engine, const std::vector<std::string>& lines, std::size_t from, std::size_t to) {
  og::EventParser parser(engine.interner());
  for (std::size_t i = from; i < to; ++i) {
    if (parser.parse(lines[i], engine.staging_event())) engine.ingest_staged();
  }
}

// Cut before line `cut` (lines.size() + 1: after finish()), save, restore, continue.
void check_snapshot(const std::vector<std::string>& lines, const Outputs& expected, std::uint64_t pick, bool tight_caps) {
  const std::size_t cut = pick % (lines.size() + 2);
  og::Engine first{config_for(tight_caps)};
  feed(first, lines, 0, std::min(cut, lines.size()));
  if (cut > lines.size()) first.finish();
  const std::string bytes = first.snapshot();
  auto restored = og::Engine::restore(bytes);
  FUZZ_CHECK(restored.has_value());
  FUZZ_CHECK((*restored)->snapshot() == bytes);
  if (cut < lines.size()) feed(**restored, lines, cut, lines.size());
  if (cut <= lines.size()) (*restored)->finish();
  FUZZ_CHECK(outputs_of(**restored) == expected);

  // A corrupt value behind a good checksum (what the checksum exists to catch): restore()
  // refuses it with a message or builds an engine it can snapshot again; never a crash. (Such
  // an engine is not run on: a snapshot whose checksum matches is trusted, docs/snapshots.md.)
  std::string corrupt = bytes;
  const std::size_t at = 32 + (pick >> 8) % (corrupt.size() - 32);
  corrupt[at] = static_cast<char>(corrupt[at] ^ static_cast<char>(((pick >> 40) & 0xff) | 1));
  const std::uint64_t h = og::hash64(std::string_view(corrupt).substr(32));
  for (int i = 0; i < 8; ++i) corrupt[24 + i] = static_cast<char>((h >> (8 * i)) & 0xff);
  auto damaged = og::Engine::restore(corrupt);
  if (!damaged) {
    FUZZ_CHECK(damaged.error().rfind("snapshot: ", 0) == 0);
    return;
  }
  (void)(*damaged)->snapshot();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider data(bytes, size);
  std::vector<std::string> lines;
  std::int64_t clock_ms = kStartMs;
  for (int serial = 0; data.remaining_bytes() > 0 && serial < 400; ++serial) lines.push_back(next_event(data, clock_ms, serial));
  // The cut point comes from the whole input, so the corpus keeps its meaning.
  const std::uint64_t pick = og::hash64(std::string_view(reinterpret_cast<const char*>(bytes), size));
  const bool tight_caps = (pick >> 63) != 0;
  const Outputs first = run(lines, tight_caps);
  FUZZ_CHECK(run(lines, tight_caps) == first);
  check_snapshot(lines, first, pick, tight_caps);
  return 0;
}
