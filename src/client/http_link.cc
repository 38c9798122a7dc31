#include "client/http_link.h"

#include <charconv>
#include <stdexcept>
#include <thread>

#include <simdjson.h>

#include "core/json_writer.h"
#include "events/event_type.h"
#include "people/people.h"

namespace og::client {

namespace {

std::string_view text_of(simdjson::dom::element object, std::string_view key) {
  std::string_view value;
  if (object[key].get_string().get(value)) return {};
  return value;
}

std::int64_t number_of(simdjson::dom::element object, std::string_view key, std::int64_t otherwise) {
  std::int64_t value = 0;
  if (object[key].get_int64().get(value)) return otherwise;
  return value;
}

TimeMs time_of(simdjson::dom::element object, std::string_view key) {
  const std::string_view text = text_of(object, key);
  if (text.empty()) return kAbsent;
  const auto parsed = parse_rfc3339_ms(text);
  return parsed ? *parsed : kAbsent;
}

IncidentType type_of(std::string_view name) { return incident_type_from_name(name).value_or(IncidentType::kCount); }

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

}  // namespace

std::string agent_event_json(const Event& e) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.field("id", e.id);
  json.field("type", event_type_name(e.type));
  json.key("ts").integer(e.ts);
  const AgentFields& a = e.agent();
  if (!a.incident_id.empty()) json.field("incident_id", a.incident_id);
  json.field("agent_id", a.agent_id);
  switch (e.type) {
    case EventType::kAgentJoined:
      if (!a.name.empty()) json.field("name", a.name);
      json.key("skills").begin_array();
      for (std::size_t i = 0; i < people::kSkillCount; ++i) {
        if ((a.skills >> i) & 1U) json.string(people::skill_name(static_cast<people::Skill>(i)));
      }
      json.end_array();
      json.field("capacity", a.capacity);
      json.field("supervisor", a.supervisor);
      json.field("on_duty", a.on_duty);
      break;
    case EventType::kAgentDuty: json.field("on_duty", a.on_duty); break;
    case EventType::kAgentResolve:
      json.field("resolution_code", a.resolution_code);
      json.field("note", a.text);
      break;
    case EventType::kAgentReassign: json.field("to", a.to); break;
    case EventType::kAgentEscalate: json.field("reason", a.text); break;
    case EventType::kAgentComment: json.field("text", a.text); break;
    default: break;
  }
  json.end_object();
  return out;
}

HttpLink::HttpLink(HttpLinkOptions options) : options_(std::move(options)) {}

HttpLink::~HttpLink() {
  if (stream_) stream_->stop();
}

tl::expected<std::unique_ptr<HttpLink>, std::string> HttpLink::open(HttpLinkOptions options) {
  std::unique_ptr<HttpLink> link(new HttpLink(std::move(options)));
  HttpLink* self = link.get();
  link->client_ = std::make_unique<HttpClient>(link->options_.endpoint, link->options_.token);
  link->stream_ = std::make_unique<StreamReader>(
      link->options_.endpoint, link->options_.token, "/v1/stream",
      [self](std::string_view event, std::string_view data) { self->on_message(event, data); },
      [self] {
        std::lock_guard lock(self->mutex_);
        self->connected_ = true;
        self->connected_signal_.notify_all();
      },
      [self](std::string error) {
        std::lock_guard lock(self->mutex_);
        if (!error.empty()) self->stream_error_ = std::move(error);
        else if (self->stream_error_.empty()) self->stream_error_ = "the event stream ended";
        self->connected_signal_.notify_all();
      });
  std::unique_lock lock(link->mutex_);
  // The greeting is the server's first chunk; a stream that fails says so through on_end.
  link->connected_signal_.wait(lock, [&] { return link->connected_ || !link->stream_error_.empty(); });
  if (!link->connected_) return tl::unexpected(link->stream_error_);
  lock.unlock();
  return link;
}

// ---- sending ----------------------------------------------------------------------------

void HttpLink::append(std::string_view line, TimeMs ts) {
  batch_.append(line);
  batch_.push_back('\n');
  ++batch_lines_;
  if (ts != kAbsent && (newest_ == kAbsent || ts > newest_)) newest_ = ts;
  // The batch's span counts from the time reached when it began (a bad line has no time).
  if (batch_start_ == kAbsent) batch_start_ = newest_;
}

IngestOutcome HttpLink::ingest_staged(std::string_view line) {
  append(line, staging_.ts);
  return IngestOutcome::kAccepted;  // the server's answer counts it
}

IngestOutcome HttpLink::ingest(const Event& event, std::string_view line) {
  if (line.empty()) {
    line_ = agent_event_json(event);
    line = line_;
  }
  append(line, event.ts);
  return IngestOutcome::kAccepted;
}

void HttpLink::unparsed_line(std::string_view line) { append(line, kAbsent); }

void HttpLink::advance_watermark(TimeMs time_ms) {
  // A server moves event time with events: a clock.tick. One not newer than what was sent
  // changes nothing (as advance_watermark on an engine), so it is not sent.
  if (newest_ != kAbsent && time_ms <= newest_) return;
  std::string line = "{\"id\":\"demo-tick-" + std::to_string(time_ms) + "\",\"type\":\"clock.tick\",\"ts\":" + std::to_string(time_ms) + "}";
  append(line, time_ms);
}

TimeMs HttpLink::watermark() const { return newest_ == kAbsent ? kAbsent : newest_ - options_.out_of_orderness; }

void HttpLink::maybe_flush() {
  if (batch_lines_ == 0) return;
  const bool spans = batch_start_ != kAbsent && newest_ != kAbsent && newest_ - batch_start_ >= options_.batch_span_ms;
  if (spans || batch_lines_ >= options_.batch_lines) flush();
}

void HttpLink::flush() {
  if (options_.stop != nullptr && options_.stop->load()) throw Stopped{};
  {
    std::lock_guard lock(mutex_);
    if (!stream_error_.empty()) fail("the server's event stream is gone (" + stream_error_ + "); the demo cannot follow the server's commands any more");
  }
  if (batch_lines_ == 0) return;
  for (int attempt = 0;; ++attempt) {
    HttpAnswer answer = client_->post("/v1/events", batch_, "application/x-ndjson");
    if (answer.status == 429 && attempt < 100) {  // the engine has too much waiting: a moment
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (!answer.error.empty()) fail("POST /v1/events: " + answer.error);
    // 400 is a batch with no usable line (only bad lines): still counted, not a failure.
    if (answer.status != 200 && answer.status != 400) fail("POST /v1/events answered " + std::to_string(answer.status) + ": " + answer.body);
    simdjson::dom::parser parser;
    simdjson::dom::element counts;
    if (parser.parse(answer.body).get(counts)) fail("POST /v1/events answered something that is not JSON: " + answer.body);
    counters_.accepted += static_cast<std::uint64_t>(number_of(counts, "accepted", 0));
    counters_.duplicates += static_cast<std::uint64_t>(number_of(counts, "duplicates", 0));
    counters_.late += static_cast<std::uint64_t>(number_of(counts, "late", 0));
    counters_.rejected += static_cast<std::uint64_t>(number_of(counts, "rejected", 0));
    // Everything the batch caused is on the stream before the server's ": seq N" comment.
    const auto seq = static_cast<std::uint64_t>(number_of(counts, "seq", 0));
    std::unique_lock lock(mutex_);
    const bool caught_up = connected_signal_.wait_for(lock, std::chrono::seconds(60), [&] { return synced_ >= seq || !stream_error_.empty(); });
    if (!stream_error_.empty()) fail("the server's event stream is gone (" + stream_error_ + ")");
    if (!caught_up) fail("the server's event stream did not deliver what record " + std::to_string(seq) + " caused within a minute");
    break;
  }
  if (options_.events_out != nullptr) std::fwrite(batch_.data(), 1, batch_.size(), options_.events_out);
  counters_.lines += batch_lines_;
  ++counters_.batches;
  counters_.event_time = newest_;
  batch_.clear();
  batch_lines_ = 0;
  batch_start_ = kAbsent;
}

// ---- what comes back --------------------------------------------------------------------

void HttpLink::on_message(std::string_view event, std::string_view data) {
  // The stream's thread: parse, then hand over under the lock.
  if (event.empty()) {
    if (!data.starts_with("seq ")) return;
    std::uint64_t seq = 0;
    std::from_chars(data.data() + 4, data.data() + data.size(), seq);
    std::lock_guard lock(mutex_);
    synced_ = std::max(synced_, seq);
    connected_signal_.notify_all();
    return;
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element object;
  if (parser.parse(data.data(), data.size()).get(object)) return;
  if (event == "command") {
    Command c;
    c.id = std::string(text_of(object, "id"));
    c.name = std::string(text_of(object, "command"));
    c.incident_id = std::string(text_of(object, "incident_id"));
    c.order_id = std::string(text_of(object, "order_id"));
    c.at = time_of(object, "at");
    c.amount = number_of(object, "amount", kNoAmount);
    c.qty = number_of(object, "qty", kNoAmount);
    c.unit_price = number_of(object, "unit_price", kNoAmount);
    c.sku = std::string(text_of(object, "sku"));
    c.substitute_sku = std::string(text_of(object, "substitute_sku"));
    c.rider_id = std::string(text_of(object, "rider_id"));
    c.user_id = std::string(text_of(object, "user_id"));
    c.zone = std::string(text_of(object, "zone"));
    c.pickup_point_id = std::string(text_of(object, "pickup_point_id"));
    c.reference = std::string(text_of(object, "reference"));
    c.to = std::string(text_of(object, "to"));
    c.channel = std::string(text_of(object, "channel"));
    c.template_name = std::string(text_of(object, "template"));
    c.reason = std::string(text_of(object, "reason"));
    ++counters_.commands;
    std::lock_guard lock(mutex_);
    arrived_commands_.push_back(std::move(c));
    ++arrived_;
    return;
  }
  if (event != "incident") return;
  const std::string id(text_of(object, "id"));
  const std::string_view status = text_of(object, "status");
  const bool open = status != "resolved" && status != "retracted";
  const TimeMs escalated_at = time_of(object, "escalated_at");
  std::lock_guard lock(mutex_);
  auto [it, first] = seen_.try_emplace(id);
  Seen& seen = it->second;
  if (first) {
    ++counters_.incidents;
    if (open) ++counters_.open_incidents;
    seen.open = open;
  } else if (seen.open != open) {
    counters_.open_incidents += open ? 1 : -1;
    seen.open = open;
  }
  if (escalated_at != kAbsent && !seen.escalated) {
    seen.escalated = true;
    loop::EscalationView view;
    view.incident_id = id;
    view.type = type_of(text_of(object, "type"));
    view.about_type = type_of(text_of(object, "incident_type"));
    view.severity = severity_from_name(text_of(object, "severity")).value_or(Severity::kLow);
    view.escalated_at = escalated_at;
    ++counters_.escalations;
    arrived_escalations_.push_back(std::move(view));
    ++arrived_;
  }
}

void HttpLink::take_from_stream() {
  if (arrived_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(mutex_);
  for (Command& c : arrived_commands_) commands_.push_back(std::move(c));
  for (loop::EscalationView& e : arrived_escalations_) escalations_.push_back(std::move(e));
  arrived_commands_.clear();
  arrived_escalations_.clear();
  arrived_ = 0;
}

const Command* HttpLink::next_command() {
  if (command_out_) {
    commands_.pop_front();
    command_out_ = false;
  }
  if (commands_.empty()) {
    maybe_flush();
    take_from_stream();
  }
  if (commands_.empty()) return nullptr;
  command_out_ = true;
  return &commands_.front();
}

const loop::EscalationView* HttpLink::next_escalation() {
  if (escalation_out_) {
    escalations_.pop_front();
    escalation_out_ = false;
  }
  if (escalations_.empty()) take_from_stream();
  if (escalations_.empty()) return nullptr;
  escalation_out_ = true;
  return &escalations_.front();
}

loop::CaseView HttpLink::case_of(const loop::EscalationView& escalation) {
  flush();
  ++counters_.case_reads;
  const HttpAnswer answer = client_->get("/v1/incidents/" + escalation.incident_id);
  if (!answer.error.empty()) fail("GET /v1/incidents/" + escalation.incident_id + ": " + answer.error);
  loop::CaseView view;
  if (answer.status == 404) return view;
  if (answer.status != 200) fail("GET /v1/incidents/" + escalation.incident_id + " answered " + std::to_string(answer.status) + ": " + answer.body);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(answer.body).get(root)) fail("GET /v1/incidents/" + escalation.incident_id + ": not JSON");
  const std::string_view status = text_of(root["incident"].value_unsafe(), "status");
  simdjson::dom::element held;
  if (status == "resolved" || status == "retracted" || root["case"].get(held)) return view;
  const std::string_view case_status = text_of(held, "status");
  if (case_status == "resolved" || case_status == "false_positive") return view;
  view.open = true;
  view.assignee = std::string(text_of(held, "assignee"));
  view.acknowledged = !text_of(held, "acknowledged_at").empty();
  view.first_handled = !text_of(held, "first_handled_at").empty();
  bool breached = false;
  if (!held["sla_breached"].get_bool().get(breached)) view.sla_breached = breached;
  view.sla_deadline = time_of(held, "sla_deadline");
  return view;
}

int HttpLink::free_capacity(const std::string& agent_id) {
  flush();
  const HttpAnswer answer = client_->get("/v1/agents");
  if (!answer.ok()) fail("GET /v1/agents: " + (answer.error.empty() ? std::to_string(answer.status) + " " + answer.body : answer.error));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array items;
  if (parser.parse(answer.body).get(root) || root["items"].get_array().get(items)) fail("GET /v1/agents: not the expected JSON");
  for (simdjson::dom::element agent : items) {
    if (text_of(agent, "agent_id") == agent_id) return static_cast<int>(number_of(agent, "free_capacity", 0));
  }
  return 0;
}

}  // namespace og::client
