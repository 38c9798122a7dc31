// libFuzzer target for the input edge: NDJSON splitting, the event parser, RFC 3339 times,
// durations and JSON string escaping. Nothing a client sends may crash the process, what the
// parser accepts must satisfy the contract of docs/spec/EVENTS.md, and the parser's fast
// reader must agree with its general reader (same event, symbols and error) on every line.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/hash.h"
#include "core/interner.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "events/event_diff.h"
#include "events/event_type.h"
#include "events/line_state.h"
#include "events/parser.h"

namespace {

#define FUZZ_CHECK(condition)                                                                       \
  do {                                                                                              \
    if (!(condition)) {                                                                             \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition);       \
      std::abort();                                                                                 \
    }                                                                                               \
  } while (0)

constexpr og::TimeMs kYear0000 = -62167219200000;  // 0000-01-01T00:00:00.000Z
constexpr og::TimeMs kYear0001 = -62135596800000;  // 0001-01-01T00:00:00.000Z
constexpr og::TimeMs kYear9999End = 253402300799999;  // 9999-12-31T23:59:59.999Z

// The parser and its interner live across inputs, as in the server (state reuse is part of
// what is tested); they are rebuilt now and then so the interner does not grow without bound.
// A twin parser with its own interner reads every line with the general reader alone.
struct State {
  std::unique_ptr<og::Interner> interner;
  std::unique_ptr<og::EventParser> parser;
  og::Event event;
  std::unique_ptr<og::Interner> general_interner;
  std::unique_ptr<og::EventParser> general_parser;
  og::Event general_event;
  std::size_t uses = 0;

  og::EventParser& fresh_enough() {
    if (!parser || ++uses % 4096 == 0) {
      parser.reset();
      general_parser.reset();
      interner = std::make_unique<og::Interner>();
      parser = std::make_unique<og::EventParser>(*interner);
      general_interner = std::make_unique<og::Interner>();
      general_parser = std::make_unique<og::EventParser>(*general_interner);
    }
    return *parser;
  }
};

void check_time_round_trip(og::TimeMs t) {
  const std::string text = og::format_utc_ms(t);
  FUZZ_CHECK(text.size() == 24);
  FUZZ_CHECK(text[23] == 'Z');
  if (t >= kYear0001 && t <= kYear9999End) {
    const auto back = og::parse_rfc3339_ms(text);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(*back == t);
  }
}

bool in_symbol_range(const og::Interner& interner, og::Symbol symbol) { return symbol < interner.size(); }

// agent.* fields (EVENTS.md "Agent events"): filled only for agent types, within their limits.
void check_agent(const og::Event& e) {
  const og::AgentFields& a = e.agent();
  if (!og::is_agent_event(e.type)) {
    FUZZ_CHECK(a.agent_id.empty() && a.incident_id.empty() && a.name.empty() && a.to.empty() && a.text.empty() &&
               a.resolution_code.empty() && a.skills == 0 && a.capacity == og::kAbsent && !a.supervisor && !a.on_duty);
    return;
  }
  FUZZ_CHECK(!a.agent_id.empty() && a.agent_id.size() <= og::kMaxIdBytes);
  FUZZ_CHECK(a.incident_id.size() <= og::kMaxIdBytes && a.to.size() <= og::kMaxIdBytes && a.name.size() <= 128);
  FUZZ_CHECK(a.resolution_code.size() <= 64 && a.text.size() <= 2000);
  FUZZ_CHECK(a.skills < (1u << 6));
  const bool joined = e.type == og::EventType::kAgentJoined;
  FUZZ_CHECK(joined ? a.capacity >= 0 && a.capacity <= 100 : a.capacity == og::kAbsent);
  if (joined || e.type == og::EventType::kAgentDuty) {
    FUZZ_CHECK(a.incident_id.empty());
    return;
  }
  FUZZ_CHECK(!a.incident_id.empty());
  FUZZ_CHECK((e.type == og::EventType::kAgentResolve) == !a.resolution_code.empty());
  FUZZ_CHECK((e.type == og::EventType::kAgentReassign) == !a.to.empty());
  const bool has_text = e.type == og::EventType::kAgentResolve || e.type == og::EventType::kAgentEscalate ||
                        e.type == og::EventType::kAgentComment;
  FUZZ_CHECK(has_text == !a.text.empty());
}

void check_accepted(const og::Interner& interner, const og::Event& e) {
  FUZZ_CHECK(!e.id.empty());
  FUZZ_CHECK(e.id.size() <= og::kMaxIdBytes);
  FUZZ_CHECK(e.id_hash == og::hash64(e.id));
  FUZZ_CHECK(static_cast<std::size_t>(e.type) < og::kEventTypeCount);
  FUZZ_CHECK(og::event_type_from_name(og::event_type_name(e.type)) == e.type);
  if (og::event_type_needs_order(e.type)) {
    FUZZ_CHECK(e.order_id != og::kNoSymbol);
  }
  if (e.order_id != og::kNoSymbol) {
    FUZZ_CHECK(in_symbol_range(interner, e.order_id));
    const std::string_view order_id = interner.view(e.order_id);
    FUZZ_CHECK(!order_id.empty() && order_id.size() <= og::kMaxIdBytes);
  }
  for (const og::Symbol s : {e.user_id, e.merchant_id, e.zone, e.community, e.rider_id, e.sku, e.substitute_sku,
                             e.category, e.warehouse, e.code, e.coupon.code}) {
    FUZZ_CHECK(in_symbol_range(interner, s));
  }
  // Transaction and refund ids are hashes: absent (0) or odd.
  for (const std::uint64_t h : {e.txn_id, e.refund_id}) FUZZ_CHECK(h == 0 || (h & 1) == 1);
  FUZZ_CHECK(e.ts != og::kAbsent);
  check_time_round_trip(e.ts);
  for (const og::TimeMs t : {e.promise_at, e.slot_start, e.slot_end, e.coupon.expires_at}) {
    if (t != og::kAbsent) check_time_round_trip(t);
  }
  // Money and counts are never negative (kAbsent marks "not given").
  for (const std::int64_t v : {e.amount, e.requested, e.available, e.price, e.reorder_point, e.active_orders,
                               e.coupon.min_spend}) {
    FUZZ_CHECK(v == og::kAbsent || v >= 0);
  }
  FUZZ_CHECK(e.coupon.discount >= 0);
  // Money is bounded (decision 56), so what the engine adds up from it cannot overflow.
  for (const std::int64_t v : {e.amount, e.price, e.coupon.min_spend, e.coupon.discount}) {
    FUZZ_CHECK(v == og::kAbsent || v <= og::events_internal::kMaxMoney);
  }
  switch (e.type) {
    case og::EventType::kOrderCreated:
      FUZZ_CHECK(e.user_id != og::kNoSymbol);
      FUZZ_CHECK(e.amount != og::kAbsent);
      break;
    case og::EventType::kPaymentSucceeded:
      FUZZ_CHECK(e.amount != og::kAbsent && e.txn_id != og::kNoSymbol);
      break;
    case og::EventType::kRatingSubmitted:
      FUZZ_CHECK(e.score == og::kAbsent || (e.score >= 1 && e.score <= 5));  // optional (EVENTS.md)
      break;
    case og::EventType::kRiderLocation:
      FUZZ_CHECK(e.has_position);
      break;
    case og::EventType::kStockLevel:
      FUZZ_CHECK(e.sku != og::kNoSymbol && e.available != og::kAbsent);
      break;
    default:
      break;
  }
  if (e.has_position) {
    FUZZ_CHECK(e.position.lat >= -90 && e.position.lat <= 90);
    FUZZ_CHECK(e.position.lng >= -180 && e.position.lng <= 180);
  }
  if (e.address.has_position) {
    FUZZ_CHECK(e.address.position.lat >= -90 && e.address.position.lat <= 90);
    FUZZ_CHECK(e.address.position.lng >= -180 && e.address.position.lng <= 180);
  }
  FUZZ_CHECK(e.radius_m == -1 || (e.radius_m >= 0 && e.radius_m <= 1e8));
  FUZZ_CHECK(e.items.size() <= 1000);
  for (const og::Item& item : e.items) {
    FUZZ_CHECK(in_symbol_range(interner, item.sku));  // kNoSymbol too: a line may have no sku
    FUZZ_CHECK(item.qty >= 1);
    FUZZ_CHECK(item.unit_price == og::kAbsent || (item.unit_price >= 0 && item.unit_price <= og::events_internal::kMaxMoney));
    if (item.expires_at != og::kAbsent) check_time_round_trip(item.expires_at);
  }
  for (const og::PickupPoint& point : e.pickup_points()) {
    FUZZ_CHECK(point.position.lat >= -90 && point.position.lat <= 90);
    FUZZ_CHECK(point.position.lng >= -180 && point.position.lng <= 180);
  }
  for (const og::Symbol tag : e.tags()) FUZZ_CHECK(in_symbol_range(interner, tag));
  FUZZ_CHECK(e.channels().size() <= 16);
  check_agent(e);
}

void check_rejected(const std::string& error) {
  // "<field>: <what is wrong>", both parts present.
  const auto colon = error.find(": ");
  FUZZ_CHECK(colon != std::string::npos && colon > 0);
  FUZZ_CHECK(colon + 2 < error.size());
}

// The general reader alone gives the same result, event and new symbols as parse().
void check_twin(State& state, std::string_view line, const tl::expected<void, std::string>& result, std::size_t symbols_before) {
  const auto general = state.general_parser->parse_general(line, state.general_event);
  FUZZ_CHECK(result.has_value() == general.has_value());
  if (result) {
    FUZZ_CHECK(og::first_difference(state.event, state.general_event).empty());
  } else {
    FUZZ_CHECK(result.error() == general.error());
  }
  FUZZ_CHECK(state.interner->size() == state.general_interner->size());
  for (std::size_t symbol = symbols_before; symbol < state.interner->size(); ++symbol) {
    FUZZ_CHECK(state.interner->view(static_cast<og::Symbol>(symbol)) ==
               state.general_interner->view(static_cast<og::Symbol>(symbol)));
  }
}

void parse_one(State& state, std::string_view line) {
  og::EventParser& parser = state.fresh_enough();
  const std::size_t symbols_before = state.interner->size();
  const auto result = parser.parse(line, state.event);
  check_twin(state, line, result, symbols_before);
  if (result) {
    check_accepted(*state.interner, state.event);
    // Parsing is a function of the line: a second parse into the same Event agrees.
    const std::string id = state.event.id;
    const og::EventType type = state.event.type;
    const og::TimeMs ts = state.event.ts;
    const std::size_t items = state.event.items.size();
    const std::string agent_text = state.event.agent().text;
    const std::size_t symbols_again = state.interner->size();
    const auto again = parser.parse(line, state.event);
    check_twin(state, line, again, symbols_again);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(state.event.id == id && state.event.type == type && state.event.ts == ts &&
               state.event.items.size() == items && state.event.agent().text == agent_text);
  } else {
    check_rejected(result.error());
  }
}

// Escaping any valid UTF-8 text yields a JSON string that decodes back to the same text.
void check_json_string(std::string_view text) {
  if (!simdjson::validate_utf8(text.data(), text.size())) return;
  std::string escaped;
  og::append_json_string(escaped, text);
  for (const char c : escaped) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20);
  static simdjson::dom::parser parser;
  std::string_view decoded;
  FUZZ_CHECK(parser.parse(escaped).get(decoded) == simdjson::SUCCESS);
  FUZZ_CHECK(decoded == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static State state;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // 1. NDJSON: every line through the parser; numbering as an editor shows it.
  std::size_t previous = 0;
  og::for_each_line(input, [&](std::size_t number, std::string_view line) {
    FUZZ_CHECK(number > previous);
    previous = number;
    FUZZ_CHECK(line.data() >= input.data() && line.data() + line.size() <= input.data() + input.size());
    FUZZ_CHECK(line.find('\n') == std::string_view::npos);
    FUZZ_CHECK(line.find_first_not_of(" \t") != std::string_view::npos);
    // A line ends at LF, CR LF or the end of the buffer ("a\r\r\n" leaves "a\r": JSON space).
    const std::size_t end = static_cast<std::size_t>(line.data() - input.data()) + line.size();
    FUZZ_CHECK(end == input.size() || input[end] == '\n' ||
               (input[end] == '\r' && (end + 1 == input.size() || input[end + 1] == '\n')));
    parse_one(state, line);
  });
  // 2. The whole input as one HTTP body / Kafka message.
  parse_one(state, input);

  // 3. Times: whatever parses formats to the canonical form and parses back.
  if (const auto t = og::parse_rfc3339_ms(input)) {
    // Years 0000..9999 shifted by an offset of at most 23:59.
    FUZZ_CHECK(*t >= kYear0000 - 24 * og::kHourMs && *t <= kYear9999End + 24 * og::kHourMs);
    check_time_round_trip(*t);
  } else {
    FUZZ_CHECK(!t.error().empty());
  }
  // Any 64-bit value formats without undefined behaviour.
  if (size >= sizeof(og::TimeMs)) {
    og::TimeMs raw = 0;
    std::memcpy(&raw, data, sizeof raw);
    check_time_round_trip(raw);
    std::string json;
    og::JsonWriter(json).begin_object().key("t").time_utc(raw).end_object();
    FUZZ_CHECK(json.size() == 32);
  }

  // 4. Durations: non-negative, and format_duration is read back exactly.
  if (const auto d = og::parse_duration_ms(input)) {
    FUZZ_CHECK(*d >= 0);
    const auto back = og::parse_duration_ms(og::format_duration(*d));
    FUZZ_CHECK(back.has_value() && *back == *d);
  } else {
    FUZZ_CHECK(!d.error().empty());
  }

  // 5. JSON string escaping.
  if (size <= 4096) check_json_string(input);
  return 0;
}
