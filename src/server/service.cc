#include "server/service.h"

#include <pthread.h>

#include <chrono>

#include <fmt/format.h>
#include <sodium.h>
#include <variant>

#include "core/hash.h"
#include "core/json_writer.h"
#include "people/people.h"
#include "events/event_type.h"
#include "events/parser.h"
#include "replay/lookahead.h"
#include "replay/output.h"
#include "rules/config.h"

namespace og::server {

TimeMs SystemClock::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

RulesResult rules_refused(std::string error, bool stale = false) {
  RulesResult result;
  result.stale = stale;
  result.error = std::move(error);
  return result;
}

}  // namespace

struct Service::Job {
  struct Ingest {
    std::string body;
    std::function<void(IngestResult)> done;
    bool may_act_for_people = false;  // agent.* lines applied, not refused (an admin's batch)
  };
  struct Act {
    std::string event_json;  // without id and ts
    std::string incident_id;
    std::function<void(ActionResult)> done;
  };
  struct Rules {
    std::string toml;
    std::function<void(RulesResult)> done;
    std::optional<std::string> expected_version;
  };
  struct Read {
    std::function<void(const Engine&)> fn;
  };
  struct Unmask {
    std::string order_id;
    std::string actor;
    std::string reason;
    std::function<void(UnmaskResult)> done;
  };
  std::variant<Ingest, Act, Rules, Read, Unmask> work;
};

// A round: the jobs taken from the queue at once, their journal records (one transaction),
// then applied and answered.
struct Service::Round {
  std::vector<Job> jobs;
  std::vector<store::Record> records;
  std::vector<std::size_t> record_of;  // each job's record (SIZE_MAX: none)
  std::vector<RulesResult> rules_results;
  std::vector<UnmaskResult> unmask_results;
  bool quiet_move = false;  // the last record moves event time by the wall clock
  bool events_only = true;  // POST /v1/events alone: may be applied beside the next journal write
  TimeMs now = 0;
  std::string store_error;  // not written: every job is answered with it
};

// og-journal: runs the journal writes, one at a time, for the engine thread. Every write goes
// here, so that sealing, SQLite and the fsync never take the engine thread's CPU: it applies
// the round before meanwhile, or waits, or (rows derived alone) goes back to its queue.
class Service::JournalWriter {
 public:
  // `finished` runs on og-journal after each task (no lock of the writer held).
  explicit JournalWriter(std::function<void()> finished)
      : finished_(std::move(finished)), thread_([this] {
          pthread_setname_np(pthread_self(), "og-journal");
          std::unique_lock lock(mutex_);
          for (;;) {
            wake_.wait(lock, [this] { return stopping_ || task_; });
            if (!task_) return;
            lock.unlock();
            task_();
            lock.lock();
            task_ = nullptr;
            wake_.notify_all();
            if (finished_) {
              lock.unlock();
              finished_();
              lock.lock();
            }
          }
        }) {}
  ~JournalWriter() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;
  // Starts `task` on og-journal; what it refers to must outlive wait(). One task at a time:
  // the caller waits for the one before.
  void run(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    task_ = std::move(task);
    wake_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return !task_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> task_;
  std::function<void()> finished_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

namespace {

// The settings key of Service::agent_events_in_feed_until_.
constexpr std::string_view kAgentEventsInFeedUntil = "agent_events_in_feed_until_seq";

// The configuration a TOML text gives, or the error that says what to change.
tl::expected<RulesConfig, std::string> rules_from(const std::string& toml, const std::string& source) {
  if (toml.empty()) return RulesConfig{};
  return load_rules(toml, source);
}

std::uint64_t fingerprint(const Incident& incident) {
  std::uint64_t h = static_cast<std::uint64_t>(incident.status);
  h = hash_combine(h, static_cast<std::uint64_t>(incident.resolution));
  h = hash_combine(h, incident.actions.size());
  h = hash_combine(h, hash64(incident.assignee));
  h = hash_combine(h, static_cast<std::uint64_t>(incident.loss));
  h = hash_combine(h, static_cast<std::uint64_t>(incident.escalated_at));
  h = hash_combine(h, incident.false_positive ? 1U : 0U);
  h = hash_combine(h, incident.evidence.size());
  return hash_combine(h, incident.linked.size());
}

}  // namespace

Service::Service(ServiceOptions options, const WallClock& clock) : options_(std::move(options)), clock_(clock) {}

Service::~Service() { stop(); }

store::Result<std::unique_ptr<Service>> Service::open(ServiceOptions options, const WallClock& clock) {
  auto config = rules_from(options.rules_toml, options.rules_source);
  if (!config) return tl::unexpected(config.error());
  std::unique_ptr<Service> service(new Service(std::move(options), clock));
  auto lock = store::DirectoryLock::take(service->options_.data_dir, "serve");
  if (!lock) return tl::unexpected(lock.error());
  service->lock_.emplace(std::move(*lock));
  auto opened = store::Store::open(service->options_.data_dir);
  if (!opened) return tl::unexpected(opened.error());
  service->store_ = std::move(*opened);
  service->store_->set_sinks(service->options_.sinks);
  if (auto level = service->store_->set_journal_compression(service->options_.journal_zstd_level); !level) {
    return tl::unexpected(level.error());
  }
  if (auto keys = service->open_keys(); !keys) return tl::unexpected(keys.error());
  // The engine thread appends; WAL checkpoints are the checkpoint thread's (wal_written()).
  if (auto off = service->store_->set_auto_checkpoint(false); !off) return tl::unexpected(off.error());
  auto checkpointing = store::Store::open(service->options_.data_dir);
  if (!checkpointing) return tl::unexpected(checkpointing.error());
  service->checkpoint_store_ = std::move(*checkpointing);
  if (service->options_.audit) {
    auto signer = audit::Signer::load_or_create(service->options_.data_dir);
    if (!signer) return tl::unexpected(signer.error());
    service->signer_ = std::move(*signer);
    service->chain_ = std::make_unique<audit::Chain>(*service->store_);
    if (auto checkpoints = service->store_->checkpoints(); checkpoints && !checkpoints->empty()) {
      service->last_checkpoint_ = checkpoints->back().seq;
    }
  }
  if (auto recovered = service->recover(); !recovered) return tl::unexpected(recovered.error());
  service->stats_ = service->live_;
  service->ready_ = true;
  return service;
}

store::Result<void> Service::open_keys() {
  auto master = store::load_master_key(*store_, options_.data_dir, options_.master_key_file);
  if (!master) return tl::unexpected("data directory " + options_.data_dir + ": " + master.error());
  auto keys = store::KeyRing::open(*store_, *master, clock_.now_ms());
  if (!keys) return tl::unexpected("data directory " + options_.data_dir + ": " + keys.error());
  store_->attach_keys(*keys);
  key_info_ = KeyInfo{master->id(), master->source, master->created, (*keys)->current_id(), 0};
  auto sealed = store_->seal_clear_records();
  if (!sealed) return tl::unexpected("data directory " + options_.data_dir + ": " + sealed.error());
  key_info_.sealed_clear_records = *sealed;
  return {};
}

store::Result<void> Service::recover() {
  // The configuration the journal starts with is the one of the very first start; a
  // different one given now is a change from here on, journaled like PUT /v1/rules.
  const std::optional<std::string> initial = store_->setting("initial_rules");
  if (!initial) {
    if (auto ok = store_->set_setting("initial_rules", options_.rules_toml); !ok) return ok;
  }
  // Journals written before actions had their own record kind hold them as event records:
  // those records replay as they were applied (docs/serve.md, POST /v1/events).
  const std::optional<std::string> agent_feed = store_->setting(kAgentEventsInFeedUntil);
  if (!agent_feed) {
    if (auto ok = store_->set_setting(kAgentEventsInFeedUntil, std::to_string(store_->last_seq())); !ok) return ok;
  }
  agent_events_in_feed_until_ = agent_feed ? std::strtoull(agent_feed->c_str(), nullptr, 10) : store_->last_seq();
  const std::string start_toml = initial.value_or(options_.rules_toml);
  auto config = rules_from(start_toml, "the data directory's first configuration");
  if (!config) return tl::unexpected(config.error());

  std::uint64_t after = 0;
  engine_ = std::make_unique<Engine>(std::move(*config));
  parser_ = std::make_unique<EventParser>(engine_->interner());
  if (auto snapshot = store_->latest_snapshot(); !snapshot) {
    return tl::unexpected(snapshot.error());
  } else if (*snapshot) {
    auto restored = Engine::restore((*snapshot)->second);
    if (restored) {
      engine_ = std::move(*restored);
      parser_ = std::make_unique<EventParser>(engine_->interner());
      after = (*snapshot)->first;
      live_.recovered_from_snapshot = after;
      // Everything up to the snapshot was published before it was taken.
      incidents_seen_ = engine_->incidents().all().size();
      commands_seen_ = engine_->commands().size();
      for (const Incident& incident : engine_->incidents().all()) {
        if (!incident.is_closed()) watched_.push_back(Watched{incident.index, fingerprint(incident)});
      }
    }
    // An unreadable snapshot is not fatal: the whole journal gives the same state.
  }
  std::uint64_t replayed = 0;
  auto read = store_->read_journal(after, [&](store::Record&& record) {
    apply(record, nullptr);
    ++replayed;
    return true;
  });
  if (!read) return read;
  live_.recovered_records = replayed;
  // What the replayed tail derived: outbox rows already there are ignored by id.
  std::vector<Change> ignored;
  collect_changes(ignored, pending_outbox_, pending_incidents_);
  newest_event_ts_ = engine_->max_event_time();
  newest_event_wall_ = clock_.now_ms();

  if (initial && *initial != options_.rules_toml) {
    std::vector<store::Record> records{{0, store::RecordKind::kRules, clock_.now_ms(), options_.rules_toml}};
    if (auto ok = commit(records); !ok) return ok;
    apply(records.front(), nullptr);
  }
  return {};
}

void Service::apply(const store::Record& record, IngestResult* result) {
  applied_seq_ = record.seq;
  switch (record.kind) {
    case store::RecordKind::kEvents:
    case store::RecordKind::kEventsWithActions: {
      // Only the API's action endpoints, under an agent's or supervisor's token, and an admin
      // act for a person: an ingest token's feed that carries agent.* events has them refused.
      const bool feed = record.kind == store::RecordKind::kEvents && record.seq > agent_events_in_feed_until_;
      // As replay reads a file: the body in one padded copy, each line parsed where it stands,
      // the memory its ingestion touches fetched a few lines ahead (replay/lookahead.h).
      const auto visit = [&](std::uint64_t line_number, std::string_view line, const tl::expected<void, std::string>& parsed) {
        ++live_.events;
        if (result) ++result->lines;
        if (!parsed) {
          ++live_.rejected;
          if (result) {
            ++result->rejected;
            result->errors.push_back("line " + std::to_string(line_number) + ": " + parsed.error());
          }
          return true;
        }
        // What ingest_staged() takes away: the customer data's type, subject and time.
        const Event& staged = engine_->staging_event();
        const EventType type = staged.type;
        if (feed && is_agent_event(type)) {
          ++live_.rejected;
          if (result) {
            ++result->rejected;
            result->errors.push_back("line " + std::to_string(line_number) + ": type: " + std::string(event_type_name(type)) +
                                     " is a person's action: send it to the agent endpoints (POST /v1/agents, "
                                     "/v1/agents/{id}/duty, /v1/incidents/{id}/ack ...) with an agent's or supervisor's token");
          }
          return true;
        }
        const TimeMs ts = staged.ts;
        const Symbol subject = type == EventType::kUserProfile ? staged.user_id : staged.order_id;
        const IngestOutcome outcome = engine_->ingest_staged();
        if (outcome == IngestOutcome::kRefused) {
          ++live_.rejected;
          if (result) {
            ++result->rejected;
            result->errors.push_back("line " + std::to_string(line_number) + ": " + engine_->refusal());
          }
          return true;
        }
        if (outcome == IngestOutcome::kDuplicate) ++live_.duplicates;
        if (outcome != IngestOutcome::kDuplicate && CustomerExtractor::carries(type)) {
          if (auto json = extractor_.read(type, line)) {
            const std::string_view id = engine_->interner().view(subject);
            pending_customers_.push_back(store::CustomerRow{
                type == EventType::kUserProfile ? phone_subject(id) : address_subject(id), ts, std::move(*json)});
          }
        }
        if (!result) return true;
        switch (outcome) {
          case IngestOutcome::kDuplicate: ++result->duplicates; break;
          case IngestOutcome::kLate: ++result->late; ++result->accepted; break;
          case IngestOutcome::kAccepted: ++result->accepted; break;
          case IngestOutcome::kRefused: break;  // answered above
        }
        return true;
      };
      parse_each_copied(body_, record.body, *engine_, *parser_, visit);
      live_.fast_lines = parser_->fast_lines();
      break;
    }
    case store::RecordKind::kClock:
      engine_->advance_watermark(record.at);
      break;
    case store::RecordKind::kRules:
      // Validated before it was journaled; a failure here means a newer build reads an older
      // journal differently, and the running configuration stays.
      if (auto config = rules_from(record.body, "journal record " + std::to_string(record.seq))) {
        if (chain_) {
          std::string body;
          JsonWriter json(body);
          json.begin_object().key("changes").begin_array();
          for (const ConfigChange& change : diff_rules(engine_->config(), *config)) {
            json.begin_object().field("key", change.key).field("from", change.from).field("to", change.to).end_object();
          }
          json.end_array().end_object();
          pending_audit_.push_back(store::AuditRow{0, engine_->watermark() == kAbsent ? record.at : engine_->watermark(), "rules",
                                                   "rules", "", "admin", "rules:" + std::to_string(record.seq), std::move(body), {}, {}});
        }
        engine_->replace_config(std::move(*config));
      }
      break;
  }
}

void Service::enqueue(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (auto* ingest = std::get_if<Job::Ingest>(&job.work)) queued_bytes_ += ingest->body.size();
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Service::ingest(std::string body, std::function<void(IngestResult)> done, bool may_act_for_people) {
  enqueue(Job{Job::Ingest{std::move(body), std::move(done), may_act_for_people}});
}

void Service::act(std::string event_json, std::string incident_id, std::function<void(ActionResult)> done) {
  enqueue(Job{Job::Act{std::move(event_json), std::move(incident_id), std::move(done)}});
}

void Service::replace_rules(std::string toml, std::function<void(RulesResult)> done, std::optional<std::string> expected_version) {
  enqueue(Job{Job::Rules{std::move(toml), std::move(done), std::move(expected_version)}});
}

void Service::read(std::function<void(const Engine&)> fn) { enqueue(Job{Job::Read{std::move(fn)}}); }

void Service::unmask(std::string order_id, std::string actor, std::string reason, std::function<void(UnmaskResult)> done) {
  enqueue(Job{Job::Unmask{std::move(order_id), std::move(actor), std::move(reason), std::move(done)}});
}

store::Result<std::optional<CustomerFields>> Service::vault_read(const std::string& subject) const {
  // Rows not committed yet are newer than the store's, unless an older event time came late.
  const store::CustomerRow* newest = nullptr;
  for (const store::CustomerRow& row : pending_customers_) {
    if (row.subject == subject && (newest == nullptr || row.ts >= newest->ts)) newest = &row;
  }
  auto stored = store_->customer(subject);
  if (!stored) return tl::unexpected(stored.error());
  const std::string* json = newest != nullptr && (!*stored || newest->ts >= (*stored)->ts) ? &newest->json
                            : *stored                                                   ? &(*stored)->json
                                                                                        : nullptr;
  if (json == nullptr) return std::nullopt;
  return parse_customer_json(*json);
}

store::Result<CustomerData> Service::customer(std::string_view order_id) const {
  CustomerData data;
  auto address = vault_read(address_subject(order_id));
  if (!address) return tl::unexpected(address.error());
  data.address = std::move(*address);
  if (const std::optional<OrderView> order = engine_->order_view(order_id); order && !order->user.empty()) {
    auto phone = vault_read(phone_subject(order->user));
    if (!phone) return tl::unexpected(phone.error());
    data.phone = std::move(*phone);
  }
  return data;
}

std::uint64_t Service::subscribe(std::function<void(const std::vector<Change>&)> listener) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void Service::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  listeners_.erase(id);
}

ServiceStats Service::stats() const {
  std::lock_guard lock(mutex_);
  ServiceStats stats = stats_;
  stats.wal_checkpoints = wal_checkpoints_;
  return stats;
}

std::size_t Service::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

std::size_t Service::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return queued_bytes_;
}

void Service::start() {
  writer_ = std::make_unique<JournalWriter>([this] {
    {
      std::lock_guard lock(mutex_);
      write_done_ = true;
    }
    wake_.notify_all();
  });
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "og-engine");  // shows in top -H, perf, /proc/PID/task
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      // Rows derived by the last round go to the store at once when nothing else is coming,
      // and a journaled round is applied at once; a write of derived rows alone is taken
      // back once og-journal is done with it.
      const bool derived_waiting = has_derived() || journaled_ != nullptr;
      wake_.wait_for(lock, std::chrono::milliseconds(derived_waiting ? 0 : options_.tick_ms),
                     [this] { return stopping_ || !jobs_.empty() || (write_done_ && derived_write_ != nullptr); });
      write_done_ = false;
      if (stopping_) break;
      lock.unlock();
      run_once();
      lock.lock();
    }
  });
  checkpointer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "og-checkpoint");
    std::unique_lock lock(mutex_);
    for (;;) {
      checkpoint_wake_.wait(lock, [this] { return stopping_ || checkpoint_due_; });
      if (stopping_) break;
      checkpoint_due_ = false;
      lock.unlock();
      if (auto done = checkpoint_store_->checkpoint_wal(); done && done->copied > 0) ++wal_checkpoints_;
      lock.lock();
    }
  });
}

void Service::wal_written() {
  const std::uint64_t frames = store_->wal_frames();
  live_.wal_frames = frames;
  if (frames < options_.wal_checkpoint_frames) return;
  if (checkpointer_.joinable() && frames < options_.wal_max_frames) {
    {
      std::lock_guard lock(mutex_);
      checkpoint_due_ = true;
    }
    checkpoint_wake_.notify_one();
    return;
  }
  // No checkpoint thread, or it has not kept up: here, as SQLite's autocheckpoint would.
  if (auto done = store_->checkpoint_wal(); done && done->copied > 0) ++wal_checkpoints_;
}

void Service::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  checkpoint_wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (checkpointer_.joinable()) checkpointer_.join();
  finish_derived_write();
  // A round already journaled is applied and answered; work that never ran is answered too,
  // so no caller waits for ever.
  if (journaled_) apply_round();
  writer_.reset();
  for (Job& job : jobs_) {
    std::visit(
        [](auto& work) {
          using Work = std::decay_t<decltype(work)>;
          if constexpr (std::is_same_v<Work, Job::Ingest>) {
            IngestResult result;
            result.store_error = "the service is stopping; nothing of this request was stored: send it again";
            work.done(std::move(result));
          } else if constexpr (std::is_same_v<Work, Job::Act>) {
            work.done(ActionResult{false, "the service is stopping: send it again", true, {}});
          } else if constexpr (std::is_same_v<Work, Job::Rules>) {
            work.done(rules_refused("the service is stopping: send it again"));
          } else if constexpr (std::is_same_v<Work, Job::Unmask>) {
            work.done(UnmaskResult{UnmaskResult::Outcome::kUnavailable, "the service is stopping: send it again", {}});
          }
        },
        job.work);
  }
  jobs_.clear();
  // What the last round derived is stored now rather than re-derived at the next start.
  if (store_ && has_derived()) (void)commit({});
  if (store_ && chain_) checkpoint();
}

bool Service::has_derived() const {
  return !pending_outbox_.empty() || !pending_incidents_.empty() || !pending_audit_.empty() || !pending_customers_.empty();
}

std::size_t Service::derived_rows() const {
  return pending_outbox_.size() + pending_incidents_.size() + pending_audit_.size() + pending_customers_.size();
}

store::Result<void> Service::commit(std::span<store::Record> records) {
  finish_derived_write();
  Derived derived = take_derived();
  store::Result<void> written;
  if (writer_) {
    writer_->run([&] { written = write(records, derived); });
    writer_->wait();
  } else {
    written = write(records, derived);
  }
  written_back(written, std::move(derived));
  return written;
}

Service::Derived Service::take_derived(std::size_t limit) {
  if (limit >= derived_rows()) draining_derived_ = false;
  // The oldest of each kind: a failed write puts them back in front (written_back), so every
  // kind keeps its order (the outbox's is delivery order; an incident's last row wins).
  Derived taken;
  const auto take = [&limit](auto& pending, auto& rows) {
    const std::size_t n = std::min(limit, pending.size());
    rows = pending.take(n);
    limit -= n;
  };
  take(pending_outbox_, taken.outbox);
  take(pending_incidents_, taken.incidents);
  take(pending_audit_, taken.audit);
  take(pending_customers_, taken.customers);
  return taken;
}

std::size_t Service::derived_slice() const {
  return options_.derived_slice_rows == 0 ? SIZE_MAX : options_.derived_slice_rows;
}

void Service::finish_derived_write() {
  if (!derived_write_) return;
  writer_->wait();
  const std::unique_ptr<DerivedWrite> done = std::move(derived_write_);
  if (done->written) {
    ++live_.groups;
  } else {
    ++live_.store_errors;
  }
  {
    std::lock_guard lock(mutex_);
    stats_ = live_;  // before the outbox listener hears of it
  }
  written_back(done->written, std::move(done->derived));
}

store::Result<void> Service::write(std::span<store::Record> records, Derived& derived) {
  std::vector<store::AuditRow> links = chain_ ? chain_->link(std::move(derived.audit), *store_) : std::vector<store::AuditRow>{};
  auto written = store_->append(records, derived.outbox, derived.incidents, links, derived.customers);
  if (!written && chain_ && !chain_->checks_store()) {
    // Linked without asking the store: should a change have been linked before after all,
    // its key is refused; linked again against the store, the write goes through. (Linking
    // again sets every link's seq and hashes anew; a row the store has is dropped.)
    chain_->check_store(true);
    links = chain_->link(std::move(links), *store_);
    written = store_->append(records, derived.outbox, derived.incidents, links, derived.customers);
  }
  if (written && chain_) {
    chain_->commit(links);
    // What a recovery derived again is written now; every change from here on is new.
    chain_->check_store(false);
  } else if (!written && chain_) {
    // Not linked after all: the rows go back, to be linked with the next transaction (a row the
    // store already has is not needed again).
    derived.audit = std::move(links);
  }
  return written;
}

void Service::written_back(const store::Result<void>& written, Derived derived) {
  if (!written) {
    // The derived rows wait for the next transaction, ahead of those derived since.
    pending_outbox_.put_back(std::move(derived.outbox));
    pending_incidents_.put_back(std::move(derived.incidents));
    pending_audit_.put_back(std::move(derived.audit));
    pending_customers_.put_back(std::move(derived.customers));
    return;
  }
  wal_written();
  if (!derived.outbox.empty() && on_outbox_) on_outbox_();
}

void Service::checkpoint() {
  if (!signer_ || chain_->tail_seq() == 0 || chain_->tail_seq() == last_checkpoint_) return;
  if (store_->add_checkpoint(signer_->sign(chain_->tail_seq(), chain_->tail_hash(), clock_.now_ms()))) {
    last_checkpoint_ = chain_->tail_seq();
  }
}

bool Service::maybe_move_clock(std::vector<store::Record>& records) {
  const TimeMs now = clock_.now_ms();
  const TimeMs newest = engine_->max_event_time();
  if (newest == kAbsent || now - newest_event_wall_ < options_.quiet_after_ms) return false;
  // Event time goes on as the wall clock does since the newest event arrived.
  const TimeMs target = newest + (now - newest_event_wall_);
  const DurationMs bound = engine_->config().max_out_of_orderness_ms;
  if (engine_->watermark() != kAbsent && target - bound <= engine_->watermark()) return false;
  records.push_back(store::Record{0, store::RecordKind::kClock, target, {}});
  return true;
}

void Service::run_once() {
  finish_derived_write();  // the store is this thread's again
  const auto round_started = std::chrono::steady_clock::now();
  auto round = std::make_unique<Round>();
  std::vector<Job>& jobs = round->jobs;
  std::size_t bytes = 0;  // request bodies taken in this round
  // Actions, rule changes and unmasking are placed against the engine as it is, and reads
  // (some read the store) never run beside a journal write: only event batches overlap one.
  bool needs_engine = false;
  {
    std::lock_guard lock(mutex_);
    bool took_events = false;
    while (!jobs_.empty() && bytes < options_.max_group_bytes) {
      // A person's action is stamped at the engine's now: a batch ahead of it in the same
      // round is not applied yet, so the action waits for the next round.
      if (took_events && std::holds_alternative<Job::Act>(jobs_.front().work)) break;
      if (auto* ingest = std::get_if<Job::Ingest>(&jobs_.front().work)) {
        bytes += ingest->body.size();
        queued_bytes_ -= ingest->body.size();
        took_events = true;
      } else {
        needs_engine = true;
      }
      jobs.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
  }
  round->events_only = !needs_engine;
  if (journaled_ && (needs_engine || !journaled_->events_only)) apply_round();

  // 1. What goes into the journal, in queue order, each job knowing its record.
  std::vector<store::Record>& records = round->records;
  round->record_of.assign(jobs.size(), SIZE_MAX);
  round->rules_results.resize(jobs.size());
  round->unmask_results.resize(jobs.size());
  const TimeMs now = clock_.now_ms();
  round->now = now;
  std::string rules_version_after;  // of a rules change earlier in this round
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    Job& job = jobs[i];
    if (auto* ingest = std::get_if<Job::Ingest>(&job.work)) {
      round->record_of[i] = records.size();
      const auto kind = ingest->may_act_for_people ? store::RecordKind::kEventsWithActions : store::RecordKind::kEvents;
      records.push_back(store::Record{0, kind, now, std::move(ingest->body)});
    } else if (auto* act = std::get_if<Job::Act>(&job.work)) {
      // A person acts at the engine's now: just past the watermark, which then moves past
      // it (a clock record), so the action is applied at once and can be answered. Before
      // any event there is no event time yet, and the action happens at its start (epoch 0):
      // the wall clock's now would make every event of a feed stamped earlier late (a
      // client that registers its agents first, then sends a day from the past).
      const TimeMs watermark = engine_->watermark();
      const TimeMs at = watermark != kAbsent ? watermark + 1 : 0;
      const std::uint64_t seq = store_->last_seq() + 1 + records.size();
      std::string line = "{\"id\":\"act-" + std::to_string(seq) + "\",\"ts\":\"" + format_utc_ms(at) + "\",";
      line.append(act->event_json, 1);  // the caller's object without its "{"
      round->record_of[i] = records.size();
      records.push_back(store::Record{0, store::RecordKind::kEventsWithActions, now, std::move(line)});
      records.push_back(store::Record{0, store::RecordKind::kClock, at + engine_->config().max_out_of_orderness_ms + 1, {}});
    } else if (auto* rules = std::get_if<Job::Rules>(&job.work)) {
      // The version an earlier change of this round leaves, else the running one.
      const std::string version = rules_version_after.empty() ? rules_version(engine_->config()) : rules_version_after;
      if (rules->expected_version && *rules->expected_version != version) {
        round->rules_results[i] = rules_refused("the rules are at version " + version + " now, not " + *rules->expected_version +
                                                    ": someone changed them since; GET /v1/rules again and make your change on that",
                                                /*stale=*/true);
        continue;
      }
      auto config = rules_from(rules->toml, "PUT /v1/rules");
      if (!config) {
        round->rules_results[i] = rules_refused(config.error());
        continue;
      }
      rules_version_after = rules_version(*config);
      round->rules_results[i].version = rules_version_after;
      round->rules_results[i].changes = diff_rules(engine_->config(), *config);
      round->record_of[i] = records.size();
      records.push_back(store::Record{0, store::RecordKind::kRules, now, std::move(rules->toml)});
    } else if (auto* unmask = std::get_if<Job::Unmask>(&job.work)) {
      round->unmask_results[i] = prepare_unmask(unmask->order_id, unmask->actor, unmask->reason, now);
    }
  }
  // Quiet time is judged on an engine that has applied everything journaled.
  round->quiet_move = !journaled_ && maybe_move_clock(records);
  if (writer_ && jobs.empty() && records.empty() && !journaled_) {
    // Nothing to journal, apply or answer: the engine is as the last round left it. Rows it
    // derived are written on og-journal while this thread goes back to its queue; the next
    // round takes the write back (finish_derived_write) before it touches the store.
    if (has_derived()) {
      derived_write_ = std::make_unique<DerivedWrite>(DerivedWrite{take_derived(derived_slice()), {}});
      writer_->run([this, alone = derived_write_.get()] { alone->written = write({}, alone->derived); });
    } else if (chain_ && chain_->tail_seq() >= last_checkpoint_ + options_.checkpoint_every_links) {
      checkpoint();
    }
    return;
  }

  // 2. Durable before anything is applied or answered. The round journaled before this one
  // is applied and answered meanwhile, on this thread, while og-journal writes this one.
  // Rows derived by event batches wait for a later transaction until enough have gathered
  // (ServiceOptions::derived_batch_rows), or until this thread finds its queue empty: then
  // they are written alone on og-journal, as before. Driven by hand (no og-journal), they wait
  // only while more requests are queued. Recovery derives them again should the process die
  // first. A round with anything else (an action, rules, an unmasking's link) takes them.
  // Once the bound is reached they go a slice per transaction (derived_slice_rows) until none
  // wait, so that no one transaction holds og-journal long while batches queue behind it.
  std::size_t derived_taken = SIZE_MAX;
  if (round->events_only && !records.empty()) {
    bool more_coming = false;
    {
      std::lock_guard lock(mutex_);
      more_coming = writer_ != nullptr || !jobs_.empty();
    }
    if (more_coming) {
      if (derived_rows() >= options_.derived_batch_rows) draining_derived_ = true;
      derived_taken = draining_derived_ ? derived_slice() : 0;
    }
  }
  if (!records.empty() || has_derived()) {
    const auto started = std::chrono::steady_clock::now();
    Derived derived = take_derived(derived_taken);
    store::Result<void> written;
    if (writer_) {
      writer_->run([&] { written = write(records, derived); });
      if (journaled_) apply_round();
      writer_->wait();
    } else {
      written = write(records, derived);
    }
    written_back(written, std::move(derived));
    const double commit_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    live_.last_commit_ms = commit_ms;
    if (written) {
      ++live_.groups;
      live_.records += records.size();
    } else {
      ++live_.store_errors;
      round->store_error = "the store could not write (" + written.error() + "); nothing of this request was stored: send it again";
    }
    std::lock_guard lock(mutex_);
    stats_ = live_;  // what an answer's reader may look at next
  }
  if (journaled_) apply_round();  // nothing was written: nothing to overlap
  journaled_ = std::move(round);

  // 3. Applied and answered now, unless more work is already waiting: then while its journal
  // write runs (the next round).
  bool more = false;
  if (writer_) {
    std::lock_guard lock(mutex_);
    more = !jobs_.empty();
  }
  if (!more || !journaled_->events_only) apply_round();
  maybe_snapshot();
  if (chain_ && chain_->tail_seq() >= last_checkpoint_ + options_.checkpoint_every_links) checkpoint();
  if (bytes > 0) {
    // How fast bodies drain (journal, apply, publish), smoothed over the last rounds: the
    // base of Retry-After (server/overload.h). Under load a round's time is its journal
    // write beside the apply of the round before it: what the pipeline drains.
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - round_started).count();
    if (seconds > 0) {
      const double rate = static_cast<double>(bytes) / seconds;
      const double before = drain_bytes_per_s_.load();
      drain_bytes_per_s_ = before > 0 ? 0.7 * before + 0.3 * rate : rate;
    }
  }
}

void Service::apply_round() {
  const std::unique_ptr<Round> round = std::move(journaled_);
  std::vector<Job>& jobs = round->jobs;
  const std::vector<store::Record>& records = round->records;
  const std::string& store_error = round->store_error;
  // Applied in journal order; every job answered.
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    Job& job = jobs[i];
    const std::size_t at = round->record_of[i];
    const store::Record* record = at == SIZE_MAX || !store_error.empty() ? nullptr : &records[at];
    std::visit(
        [&](auto& work) {
          using Work = std::decay_t<decltype(work)>;
          if constexpr (std::is_same_v<Work, Job::Ingest>) {
            IngestResult result;
            if (record == nullptr) {
              result.store_error = store_error;
            } else {
              result.seq = record->seq;
              apply(*record, &result);
            }
            work.done(std::move(result));
          } else if constexpr (std::is_same_v<Work, Job::Act>) {
            ActionResult result;
            if (record == nullptr) {
              result.store_failed = true;
              result.error = store_error;
            } else {
              const std::size_t refusals = engine_->agent_refusals().size();
              IngestResult parsed;
              apply(*record, &parsed);
              apply(records[at + 1], nullptr);  // its clock record: event time reaches it
              if (!parsed.errors.empty()) {
                result.error = parsed.errors.front();
              } else if (engine_->agent_refusals().size() > refusals) {
                result.error = engine_->agent_refusals().back().message;
              } else {
                result.applied = true;
              }
              if (const Incident* incident = const_cast<IncidentLog&>(engine_->incidents()).find_by_id(work.incident_id)) {
                append_incident_json(result.incident_json, *incident, engine_->interner());
              }
            }
            work.done(std::move(result));
          } else if constexpr (std::is_same_v<Work, Job::Rules>) {
            RulesResult result = std::move(round->rules_results[i]);
            if (record != nullptr) {
              apply(*record, nullptr);
              result.applied = true;
            } else if (result.error.empty()) {
              result.error = store_error;
            }
            work.done(std::move(result));
          } else if constexpr (std::is_same_v<Work, Job::Unmask>) {
            UnmaskResult result = std::move(round->unmask_results[i]);
            if (result.outcome == UnmaskResult::Outcome::kShown && !store_error.empty()) {
              result = UnmaskResult{UnmaskResult::Outcome::kUnavailable, store_error, {}};
            }
            work.done(std::move(result));
          } else {
            work.fn(*engine_);
          }
        },
        job.work);
  }
  if (store_error.empty()) {
    // The quiet-time move, if any, is the last record; an action's own move was applied with it.
    if (!records.empty() && records.back().kind == store::RecordKind::kClock && round->quiet_move) {
      apply(records.back(), nullptr);
      ++live_.clock_moves;
    }
    records_since_snapshot_ += records.size();
  }

  // Event time's newest, and when it was first seen on the wall clock.
  if (engine_->max_event_time() != newest_event_ts_) {
    newest_event_ts_ = engine_->max_event_time();
    newest_event_wall_ = round->now;
  }

  // What changed: to listeners now, to the store with the next commit.
  std::vector<Change> changes;
  collect_changes(changes, pending_outbox_, pending_incidents_);
  if (store_error.empty() && !records.empty()) changes.push_back(Change{Change::Kind::kSync, std::to_string(records.back().seq), {}});
  std::lock_guard lock(mutex_);
  stats_ = live_;
  if (!changes.empty()) {
    for (auto& [id, listener] : listeners_) listener(changes);
  }
}

UnmaskResult Service::prepare_unmask(const std::string& order_id, const std::string& actor, const std::string& reason,
                                    TimeMs now) {
  using Outcome = UnmaskResult::Outcome;
  if (!chain_) return {Outcome::kNoChain, "this server keeps no audit chain, and every unmasking is written to it", {}};
  if (!engine_->order_view(order_id)) return {Outcome::kNotFound, "no event of order " + order_id + " has been seen", {}};
  auto data = customer(order_id);
  if (!data) return {Outcome::kUnavailable, data.error(), {}};
  if (data->empty()) return {Outcome::kNotFound, "order " + order_id + " has no address or phone on record", {}};
  // The link names what was shown and why, never the values.
  std::string body;
  JsonWriter json(body);
  json.begin_object().key("fields").begin_array();
  if (data->address) json.string("address");
  if (data->phone) json.string("phone");
  json.end_array().field("reason", reason).end_object();
  unsigned char nonce[8];
  randombytes_buf(nonce, sizeof nonce);
  const TimeMs at = engine_->watermark() == kAbsent ? now : engine_->watermark();
  pending_audit_.push_back(store::AuditRow{0, at, "unmask", order_id, order_id, actor,
                                           "unmask:" + audit::hex(std::string_view(reinterpret_cast<const char*>(nonce), sizeof nonce)),
                                           std::move(body), {}, {}});
  return {Outcome::kShown, {}, std::move(*data)};
}

void Service::collect_changes(std::vector<Change>& changes, RowQueue<store::OutboxItem>& outbox,
                              RowQueue<store::IncidentRow>& incidents) {
  const auto& all = engine_->incidents().all();
  const auto publish = [&](const Incident& incident) {
    store::IncidentRow row;
    row.id = incident.id;
    append_incident_json(row.json, incident, engine_->interner());
    row.type = std::string(incident_type_name(incident.type));
    row.status = std::string(incident_status_name(incident.status));
    row.severity = std::string(severity_name(incident.severity));
    row.priority = incident.priority;
    row.order_id = std::string(engine_->interner().view(incident.order));
    row.detected_at = incident.detected_at;
    changes.push_back(Change{Change::Kind::kIncident, row.id, row.json});
    if (chain_) {
      pending_audit_.push_back(store::AuditRow{0, engine_->watermark() == kAbsent ? incident.detected_at : engine_->watermark(),
                                               "incident", row.id, row.order_id, "",
                                               fmt::format("incident:{}:{:016x}", row.id, hash64(row.json)), row.json, {}, {}});
    }
    incidents.push_back(std::move(row));
  };
  // Each round looks at every incident still open, in creation order, closed ones dropped in
  // place. The incidents are far apart in memory: each is fetched a few steps ahead.
  constexpr std::size_t kAhead = 8;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    if (i + kAhead < watched_.size()) {
      const Incident& ahead = all[watched_[i + kAhead].index];  // the lines fingerprint() reads
      __builtin_prefetch(&ahead.status);
      __builtin_prefetch(&ahead.assignee);
      __builtin_prefetch(&ahead.evidence);
      __builtin_prefetch(&ahead.linked);
    }
    const Watched seen = watched_[i];
    const Incident& incident = all[seen.index];
    const std::uint64_t now = fingerprint(incident);
    if (now != seen.fingerprint) publish(incident);
    if (!incident.is_closed()) watched_[kept++] = Watched{seen.index, now};
  }
  watched_.resize(kept);
  // Closed ones the engine changed since (late evidence, a loss corrected), once each.
  std::vector<std::uint32_t> closed = engine_->take_closed_changes();
  std::sort(closed.begin(), closed.end());
  closed.erase(std::unique(closed.begin(), closed.end()), closed.end());
  for (const std::uint32_t index : closed) {
    if (index < incidents_seen_) publish(all[index]);  // newer ones are published below
  }
  for (; incidents_seen_ < all.size(); ++incidents_seen_) {
    const Incident& incident = all[incidents_seen_];
    publish(incident);
    if (!incident.is_closed()) watched_.push_back(Watched{incident.index, fingerprint(incident)});
  }
  const auto& commands = engine_->commands();
  for (; commands_seen_ < commands.size(); ++commands_seen_) {
    const Command& command = commands[commands_seen_];
    std::string json = command_json(command);
    changes.push_back(Change{Change::Kind::kCommand, command.id, json});
    if (chain_) {
      pending_audit_.push_back(store::AuditRow{0, command.at, "command", command.id, command.order_id, "", "command:" + command.id,
                                               json, {}, {}});
    }
    outbox.push_back(store::OutboxItem{command.id, 0, std::move(json)});
    ++live_.commands;
  }
  const auto& actions = engine_->desk_actions();
  for (; desk_actions_seen_ < actions.size(); ++desk_actions_seen_) {
    const people::Action& action = actions[desk_actions_seen_];
    if (!chain_) continue;
    std::string body;
    JsonWriter json(body);
    json.begin_object().field("kind", people::action_kind_name(action.kind));
    if (!action.incident_id.empty()) json.field("incident_id", action.incident_id);
    if (!action.target.empty()) json.field("target", action.target);
    if (!action.code.empty()) json.field("code", action.code);
    if (!action.text.empty()) json.field("text", action.text);
    json.end_object();
    std::string order;
    if (const Incident* incident = const_cast<IncidentLog&>(engine_->incidents()).find_by_id(action.incident_id)) {
      order = std::string(engine_->interner().view(incident->order));
    }
    pending_audit_.push_back(store::AuditRow{0, action.at, "person", action.incident_id, std::move(order), action.actor,
                                             "action:" + std::to_string(action.seq), std::move(body), {}, {}});
  }
}

void Service::maybe_snapshot() {
  if (options_.snapshot_every_records == 0 || records_since_snapshot_ < options_.snapshot_every_records) return;
  // The derived rows of everything up to here go first, so the snapshot never runs ahead of them.
  if (has_derived() && !commit({})) return;
  const std::string bytes = engine_->snapshot();
  if (store_->save_snapshot(applied_seq_, bytes)) {
    records_since_snapshot_ = 0;
    ++live_.snapshots;
  }
}

}  // namespace og::server
