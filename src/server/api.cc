#include "server/api.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <fmt/format.h>
#include <simdjson.h>

#include "audit/chain.h"
#include "core/json_writer.h"
#include "core/whole_number.h"
#include "people/people.h"
#include "replay/measures.h"
#include "replay/output.h"
#include "rules/config.h"
#include "server/event_body.h"
#include "server/incident_list.h"
#include "server/overload.h"
#include "server/static_files.h"
#include "validate/validate.h"

namespace og::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// ---- requests ---------------------------------------------------------------------------

struct Target {
  std::string path;  // decoded, for messages and the dashboard's files
  std::vector<std::string> segments;  // split first, then each decoded: an id may hold '/' (%2F)
  std::map<std::string, std::string, std::less<>> query;
  std::string repeated;  // the first query key given more than once (empty: none)
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// '+' is a space only in a query (application/x-www-form-urlencoded); in a path it is itself.
std::string url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

Target parse_target(std::string_view target) {
  Target out;
  const std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  out.path = url_decode(path, false);
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const std::size_t slash = path.find('/');
    out.segments.push_back(url_decode(path.substr(0, slash), false));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  if (question == std::string_view::npos) return out;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t equals = pair.find('=');
    if (!pair.empty()) {
      std::string key = url_decode(pair.substr(0, equals), true);
      std::string value = equals == std::string_view::npos ? "" : url_decode(pair.substr(equals + 1), true);
      if (!out.query.try_emplace(key, std::move(value)).second && out.repeated.empty()) out.repeated = std::move(key);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

// The people's actions on an incident (POST /v1/incidents/{id}/ACTION), with the event each
// becomes and the fields it takes, as named in the agent.* events (docs/spec/EVENTS.md).
struct IncidentActionSpec {
  std::string_view type;
  std::vector<std::string_view> fields;
};
const std::map<std::string_view, IncidentActionSpec>& incident_actions() {
  static const std::map<std::string_view, IncidentActionSpec> kActions{
      {"ack", {"agent.ack", {}}},
      {"resolve", {"agent.resolve", {"resolution_code", "note"}}},
      {"escalate", {"agent.escalate", {"reason"}}},
      {"reassign", {"agent.reassign", {"to"}}},
      {"comment", {"agent.comment", {"text"}}},
      {"false_positive", {"agent.false_positive", {}}},
  };
  return kActions;
}

// A JSON request body: an object of allow-listed fields, read with simdjson's DOM (bodies
// here are small: actions, agents).
class Body {
 public:
  // Errors: "body: not a JSON object ...".
  static tl::expected<Body, std::string> parse(const std::string& text) {
    Body body;
    body.padded_ = simdjson::padded_string(text);
    auto error = body.parser_->parse(body.padded_).get(body.root_);
    if (error || !body.root_.is_object()) return tl::unexpected(std::string("body: not a JSON object (") + (error ? simdjson::error_message(error) : "another JSON value") + ")");
    return body;
  }
  std::optional<std::string> string(std::string_view key) const {
    std::string_view value;
    if (root_[key].get_string().get(value)) return std::nullopt;
    return std::string(value);
  }
  bool has(std::string_view key) const { return !root_[key].error(); }
  // Only for a key has() found: value_unsafe() of a missing key is undefined (it crashed).
  simdjson::dom::element raw(std::string_view key) const { return root_[key].value_unsafe(); }
  // Every key of the object, to refuse the unknown ones.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    simdjson::dom::object object;
    if (root_.get_object().get(object)) return out;
    for (const auto field : object) out.emplace_back(field.key);
    return out;
  }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_ = std::make_unique<simdjson::dom::parser>();
  simdjson::padded_string padded_;
  simdjson::dom::element root_;
};

// ---- answers ----------------------------------------------------------------------------

Reply reply(Response response) { return Reply{std::move(response), nullptr}; }
Reply error(unsigned status, std::string_view code, std::string_view message) {
  return reply(error_response(status, code, message));
}
Reply json(std::string body, unsigned status = 200) { return reply(json_response(status, std::move(body))); }

// A query parameter the endpoint does not take, answered 400 with the ones it does: ignored,
// a misspelt filter (`?stauts=open`) would give an answer that only looks right. So would one
// given twice (`?status=escalated&status=resolved`): each filter takes one value.
std::optional<Reply> bad_parameters(const Target& target, std::initializer_list<std::string_view> known) {
  if (!target.repeated.empty()) {
    return error(400, "repeated_parameter",
                 "query parameter `" + target.repeated + "` is given more than once; each takes one value: give it once");
  }
  for (const auto& [key, value] : target.query) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const std::string_view name : known) list += (list.empty() ? "" : ", ") + std::string(name);
    return error(400, "unknown_parameter",
                 "unknown query parameter `" + key + "`; " + (list.empty() ? "this endpoint takes none" : "known: " + list));
  }
  return std::nullopt;
}

// Runs `submit(done)` and resumes the awaiting coroutine with what `done` is given, on the
// coroutine's own executor (the service calls `done` on its thread). Not a coroutine
// itself: g++ 12 destroys lambda arguments of coroutines twice.
template <class Result, class Submit>
asio::awaitable<Result> on_engine(Submit submit) {
  return asio::async_initiate<const asio::use_awaitable_t<>, void(Result)>(
      [](auto handler, Submit work) {
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        work([shared, executor](Result result) mutable {
          asio::post(executor, [shared, result = std::move(result)]() mutable { (*shared)(std::move(result)); });
        });
      },
      asio::use_awaitable, std::move(submit));
}

// A read of the engine that builds an answer there.
template <class Fn>
asio::awaitable<Reply> read_engine(Service& service, Fn fn) {
  return on_engine<Reply>([&service, fn = std::move(fn)](auto done) mutable {
    service.read([fn = std::move(fn), done = std::move(done)](const Engine& engine) mutable { done(fn(engine)); });
  });
}

template <class Enum, class NameOf>
std::optional<Enum> enum_from(std::string_view name, std::size_t count, NameOf name_of) {
  for (std::size_t i = 0; i < count; ++i) {
    if (name_of(static_cast<Enum>(i)) == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

std::string names_of(std::size_t count, const std::function<std::string_view(std::size_t)>& name_of) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += ", ";
    out += name_of(i);
  }
  return out;
}

void append_case_json(JsonWriter& json, const people::Case& record) {
  json.begin_object();
  json.field("status", people::case_status_name(record.status));
  if (!record.assignee.empty()) json.field("assignee", record.assignee);
  json.key("escalated_at").time_utc(record.escalated_at);
  json.key("sla_deadline").time_utc(record.sla_deadline_ms);
  json.field("sla_breached", record.sla_breached);
  if (record.acknowledged_at) json.key("acknowledged_at").time_utc(*record.acknowledged_at);
  if (record.first_handled_at) json.key("first_handled_at").time_utc(*record.first_handled_at);
  if (!record.escalated.cause.empty()) json.field("cause", record.escalated.cause);
  if (!record.resolution_code.empty()) json.field("resolution_code", record.resolution_code);
  if (!record.resolution_note.empty()) json.field("resolution_note", record.resolution_note);
  if (!record.closed_by.empty()) json.field("closed_by", record.closed_by);
  json.key("comments").begin_array();
  for (const people::Comment& comment : record.comments) {
    json.begin_object().field("agent_id", comment.agent_id).key("at").time_utc(comment.at).field("text", comment.text).end_object();
  }
  json.end_array();
  json.end_object();
}

void append_action_json(JsonWriter& json, const people::Action& action) {
  json.begin_object();
  json.field("seq", static_cast<std::int64_t>(action.seq));
  json.key("at").time_utc(action.at);
  json.field("kind", people::action_kind_name(action.kind));
  if (!action.actor.empty()) json.field("actor", action.actor);
  if (!action.target.empty()) json.field("target", action.target);
  if (!action.code.empty()) json.field("code", action.code);
  if (!action.text.empty()) json.field("text", action.text);
  json.end_object();
}

}  // namespace

// ---- the API ----------------------------------------------------------------------------

struct Api::Impl {
  Impl(Service& s, TokenCheck& t, ApiLimits l, std::unique_ptr<store::Store> r)
      : service(s), tokens(t), limits(l), reader(std::move(r)) {
    auto& requests = prometheus::BuildCounter().Name("orderguard_http_requests_total").Help("HTTP requests by answer class").Register(*registry);
    for (const char* code : {"2xx", "4xx", "5xx"}) request_counters.emplace(code, &requests.Add({{"code", code}}));
    events_total = &prometheus::BuildCounter().Name("orderguard_events_total").Help("Event lines received over HTTP, by outcome").Register(*registry).Add({});
    auto& gauges = prometheus::BuildGauge().Name("orderguard_state").Help("Service and engine state").Register(*registry);
    for (const char* name : {"open_incidents", "incidents", "orders", "commands", "journal_records", "journal_groups",
                             "snapshots", "queued_jobs", "last_commit_ms", "watermark_ms", "engine_memory_bytes",
                             "store_errors", "escalations"}) {
      state_gauges.emplace(name, &gauges.Add({{"name", name}}));
    }
    auto& capped = prometheus::BuildGauge().Name("orderguard_rate_capped").Help("Commands a rate cap held back (their incidents went to people), by cap").Register(*registry);
    for (std::size_t kind = 0; kind < kRateCapCount; ++kind) {
      rate_capped_gauges[kind] = &capped.Add({{"cap", std::string(rate_cap_name(static_cast<RateCapKind>(kind)))}});
    }
  }

  asio::awaitable<Reply> route(Request& request, const Target& target);
  // Who the request's token speaks for, or the 401 that says what is wrong with it.
  std::optional<Reply> authenticate(const Request& request, Identity& who);
  Reply me(const Identity& who);

  asio::awaitable<Reply> post_events(Request& request, bool may_act_for_people);
  asio::awaitable<Reply> list_incidents(const Target& target);
  asio::awaitable<Reply> get_incident(std::string id);
  asio::awaitable<Reply> incident_action(std::string id, std::string_view action, const Request& request, Identity who);
  asio::awaitable<Reply> get_order(std::string id, const Target& target, const Identity& who);
  asio::awaitable<Reply> unmask_order(std::string id, const Request& request, const Identity& who);
  // The order's clear customer data, once an audit link of kind `unmask` is durable.
  asio::awaitable<UnmaskResult> unmask(std::string id, const Identity& who, std::string reason);
  asio::awaitable<Reply> get_rules();
  asio::awaitable<Reply> put_rules(const Request& request);
  asio::awaitable<Reply> post_agent(const Request& request);
  asio::awaitable<Reply> agent_duty(std::string id, const Request& request);
  asio::awaitable<Reply> agent_queue(std::string id);
  asio::awaitable<Reply> list_agents();
  asio::awaitable<Reply> kpis();
  asio::awaitable<Reply> validate(const Request& request);
  asio::awaitable<Reply> metrics();
  asio::awaitable<Reply> stream(const Target& target);
  asio::awaitable<Reply> send_agent_event(std::string event_json, std::string incident_id);
  Reply audit_status(bool verify_now);
  Reply order_trail(const std::string& order_id);

  Service& service;
  TokenCheck& tokens;
  ApiLimits limits;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::map<std::string, prometheus::Counter*> request_counters;
  prometheus::Counter* events_total = nullptr;
  std::map<std::string, prometheus::Gauge*> state_gauges;
  std::mutex reader_mutex;
  std::unique_ptr<store::Store> reader;
  std::shared_ptr<const StaticFiles> files;
  Overload* overload = nullptr;
  std::map<std::string, prometheus::Gauge*> overload_gauges;
  std::array<prometheus::Gauge*, kRateCapCount> rate_capped_gauges{};
};

Api::Api(Service& service, TokenCheck& tokens, ApiLimits limits, std::unique_ptr<store::Store> reader)
    : impl_(std::make_unique<Impl>(service, tokens, limits, std::move(reader))) {}
Api::~Api() = default;

void Api::serve_files(std::shared_ptr<const StaticFiles> files) { impl_->files = std::move(files); }

namespace {

Response too_busy(const Refusal& refusal) {
  Response busy = error_response(429, "overloaded", refusal.message);
  busy.set(http::field::retry_after, std::to_string(refusal.retry_after_s));
  return busy;
}

}  // namespace

void Api::watch_memory(Overload& overload) {
  impl_->overload = &overload;
  auto& gauges = prometheus::BuildGauge().Name("orderguard_overload").Help("Memory cap, request bodies held and ingest refused (docs/serve.md)").Register(*impl_->registry);
  for (const char* name : {"memory_cap_bytes", "memory_high_water_bytes", "resident_bytes", "body_budget_bytes",
                           "body_bytes_held", "body_bytes_held_max", "ingest_refused_bodies", "ingest_refused_memory"}) {
    impl_->overload_gauges.emplace(name, &gauges.Add({{"name", name}}));
  }
}

std::optional<Response> Api::hold_body(const http::request_header<>& header, std::size_t bytes) {
  Overload* overload = impl_->overload;
  if (overload == nullptr) return std::nullopt;
  const std::string_view target = header.target();
  const bool ingest = header.method() == http::verb::post && target.starts_with("/v1/events") &&
                      (target.size() == 10 || target[10] == '?');
  if (ingest) {
    if (auto refused = overload->memory_refusal()) return too_busy(*refused);
  }
  if (auto refused = overload->hold(bytes, !ingest)) return too_busy(*refused);
  return std::nullopt;
}

asio::awaitable<Reply> Api::handle(Request& request) {
  const Target target = parse_target(request.target());
  Reply answer = co_await impl_->route(request, target);
  const unsigned status = answer.response.result_int();
  const char* klass = status < 400 ? "2xx" : status < 500 ? "4xx" : "5xx";
  impl_->request_counters[klass]->Increment();
  co_return answer;
}

std::optional<Reply> Api::Impl::authenticate(const Request& request, Identity& who) {
  const std::string_view header = request[http::field::authorization];
  constexpr std::string_view kBearer = "Bearer ";
  if (header.empty()) return error(401, "unauthorized", "send Authorization: Bearer TOKEN (create one with `orderguard tokens create`)");
  if (header.size() <= kBearer.size() || !boost::beast::iequals(header.substr(0, kBearer.size()), kBearer)) {
    return error(401, "unauthorized", "the Authorization header must be `Bearer TOKEN`");
  }
  const auto identity = tokens.identify(header.substr(kBearer.size()));
  if (!identity) return error(401, "unauthorized", "the token is unknown or revoked");
  who = *identity;
  return std::nullopt;
}

// GET /v1/me: any valid token learns its role (and the agent it acts as), so that a client
// offers only what it may do.
Reply Api::Impl::me(const Identity& who) {
  std::string out;
  JsonWriter writer(out);
  writer.begin_object().field("role", role_name(who.role));
  if (!who.agent_id.empty()) writer.field("agent_id", who.agent_id);
  writer.end_object();
  return json(std::move(out));
}

asio::awaitable<Reply> Api::Impl::route(Request& request, const Target& target) {
  const std::vector<std::string_view> parts(target.segments.begin(), target.segments.end());
  const http::verb verb = request.method();
  const auto method_not_allowed = [&](std::string_view allowed) {
    Reply answer = error(405, "method_not_allowed", "use " + std::string(allowed) + " on " + target.path);
    answer.response.set(http::field::allow, allowed);
    return answer;
  };
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "readyz")) {
    if (parts[0] == "readyz" && !service.ready()) co_return error(503, "not_ready", "recovering the journal");
    if (parts[0] == "readyz" && overload != nullptr && overload->memory_high()) {
      Reply busy = error(503, "overloaded", "resident memory is above the high-water mark of --max-memory: ingest is refused, reads go on");
      busy.response.set(http::field::retry_after, "5");
      co_return busy;
    }
    co_return json("{\"status\":\"ok\"}");
  }
  if (parts.size() == 1 && parts[0] == "metrics") co_return co_await metrics();
  if (files && verb == http::verb::get) if (auto found = files->serve(target.path)) co_return reply(std::move(*found));
  if (parts.empty() || parts[0] != "v1") co_return error(404, "not_found", "no such path: " + target.path + " (the API is under /v1)");

  // Every /v1 call needs a token, an unknown path or method too: 401 comes first.
  Identity who;
  if (auto unknown = authenticate(request, who)) co_return std::move(*unknown);
  const auto need = [&](Role role) -> std::optional<Reply> {
    if (role_allows(who.role, role)) return std::nullopt;
    return error(403, "forbidden", "this needs the role " + std::string(role_name(role)) + "; the token has " + std::string(role_name(who.role)));
  };
  const std::size_t n = parts.size();
  if (n == 2 && parts[1] == "me") {
    if (verb != http::verb::get) co_return method_not_allowed("GET");
    co_return me(who);
  }
  if (n == 2 && parts[1] == "events") {
    if (verb != http::verb::post) co_return method_not_allowed("POST");
    if (auto denied = need(Role::kIngest)) co_return std::move(*denied);
    co_return co_await post_events(request, who.role == Role::kAdmin);
  }
  if (n >= 2 && parts[1] == "incidents") {
    if (n == 2) {
      if (verb != http::verb::get) co_return method_not_allowed("GET");
      if (auto denied = need(Role::kViewer)) co_return std::move(*denied);
      co_return co_await list_incidents(target);
    }
    if (n == 3) {
      if (verb != http::verb::get) co_return method_not_allowed("GET");
      if (auto denied = need(Role::kViewer)) co_return std::move(*denied);
      if (auto bad = bad_parameters(target, {})) co_return std::move(*bad);
      co_return co_await get_incident(std::string(parts[2]));
    }
    if (n == 4) {
      // An action nobody has is 404 whatever the method (405 would say it exists).
      if (!incident_actions().contains(parts[3])) {
        co_return error(404, "not_found", "no action `" + std::string(parts[3]) + "`; actions: ack, resolve, escalate, reassign, comment, false_positive");
      }
      if (verb != http::verb::post) co_return method_not_allowed("POST");
      if (auto denied = need(Role::kAgent)) co_return std::move(*denied);
      co_return co_await incident_action(std::string(parts[2]), parts[3], request, who);
    }
  }
  if (n == 4 && parts[1] == "orders" && parts[3] == "trail") {
    if (verb != http::verb::get) co_return method_not_allowed("GET");
    if (auto denied = need(Role::kViewer)) co_return std::move(*denied);
    co_return order_trail(std::string(parts[2]));
  }
  if (n >= 2 && parts[1] == "audit") {
    if (n == 2 && verb == http::verb::get) {
      if (auto denied = need(Role::kSupervisor)) co_return std::move(*denied);
      co_return audit_status(false);
    }
    if (n == 3 && parts[2] == "verify" && verb == http::verb::post) {
      if (auto denied = need(Role::kSupervisor)) co_return std::move(*denied);
      co_return audit_status(true);
    }
    co_return error(404, "not_found", "audit: GET /v1/audit or POST /v1/audit/verify");
  }
  if (n == 4 && parts[1] == "orders" && parts[3] == "unmask") {
    if (verb != http::verb::post) co_return method_not_allowed("POST");
    if (auto denied = need(Role::kSupervisor)) co_return std::move(*denied);
    co_return co_await unmask_order(std::string(parts[2]), request, who);
  }
  if (n == 3 && parts[1] == "orders") {
    if (verb != http::verb::get) co_return method_not_allowed("GET");
    if (auto denied = need(Role::kViewer)) co_return std::move(*denied);
    co_return co_await get_order(std::string(parts[2]), target, who);
  }
  if (n == 2 && parts[1] == "stream") {
    if (verb != http::verb::get) co_return method_not_allowed("GET");
    if (auto denied = need(Role::kViewer)) co_return std::move(*denied);
    if (auto bad = bad_parameters(target, {"type"})) co_return std::move(*bad);
    co_return co_await stream(target);
  }
  if (n == 2 && parts[1] == "rules") {
    if (verb == http::verb::get) {
      if (auto denied = need(Role::kAdmin)) co_return std::move(*denied);
      co_return co_await get_rules();
    }
    if (verb == http::verb::put) {
      if (auto denied = need(Role::kAdmin)) co_return std::move(*denied);
      co_return co_await put_rules(request);
    }
    co_return method_not_allowed("GET, PUT");
  }
  if (n >= 2 && parts[1] == "agents") {
    if (n == 2) {
      if (verb == http::verb::post) {
        if (auto denied = need(Role::kSupervisor)) co_return std::move(*denied);
        co_return co_await post_agent(request);
      }
      if (verb == http::verb::get) {
        if (auto denied = need(Role::kViewer)) co_return std::move(*denied);
        co_return co_await list_agents();
      }
      co_return method_not_allowed("GET, POST");
    }
    // An agent acts on their own agent only; a supervisor on anyone's.
    const auto own_agent = [&](std::string_view what) -> std::optional<Reply> {
      if (auto denied = need(Role::kAgent)) return denied;
      if (who.role != Role::kAgent || who.agent_id == parts[2]) return std::nullopt;
      return error(403, "forbidden", "an agent " + std::string(what) + " (this token acts as " + who.agent_id + ")");
    };
    if (n == 4 && parts[3] == "duty") {
      if (verb != http::verb::post) co_return method_not_allowed("POST");
      // Agents declare their own on/off duty (INCIDENTS.md "People").
      if (auto denied = own_agent("sets only their own duty")) co_return std::move(*denied);
      co_return co_await agent_duty(std::string(parts[2]), request);
    }
    if (n == 4 && parts[3] == "queue") {
      if (verb != http::verb::get) co_return method_not_allowed("GET");
      if (auto denied = own_agent("sees only their own queue")) co_return std::move(*denied);
      co_return co_await agent_queue(std::string(parts[2]));
    }
  }
  if (n == 2 && parts[1] == "validate") {
    if (verb != http::verb::post) co_return method_not_allowed("POST");
    // The order system asks before placing an order: its ingest token may, as may people.
    if (auto denied = need(Role::kIngest)) {
      if (auto also = need(Role::kViewer)) co_return std::move(*also);
    }
    co_return co_await validate(request);
  }
  if (n == 2 && parts[1] == "kpis") {
    if (verb != http::verb::get) co_return method_not_allowed("GET");
    if (auto denied = need(Role::kViewer)) co_return std::move(*denied);
    if (auto bad = bad_parameters(target, {})) co_return std::move(*bad);
    co_return co_await kpis();
  }
  co_return error(404, "not_found", "no such endpoint: " + std::string(request.method_string()) + " " + target.path);
}

// ---- POST /v1/events ----------------------------------------------------------------------

asio::awaitable<Reply> Api::Impl::post_events(Request& request, bool may_act_for_people) {
  // A compressed body would be journaled as bytes no line of it could be read from.
  if (const auto encoding = request[http::field::content_encoding]; !encoding.empty() && !boost::beast::iequals(encoding, "identity")) {
    co_return error(415, "unsupported_encoding",
                    "Content-Encoding " + std::string(encoding) + " is not taken: send the events uncompressed");
  }
  std::string body = std::move(request.body());
  join_one_event(body);  // one pretty-printed event: one line, before it is journaled
  const std::size_t lines = ndjson_lines(body);
  if (lines > limits.max_batch_lines) {
    co_return error(413, "batch_too_large",
                    "the batch has " + std::to_string(lines) + " lines; the limit is " + std::to_string(limits.max_batch_lines) +
                        ": split it");
  }
  if (service.queued() > 0 && service.queued_bytes() + body.size() > limits.max_queued_bytes) {
    Reply busy = error(429, "overloaded", "the engine has too much waiting; send this again after Retry-After seconds");
    busy.response.set(http::field::retry_after, std::to_string(retry_after_seconds(service.queued_bytes() + body.size(), service.drain_bytes_per_s())));
    co_return busy;
  }
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [this, body = std::move(body), may_act_for_people](auto done) mutable {
    service.ingest(std::move(body), std::move(done), may_act_for_people);
  };
  const IngestResult result = co_await on_engine<IngestResult>(std::move(work));
  if (!result.store_error.empty()) co_return error(503, "store_unavailable", result.store_error);
  events_total->Increment(static_cast<double>(result.lines));
  std::string out;
  JsonWriter writer(out);
  writer.begin_object();
  writer.field("accepted", static_cast<std::int64_t>(result.accepted));
  writer.field("duplicates", static_cast<std::int64_t>(result.duplicates));
  writer.field("late", static_cast<std::int64_t>(result.late));
  writer.field("rejected", static_cast<std::int64_t>(result.rejected));
  writer.key("errors").begin_array();
  for (const std::string& message : result.errors) {
    // "line N: field: what" -> {"line":N,"message":"..."}
    std::int64_t line = 0;
    const std::string_view text = message;
    if (text.starts_with("line ")) std::from_chars(text.data() + 5, text.data() + text.size(), line);
    writer.begin_object().field("line", line).field("message", message).end_object();
  }
  writer.end_array();
  // The journal record that holds the batch; the stream's ": seq N" comment follows what it caused.
  writer.field("seq", static_cast<std::int64_t>(result.seq));
  // Nothing usable at all is a bad request; a batch with some bad lines is not.
  const bool none_usable = result.accepted + result.duplicates == 0;
  if (none_usable) {
    writer.key("error").begin_object().field("code", "invalid_events");
    writer.field("message", result.lines == 0 ? std::string("the body held no event: send NDJSON, one event per line")
                                              : "none of the " + std::to_string(result.lines) + " lines is a valid event: see errors");
    writer.end_object();
  }
  writer.end_object();
  co_return json(std::move(out), none_usable ? 400 : 200);
}

// ---- incidents --------------------------------------------------------------------------

asio::awaitable<Reply> Api::Impl::list_incidents(const Target& target) {
  IncidentFilter filter;
  const auto get = [&](std::string_view key) -> std::string {
    const auto it = target.query.find(key);
    return it == target.query.end() ? std::string() : it->second;
  };
  if (auto bad = bad_parameters(target, {"status", "severity", "type", "zone", "community", "subject", "order_id", "limit", "cursor"})) {
    co_return std::move(*bad);
  }
  if (const std::string status = get("status"); !status.empty()) {
    filter.status = enum_from<IncidentStatus>(status, 6, incident_status_name);
    if (!filter.status) co_return error(400, "bad_parameter", "status: `" + status + "` is not one of " + names_of(6, [](std::size_t i) { return incident_status_name(static_cast<IncidentStatus>(i)); }));
  }
  if (const std::string severity = get("severity"); !severity.empty()) {
    filter.severity = enum_from<Severity>(severity, kSeverityCount, severity_name);
    if (!filter.severity) co_return error(400, "bad_parameter", "severity: `" + severity + "` is not one of low, medium, high");
  }
  if (const std::string type = get("type"); !type.empty()) {
    filter.type = enum_from<IncidentType>(type, kIncidentTypeCount, incident_type_name);
    if (!filter.type) co_return error(400, "bad_parameter", "type: `" + type + "` is not an incident type (see INCIDENTS.md)");
  }
  filter.zone = get("zone");
  filter.community = get("community");
  filter.subject = get("subject");
  filter.order = get("order_id");
  std::size_t limit = std::min(limits.default_page, limits.max_page);  // --max-page bounds the default too
  if (const std::string text = get("limit"); !text.empty()) {
    const auto parsed = whole_number<std::size_t>(text);
    if (!parsed || *parsed == 0 || *parsed > limits.max_page) {
      co_return error(400, "bad_parameter", "limit: a whole number from 1 to " + std::to_string(limits.max_page));
    }
    limit = *parsed;
  }
  PageStart start;
  if (const std::string text = get("cursor"); !text.empty()) {
    const auto parsed = parse_page_cursor(text);
    if (!parsed) co_return error(400, "bad_parameter", "cursor: use the next_cursor of the previous page");
    start = *parsed;
  }
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [filter, limit, start](const Engine& engine) {
    return json(incident_page(engine, filter, start, limit));
  };
  co_return co_await read_engine(service, std::move(work));
}

namespace {

// "timeline": the order's milestones, incidents, commands and people's actions, by time (the
// order's answer, and an incident's about an order).
void write_order_timeline(JsonWriter& writer, const Engine& engine, const OrderView& order, std::string_view id) {
  struct Entry {
    TimeMs at;
    std::string json;
  };
  std::vector<Entry> timeline;
  for (const auto& [name, at] : order.milestones) {
    std::string entry;
    JsonWriter(entry).begin_object().key("at").time_utc(at).field("kind", "milestone").field("name", name).end_object();
    timeline.push_back({at, std::move(entry)});
  }
  std::vector<std::string> incident_ids;
  for (const Incident& incident : engine.incidents().all()) {
    if (engine.interner().view(incident.order) != id) continue;
    incident_ids.push_back(incident.id);
    std::string body;
    append_incident_json(body, incident, engine.interner());
    std::string entry;
    JsonWriter(entry).begin_object().key("at").time_utc(incident.detected_at).field("kind", "incident").key("incident").raw(body).end_object();
    timeline.push_back({incident.detected_at, std::move(entry)});
  }
  for (const Command& command : engine.commands()) {
    if (command.order_id != id) continue;
    std::string entry;
    JsonWriter(entry).begin_object().key("at").time_utc(command.at).field("kind", "command").key("command").raw(command_json(command)).end_object();
    timeline.push_back({command.at, std::move(entry)});
  }
  for (const people::Action& action : engine.desk_actions()) {
    if (std::find(incident_ids.begin(), incident_ids.end(), action.incident_id) == incident_ids.end()) continue;
    std::string entry;
    JsonWriter person(entry);
    person.begin_object().key("at").time_utc(action.at).field("kind", "person").field("incident_id", action.incident_id).key("action");
    append_action_json(person, action);
    person.end_object();
    timeline.push_back({action.at, std::move(entry)});
  }
  std::stable_sort(timeline.begin(), timeline.end(), [](const Entry& a, const Entry& b) { return a.at < b.at; });
  writer.key("timeline").begin_array();
  for (const Entry& entry : timeline) writer.raw(entry.json);
  writer.end_array();
}

}  // namespace

asio::awaitable<Reply> Api::Impl::get_incident(std::string id) {
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [id](const Engine& engine) {
    const Incident* incident = const_cast<IncidentLog&>(engine.incidents()).find_by_id(id);
    if (incident == nullptr) return error(404, "not_found", "no incident " + id);
    std::string out;
    JsonWriter writer(out);
    writer.begin_object().key("incident");
    std::string body;
    append_incident_json(body, *incident, engine.interner());
    writer.raw(body);
    writer.key("commands").begin_array();
    for (const Command& command : engine.commands()) {
      if (command.incident_id == id) writer.raw(command_json(command));
    }
    writer.end_array();
    // The order's timeline (INTERFACES.md: "the incident with the order's timeline"), and its
    // other incidents.
    if (incident->order != kNoSymbol) {
      const std::string order_id(engine.interner().view(incident->order));
      if (const std::optional<OrderView> order = engine.order_view(order_id)) write_order_timeline(writer, engine, *order, order_id);
      writer.key("order_incidents").begin_array();
      for (const Incident& other : engine.incidents().all()) {
        if (other.order == incident->order && other.index != incident->index) {
          body.clear();
          append_incident_json(body, other, engine.interner());
          writer.raw(body);
        }
      }
      writer.end_array();
    }
    const people::PeopleDesk& desk = engine.desk();
    if (const people::Case* record = desk.find_case(id)) {
      writer.key("case");
      append_case_json(writer, *record);
    }
    writer.key("desk_actions").begin_array();
    for (const people::Action& action : engine.desk_actions()) {
      if (action.incident_id == id) append_action_json(writer, action);
    }
    writer.end_array();
    writer.key("similar").begin_array();
    if (auto similar = desk.similar_cases(id, 5)) {
      for (const people::SimilarCase& other : *similar) {
        writer.begin_object().field("incident_id", other.incident_id).field("distance", other.distance);
        writer.field("ended", people::case_status_name(other.ended)).field("resolution_code", other.resolution_code);
        writer.field("resolution_note", other.resolution_note).field("closed_by", other.closed_by);
        writer.field("handling_ms", other.handling_ms).end_object();
      }
    }
    writer.end_array();
    writer.end_object();
    return json(std::move(out));
  };
  co_return co_await read_engine(service, std::move(work));
}

asio::awaitable<Reply> Api::Impl::send_agent_event(std::string event_json, std::string incident_id) {
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [this, event_json = std::move(event_json), incident_id](auto done) mutable {
        service.act(std::move(event_json), std::move(incident_id), std::move(done));
      };
  const ActionResult result = co_await on_engine<ActionResult>(std::move(work));
  if (result.store_failed) co_return error(503, "store_unavailable", result.error);
  if (!result.applied) {
    // The parser's "line 1: field: ..." is about the fields the client sent: a bad body. What
    // the desk refuses (an incident not at the desk, an agent off duty) is a conflict.
    std::string message = result.error;
    const bool bad_body = message.starts_with("line 1: ");
    if (bad_body) message.erase(0, 8);
    const bool missing = message.find("no incident") != std::string::npos || message.find("unknown agent") != std::string::npos;
    if (missing) co_return error(404, "not_found", message);
    co_return bad_body ? error(400, "bad_body", message) : error(409, "refused", message);
  }
  std::string out = "{\"applied\":true";
  if (!result.incident_json.empty()) out += ",\"incident\":" + result.incident_json;
  out += "}";
  co_return json(std::move(out));
}

asio::awaitable<Reply> Api::Impl::incident_action(std::string id, std::string_view action, const Request& request, Identity who) {
  const auto found = incident_actions().find(action);  // route() answered an unknown one

  auto body = Body::parse(request.body().empty() ? std::string("{}") : request.body());
  if (!body) co_return error(400, "bad_body", body.error());
  // Who acts: a token bound to an agent acts as that agent and no other.
  std::string acting = who.agent_id;
  if (body->has("agent_id")) {
    const auto given = body->string("agent_id");
    if (!given) co_return error(400, "bad_body", "agent_id: must be a string");
    if (!who.agent_id.empty() && *given != who.agent_id) {
      co_return error(403, "forbidden", "this token acts as " + who.agent_id + ", not as " + *given);
    }
    acting = *given;
  }
  if (acting.empty()) co_return error(400, "bad_body", "agent_id: required (this token is not bound to an agent)");
  {
    // An unknown incident is 404 for every role. An agent acts only on what is assigned to
    // them; anyone on duty may comment.
    auto check = [id, acting, agent = who.role == Role::kAgent, comment = action == "comment"](const Engine& engine) -> std::optional<Reply> {
      const Incident* incident = const_cast<IncidentLog&>(engine.incidents()).find_by_id(id);
      if (incident == nullptr) return error(404, "not_found", "no incident " + id);
      // Still a playbook's (or not yet anyone's): the desk has no case of it for any role.
      if (incident->status == IncidentStatus::kOpen || incident->status == IncidentStatus::kHandling) {
        return error(409, "refused", "incident " + id + " is " + std::string(incident_status_name(incident->status)) +
                                         ", handled automatically: people act on an incident once it is escalated");
      }
      if (agent && !comment && incident->assignee != acting) {
        return error(403, "forbidden", "incident " + id + " is not assigned to " + acting + "; a supervisor can act on it");
      }
      return std::nullopt;
    };
    auto work = [this, check = std::move(check)](auto done) mutable {
      service.read([check = std::move(check), done = std::move(done)](const Engine& engine) mutable { done(check(engine)); });
    };
    if (auto denied = co_await on_engine<std::optional<Reply>>(std::move(work))) co_return std::move(*denied);
  }
  std::string event;
  JsonWriter writer(event);
  writer.begin_object().field("type", found->second.type).field("incident_id", id).field("agent_id", acting);
  for (const std::string& key : body->keys()) {
    if (key == "agent_id") continue;
    const bool allowed = std::find(found->second.fields.begin(), found->second.fields.end(), key) != found->second.fields.end();
    if (!allowed) co_return error(400, "unknown_field", "`" + key + "` cannot be set by " + std::string(action) + "; it takes agent_id" + (found->second.fields.empty() ? "" : " and its own fields"));
    const auto value = body->string(key);
    if (!value) co_return error(400, "bad_body", key + ": must be a string");
    writer.field(key, *value);
  }
  writer.end_object();
  co_return co_await send_agent_event(std::move(event), std::move(id));
}

// ---- orders -----------------------------------------------------------------------------

namespace {

// The clear customer data, as an unmasking gives it (POST .../unmask, a supervisor's read).
void write_clear_customer(JsonWriter& writer, const CustomerData& data) {
  writer.key("customer").begin_object().field("masked", false);
  if (data.phone) writer.field("phone", data.phone->phone);
  if (const auto& address = data.address) {
    writer.key("address").begin_object();
    if (!address->text.empty()) writer.field("text", address->text);
    if (!address->building.empty()) writer.field("building", address->building);
    if (!address->unit.empty()) writer.field("unit", address->unit);
    if (!address->room.empty()) writer.field("room", address->room);
    writer.end_object();
  }
  writer.end_object();
}

}  // namespace

asio::awaitable<UnmaskResult> Api::Impl::unmask(std::string id, const Identity& who, std::string reason) {
  std::string actor = who.agent_id.empty() ? who.token_id : who.agent_id;
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [this, id = std::move(id), actor = std::move(actor), reason = std::move(reason)](auto done) mutable {
    service.unmask(std::move(id), std::move(actor), std::move(reason), std::move(done));
  };
  co_return co_await on_engine<UnmaskResult>(std::move(work));
}

// GET /v1/orders/{id}[?masked=true]. Phones and addresses are masked below supervisor
// (INTERFACES.md). A supervisor or an admin reads them in clear, and each such read is an
// unmasking: answered only once its audit link (kind `unmask`) is durable, as POST .../unmask
// is. `masked=true` reads the masked form and writes no link: the dashboard reads so, and
// unmasks on request with a reason (decision 44).
asio::awaitable<Reply> Api::Impl::get_order(std::string id, const Target& target, const Identity& who) {
  bool masked = !role_allows(who.role, Role::kSupervisor);
  if (auto bad = bad_parameters(target, {"masked"})) co_return std::move(*bad);
  for (const auto& [key, value] : target.query) {
    if (value != "true" && value != "false") co_return error(400, "bad_parameter", "masked: true or false");
    masked = masked || value == "true";
  }
  std::optional<CustomerData> clear;
  if (!masked) {
    UnmaskResult shown = co_await unmask(id, who, "read of the order by a " + std::string(role_name(who.role)) + " (GET /v1/orders/{id})");
    switch (shown.outcome) {
      case UnmaskResult::Outcome::kShown: clear = std::move(shown.data); break;
      case UnmaskResult::Outcome::kUnavailable: co_return error(503, "store_unavailable", shown.error);
      // No such order (the read answers 404), nothing on record, or no chain to write the
      // link to: the read shows what it may.
      case UnmaskResult::Outcome::kNotFound:
      case UnmaskResult::Outcome::kNoChain: break;
    }
  }
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [id, &service = service, clear = std::move(clear)](const Engine& engine) {
    const std::optional<OrderView> order = engine.order_view(id);
    if (!order) return error(404, "not_found", "no event of order " + id + " has been seen");
    std::string out;
    JsonWriter writer(out);
    writer.begin_object().field("order_id", id);
    if (clear) {
      write_clear_customer(writer, *clear);
    } else {
      const auto customer = service.customer(id);
      if (!customer) return error(503, "store_unavailable", customer.error());
      if (!customer->empty()) {
        writer.key("customer").begin_object().field("masked", true);
        if (customer->phone) writer.field("phone", mask_phone(customer->phone->phone));
        if (customer->address) writer.field("address", mask_address(order->community));
        writer.end_object();
      }
    }
    if (!order->user.empty()) writer.field("user_id", order->user);
    if (!order->zone.empty()) writer.field("zone", order->zone);
    if (!order->community.empty()) writer.field("community", order->community);
    if (!order->rider.empty()) writer.field("rider_id", order->rider);
    if (order->amount != kAbsent) writer.field("amount", order->amount);
    if (order->vip) writer.field("user_tier", "vip");
    if (order->promise_at != kAbsent) writer.key("promise_at").time_utc(order->promise_at);
    writer.field("state", order->milestones.empty() ? std::string_view("unknown") : order->milestones.back().first);
    write_order_timeline(writer, engine, *order, id);
    writer.end_object();
    return json(std::move(out));
  };
  co_return co_await read_engine(service, std::move(work));
}

// POST /v1/orders/{id}/unmask {"reason"}: the clear customer data, for a supervisor or an
// admin, once an audit link says who asked, for which order, which fields and why.
asio::awaitable<Reply> Api::Impl::unmask_order(std::string id, const Request& request, const Identity& who) {
  auto body = Body::parse(request.body().empty() ? std::string("{}") : request.body());
  if (!body) co_return error(400, "bad_body", body.error());
  for (const std::string& key : body->keys()) {
    if (key != "reason") co_return error(400, "unknown_field", "`" + key + "` is not a field of unmask; it takes reason");
  }
  const auto reason = body->string("reason");
  if (!reason || reason->find_first_not_of(" \t\r\n") == std::string::npos) {
    co_return error(400, "bad_body", "reason: required: say why the clear data is needed (it is written to the audit chain)");
  }
  if (reason->size() > 1000) co_return error(400, "bad_body", "reason: at most 1000 bytes");
  UnmaskResult result = co_await unmask(id, who, *reason);
  switch (result.outcome) {
    case UnmaskResult::Outcome::kNotFound: co_return error(404, "not_found", result.error);
    case UnmaskResult::Outcome::kUnavailable:
    case UnmaskResult::Outcome::kNoChain: co_return error(503, "store_unavailable", result.error);
    case UnmaskResult::Outcome::kShown: break;
  }
  std::string out;
  JsonWriter writer(out);
  writer.begin_object().field("order_id", id);
  write_clear_customer(writer, result.data);
  writer.end_object();
  co_return json(std::move(out));
}

// ---- rules ------------------------------------------------------------------------------

asio::awaitable<Reply> Api::Impl::get_rules() {
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [](const Engine& engine) {
    std::string out;
    JsonWriter writer(out);
    writer.begin_object().field("version", rules_version(engine.config())).field("toml", rules_to_toml(engine.config())).end_object();
    return json(std::move(out));
  };
  co_return co_await read_engine(service, std::move(work));
}

asio::awaitable<Reply> Api::Impl::put_rules(const Request& request) {
  std::string toml = request.body();
  // GET's answer, edited, may come back as it is: its `version` then says which rules the
  // edit was made on, and the change is refused (409) if they have changed since.
  std::optional<std::string> expected_version;
  if (!toml.empty() && toml.front() == '{') {
    auto body = Body::parse(toml);
    if (!body) co_return error(400, "bad_body", body.error());
    auto text = body->string("toml");
    if (!text) co_return error(400, "bad_body", "send the rules as TOML text, or as {\"toml\": \"...\", \"version\": \"...\"}");
    for (const std::string& key : body->keys()) {
      if (key != "toml" && key != "version") {
        co_return error(400, "unknown_field", "`" + key + "` is not a field here; send {\"toml\": \"...\", \"version\": \"...\"}");
      }
    }
    if (body->has("version")) {
      auto version = body->string("version");
      if (!version) co_return error(400, "bad_body", "version: a string, as GET /v1/rules gives it");
      expected_version = std::move(*version);
    }
    toml = std::move(*text);
  }
  // An empty body would put every rule back to its default: as likely a client's mistake as a
  // wish, so the wish has to be written (a comment line is a whole rules file of defaults).
  if (toml.find_first_not_of(" \t\r\n") == std::string::npos) {
    co_return error(400, "bad_body",
                    "empty rules: send the whole rules file (GET /v1/rules gives the current one); to go back to "
                    "every default, send a file with only a comment, such as \"# defaults\"");
  }
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [this, toml = std::move(toml), expected_version = std::move(expected_version)](auto done) mutable {
    service.replace_rules(std::move(toml), std::move(done), std::move(expected_version));
  };
  const RulesResult result = co_await on_engine<RulesResult>(std::move(work));
  if (result.stale) co_return error(409, "rules_changed", result.error);
  if (!result.applied) {
    co_return error(result.changes.empty() && result.error.starts_with("the store") ? 503 : 422, "invalid_rules", result.error);
  }
  std::string out;
  JsonWriter writer(out);
  // The version now: an editor's next PUT is made on it, not on a later GET's (which could
  // hold someone else's change and let the next edit undo it).
  writer.begin_object().field("applied", true).field("version", result.version).key("changes").begin_array();
  for (const ConfigChange& change : result.changes) {
    writer.begin_object().field("key", change.key).field("from", change.from).field("to", change.to).end_object();
  }
  writer.end_array().end_object();
  co_return json(std::move(out));
}

// ---- agents -----------------------------------------------------------------------------

asio::awaitable<Reply> Api::Impl::post_agent(const Request& request) {
  auto body = Body::parse(request.body());
  if (!body) co_return error(400, "bad_body", body.error());
  static constexpr std::array<std::string_view, 6> kFields{"agent_id", "name", "skills", "capacity", "supervisor", "on_duty"};
  std::string event;
  JsonWriter writer(event);
  writer.begin_object().field("type", "agent.joined");
  for (const std::string& key : body->keys()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      co_return error(400, "unknown_field", "`" + key + "` is not a field of an agent; fields: agent_id, name, skills, capacity, supervisor, on_duty");
    }
    writer.key(key).raw(simdjson::minify(body->raw(key)));
  }
  writer.end_object();
  co_return co_await send_agent_event(std::move(event), {});
}

asio::awaitable<Reply> Api::Impl::agent_duty(std::string id, const Request& request) {
  auto body = Body::parse(request.body());
  if (!body) co_return error(400, "bad_body", body.error());
  bool on_duty = false;
  if (!body->has("on_duty") || body->raw("on_duty").get_bool().get(on_duty)) {
    co_return error(400, "bad_body", "on_duty: true or false is required");
  }
  for (const std::string& key : body->keys()) {
    if (key != "on_duty") co_return error(400, "unknown_field", "`" + key + "` cannot be set here; send {\"on_duty\": true|false}");
  }
  std::string event;
  JsonWriter writer(event);
  writer.begin_object().field("type", "agent.duty").field("agent_id", id).field("on_duty", on_duty).end_object();
  co_return co_await send_agent_event(std::move(event), {});
}

asio::awaitable<Reply> Api::Impl::agent_queue(std::string id) {
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [id](const Engine& engine) {
    const auto queue = engine.desk().queue_of(id);
    if (!queue) return error(404, "not_found", queue.error());
    std::string out;
    JsonWriter writer(out);
    writer.begin_object().field("agent_id", id).key("items").begin_array();
    std::string body;
    for (const people::QueueEntry& entry : *queue) {
      writer.begin_object().field("incident_id", entry.incident_id).field("effective_priority", entry.effective_priority);
      if (const Incident* incident = const_cast<IncidentLog&>(engine.incidents()).find_by_id(entry.incident_id)) {
        body.clear();
        append_incident_json(body, *incident, engine.interner());
        writer.key("incident").raw(body);
      }
      writer.end_object();
    }
    writer.end_array().end_object();
    return json(std::move(out));
  };
  co_return co_await read_engine(service, std::move(work));
}

asio::awaitable<Reply> Api::Impl::list_agents() {
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [](const Engine& engine) {
    std::string out;
    JsonWriter writer(out);
    writer.begin_object().key("items").begin_array();
    for (const people::Agent& agent : engine.desk().agents()) {
      writer.begin_object().field("agent_id", agent.id).field("name", agent.name);
      writer.key("skills").begin_array();
      for (std::size_t i = 0; i < people::kSkillCount; ++i) {
        if (agent.skills.has(static_cast<people::Skill>(i))) writer.string(people::skill_name(static_cast<people::Skill>(i)));
      }
      writer.end_array();
      writer.field("capacity", agent.capacity).field("supervisor", agent.supervisor).field("on_duty", agent.on_duty);
      writer.field("free_capacity", engine.desk().free_capacity(agent.id));
      writer.end_object();
    }
    writer.end_array().end_object();
    return json(std::move(out));
  };
  co_return co_await read_engine(service, std::move(work));
}

// ---- audit ------------------------------------------------------------------------------

Reply Api::Impl::audit_status(bool verify_now) {
  if (!reader) return error(404, "not_found", "this server keeps no audit chain");
  std::lock_guard lock(reader_mutex);
  std::string out;
  JsonWriter writer(out);
  writer.begin_object().field("links", static_cast<std::int64_t>(reader->audit_count()));
  if (const auto tail = reader->audit_tail()) {
    writer.field("last_seq", static_cast<std::int64_t>(tail->first)).field("last_hash", audit::hex(tail->second));
  }
  if (auto checkpoints = reader->checkpoints(); checkpoints && !checkpoints->empty()) {
    writer.field("last_checkpoint", static_cast<std::int64_t>(checkpoints->back().seq));
    writer.field("checkpoints", static_cast<std::int64_t>(checkpoints->size()));
  }
  if (verify_now) {
    const audit::VerifyReport report = audit::verify(*reader);
    writer.field("verified", report.ok()).key("problems").begin_array();
    for (const std::string& problem : report.problems) writer.string(problem);
    writer.end_array();
  }
  writer.end_object();
  return json(std::move(out));
}

Reply Api::Impl::order_trail(const std::string& order_id) {
  if (!reader) return error(404, "not_found", "this server keeps no audit chain");
  std::lock_guard lock(reader_mutex);
  std::string out;
  JsonWriter writer(out);
  writer.begin_object().field("order_id", order_id).key("trail").begin_array();
  std::size_t count = 0;
  auto read = reader->read_audit(0, order_id, [&](store::AuditRow&& row) {
    writer.begin_object().field("seq", static_cast<std::int64_t>(row.seq)).key("at").time_utc(row.at);
    writer.field("kind", row.kind).field("subject", row.subject);
    if (!row.actor.empty()) writer.field("actor", row.actor);
    writer.key("body").raw(row.body).end_object();
    return ++count < 10'000;
  });
  writer.end_array().end_object();
  if (!read) return error(503, "store_unavailable", read.error());
  if (count == 0) return error(404, "not_found", "no trail for order " + order_id);
  return json(std::move(out));
}

// ---- pre-submit validation (docs/validate.md) ----------------------------------------------

asio::awaitable<Reply> Api::Impl::validate(const Request& request) {
  auto draft = parse_draft(request.body());
  if (!draft) co_return error(400, "bad_draft", draft.error());
  // The check time is the engine's now: the newest event time it has seen.
  auto work = [draft = std::move(*draft)](const Engine& engine) {
    const TimeMs now = engine.max_event_time() != kAbsent ? engine.max_event_time() : 0;
    return json(validation_json(validate_draft(engine, draft, now)));
  };
  co_return co_await read_engine(service, std::move(work));
}

// ---- measures ---------------------------------------------------------------------------

asio::awaitable<Reply> Api::Impl::kpis() {
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [](const Engine& engine) {
    const TimeMs now = engine.watermark() == kAbsent ? 0 : engine.watermark();
    return json(measures_json(measure_handling(engine, now)));
  };
  co_return co_await read_engine(service, std::move(work));
}

asio::awaitable<Reply> Api::Impl::metrics() {
  struct Numbers {
    double open = 0, incidents = 0, orders = 0, commands = 0, watermark = 0, memory = 0, escalations = 0;
    std::array<std::uint64_t, kRateCapCount> rate_capped{};
  };
  // Named, not a temporary inside co_await: g++ 12 destroys such temporaries twice.
  auto work = [this](auto done) {
    service.read([done = std::move(done)](const Engine& engine) mutable {
      done(Numbers{static_cast<double>(engine.incidents().open_count()), static_cast<double>(engine.incidents().all().size()),
                   static_cast<double>(engine.order_count()), static_cast<double>(engine.commands().size()),
                   static_cast<double>(engine.watermark() == kAbsent ? 0 : engine.watermark()),
                   static_cast<double>(engine.memory_usage().total()), static_cast<double>(engine.escalations().size()),
                   engine.rate_capped()});
    });
  };
  const Numbers numbers = co_await on_engine<Numbers>(std::move(work));
  const ServiceStats stats = service.stats();
  state_gauges["open_incidents"]->Set(numbers.open);
  state_gauges["incidents"]->Set(numbers.incidents);
  state_gauges["orders"]->Set(numbers.orders);
  state_gauges["commands"]->Set(numbers.commands);
  state_gauges["watermark_ms"]->Set(numbers.watermark);
  state_gauges["engine_memory_bytes"]->Set(numbers.memory);
  state_gauges["escalations"]->Set(numbers.escalations);
  state_gauges["journal_records"]->Set(static_cast<double>(stats.records));
  state_gauges["journal_groups"]->Set(static_cast<double>(stats.groups));
  state_gauges["snapshots"]->Set(static_cast<double>(stats.snapshots));
  state_gauges["queued_jobs"]->Set(static_cast<double>(service.queued()));
  state_gauges["last_commit_ms"]->Set(stats.last_commit_ms);
  state_gauges["store_errors"]->Set(static_cast<double>(stats.store_errors));
  for (std::size_t kind = 0; kind < kRateCapCount; ++kind) {
    rate_capped_gauges[kind]->Set(static_cast<double>(numbers.rate_capped[kind]));
  }
  if (overload != nullptr) {
    overload_gauges["memory_cap_bytes"]->Set(static_cast<double>(overload->limits().max_memory_bytes));
    overload_gauges["memory_high_water_bytes"]->Set(static_cast<double>(overload->limits().high_water_bytes));
    overload_gauges["resident_bytes"]->Set(static_cast<double>(overload->rss_bytes()));
    overload_gauges["body_budget_bytes"]->Set(static_cast<double>(overload->limits().body_budget_bytes));
    overload_gauges["body_bytes_held"]->Set(static_cast<double>(overload->held_bytes()));
    overload_gauges["body_bytes_held_max"]->Set(static_cast<double>(overload->held_bytes_max()));
    overload_gauges["ingest_refused_bodies"]->Set(static_cast<double>(overload->refused(OverloadReason::kBodies)));
    overload_gauges["ingest_refused_memory"]->Set(static_cast<double>(overload->refused(OverloadReason::kMemory)));
  }
  Response response{http::status::ok, 11};
  response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  response.body() = prometheus::TextSerializer().Serialize(registry->Collect());
  co_return reply(std::move(response));
}

// ---- the stream -------------------------------------------------------------------------

asio::awaitable<Reply> Api::Impl::stream(const Target& target) {
  std::optional<IncidentType> type;
  if (const auto it = target.query.find("type"); it != target.query.end()) {
    type = enum_from<IncidentType>(it->second, kIncidentTypeCount, incident_type_name);
    if (!type) co_return error(400, "bad_parameter", "type: `" + it->second + "` is not an incident type");
  }
  // Changes arrive on the engine thread; the connection drains them on its own executor.
  struct Channel {
    explicit Channel(asio::any_io_executor executor) : wake(executor, asio::steady_timer::time_point::max()) {}
    std::mutex mutex;
    std::deque<std::string> chunks;
    bool overflow = false;
    asio::steady_timer wake;
    std::uint64_t listener = 0;
  };
  auto executor = co_await asio::this_coro::executor;
  auto channel = std::make_shared<Channel>(executor);
  const std::size_t backlog = limits.max_stream_backlog;
  const std::string type_filter = type ? "\"type\":\"" + std::string(incident_type_name(*type)) + "\"" : std::string();
  channel->listener = service.subscribe([weak = std::weak_ptr<Channel>(channel), backlog, type_filter, executor](const std::vector<Change>& changes) {
    auto live = weak.lock();
    if (!live) return;
    {
      std::lock_guard lock(live->mutex);
      for (const Change& change : changes) {
        const bool sync = change.kind == Change::Kind::kSync;
        if (!sync && !type_filter.empty() && (change.kind != Change::Kind::kIncident || change.json.find(type_filter) == std::string::npos)) continue;
        if (live->chunks.size() >= backlog) {
          live->overflow = true;
          break;
        }
        if (sync) {
          // A comment (EventSource clients skip it): the journal seq everything above came from.
          live->chunks.push_back(": seq " + change.id + "\n\n");
          continue;
        }
        live->chunks.push_back(std::string("event: ") + (change.kind == Change::Kind::kIncident ? "incident" : "command") +
                               "\nid: " + change.id + "\ndata: " + change.json + "\n\n");
      }
    }
    asio::post(executor, [live] { live->wake.cancel(); });
  });
  auto events = std::make_shared<EventStream>();
  Service* owner = &service;
  events->close = [owner, channel] { owner->unsubscribe(channel->listener); };
  bool greeted = false;
  events->next = [channel, greeted](std::string& chunk) mutable -> asio::awaitable<bool> {
    if (!greeted) {
      greeted = true;
      chunk = "retry: 3000\n: connected\n\n";
      co_return true;
    }
    for (;;) {
      {
        std::lock_guard lock(channel->mutex);
        if (channel->overflow) co_return false;  // too slow: the client reconnects and reloads
        if (!channel->chunks.empty()) {
          chunk.clear();
          while (!channel->chunks.empty() && chunk.size() < (64 << 10)) {
            chunk += channel->chunks.front();
            channel->chunks.pop_front();
          }
          co_return true;
        }
      }
      // A heartbeat every 15 s finds clients that went away.
      channel->wake.expires_after(std::chrono::seconds(15));
      auto [ec] = co_await channel->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      if (!ec) {
        chunk = ": ping\n\n";
        co_return true;
      }
    }
  };
  Reply answer{Response{http::status::ok, 11}, events};
  co_return answer;
}

}  // namespace og::server
