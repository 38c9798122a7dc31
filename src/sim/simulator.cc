#include "sim/simulator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <queue>

#include "core/hash.h"
#include "sim/order_plan.h"
#include "sim/random.h"
#include "sim/render.h"
#include "sim/trackers.h"

namespace og::sim {

namespace {

// Relative order intensity by hour of the day (local time): breakfast, lunch and dinner peaks.
constexpr std::array<double, 24> kGroceryHours = {0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 1.0, 2.5, 3.0, 2.5, 3.5, 5.0,
                                                  5.5, 3.0, 2.0, 2.0, 3.0, 5.5, 6.5, 5.0, 3.5, 2.0, 1.2, 0.6};
constexpr std::array<double, 24> kErrandHours = {0.8, 0.3, 0.1, 0.1, 0.1, 0.1, 0.3, 1.5, 2.5, 2.5, 3.0, 5.0,
                                                 6.0, 3.5, 2.5, 2.5, 3.0, 4.5, 5.5, 4.0, 4.5, 5.0, 4.0, 2.0};
constexpr std::array<double, 24> kMallHours = {0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 2.5, 3.5, 4.0,
                                               4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.5, 5.0, 5.0, 4.0, 2.5, 1.2};

const std::array<double, 24>& hours_of(OrderKind kind) {
  switch (kind) {
    case OrderKind::kGrocery: return kGroceryHours;
    case OrderKind::kErrand: return kErrandHours;
    case OrderKind::kMall: return kMallHours;
  }
  return kGroceryHours;
}

constexpr std::array<OrderKind, 3> kKinds = {OrderKind::kGrocery, OrderKind::kErrand, OrderKind::kMall};

// Near misses default to half the incident rate, within what the incidents leave over.
double default_near_miss_rate(const SimConfig& config) {
  if (config.near_miss_rate >= 0) return config.near_miss_rate;
  return std::min(config.incident_rate / 2, 1 - config.incident_rate);
}

bool is_episode(Kind kind) {
  return kind == Kind::kFrequentCancellation || kind == Kind::kDuplicateUnpaidOrders || kind == Kind::kAmountAnomaly ||
         kind == Kind::kRiderFrequentCancel || kind == Kind::kCommunityHotspot;
}

bool has_near_miss(Kind kind) {
  switch (kind) {
    case Kind::kPaymentFailed:
    case Kind::kPaymentAmountMismatch:
    case Kind::kOutOfStock:
    case Kind::kRiderCancelled:
    case Kind::kDeliveryFailed: return false;
    default: return true;
  }
}

// A shuffled deck of types: every type comes up once per pass, so a run with a few dozen
// planted exceptions already covers them all.
class Deck {
 public:
  Deck() = default;
  explicit Deck(std::vector<Kind> types) : types_(std::move(types)) {}
  Kind draw(Rng& rng) {
    if (next_ == 0) {
      for (std::size_t i = types_.size(); i > 1; --i) std::swap(types_[i - 1], types_[rng.index(i)]);
    }
    const Kind kind = types_[next_];
    next_ = (next_ + 1) % types_.size();
    return kind;
  }
  bool empty() const { return types_.empty(); }

 private:
  std::vector<Kind> types_;
  std::size_t next_ = 0;
};

struct Arrival {
  TimeMs at = 0;
  OrderKind kind = OrderKind::kGrocery;
};

// Background order slots, one hour of one day at a time.
class Arrivals {
 public:
  Arrivals(const SimConfig& config, const WorldModel& world) : config_(config), world_(world), rng_(derive_seed(config.seed, 0xa1)) {
    days_ = std::max<std::uint64_t>(1, (config.orders + config.orders_per_day - 1) / config.orders_per_day);
  }

  std::uint64_t days() const { return days_; }
  // Background slots not handed out yet (this hour's and every later day's).
  std::uint64_t left() const { return config_.orders - popped_; }

  bool peek(Arrival& out) {
    while (cursor_ >= hour_.size()) {
      if (!fill_next_hour()) return false;
    }
    out = hour_[cursor_];
    return true;
  }
  void pop() {
    ++cursor_;
    ++popped_;
  }

 private:
  bool fill_next_hour() {
    hour_.clear();
    cursor_ = 0;
    if (day_ >= days_) return false;
    if (hour_index_ == 0) plan_day();
    const std::uint64_t count = counts_[hour_index_];
    const TimeMs hour_start = config_.start_ms + static_cast<TimeMs>(day_) * 24 * kHourMs + hour_index_ * kHourMs;
    std::array<double, 3> weights{};
    double total = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      const KindDef& def = world_.kind(kKinds[k]);
      weights[k] = def.present ? def.share * hours_of(kKinds[k])[static_cast<std::size_t>(hour_index_)] : 0;
      total += weights[k];
    }
    for (std::uint64_t i = 0; i < count; ++i) {
      Arrival arrival;
      arrival.at = hour_start + rng_.range(0, kHourMs - 1);
      double pick = rng_.uniform() * total;
      std::size_t k = 0;
      while (k < 2 && (pick >= weights[k] || weights[k] == 0)) {
        pick -= weights[k];
        ++k;
      }
      while (!world_.kind(kKinds[k]).present) k = (k + 1) % 3;
      arrival.kind = kKinds[k];
      hour_.push_back(arrival);
    }
    std::sort(hour_.begin(), hour_.end(), [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
    if (++hour_index_ == 24) {
      hour_index_ = 0;
      ++day_;
    }
    return true;
  }

  void plan_day() {
    // This day's orders split over the hours by the platform's curve (largest remainder).
    const std::uint64_t base = config_.orders / days_;
    const std::uint64_t today = base + (day_ < config_.orders % days_ ? 1 : 0);
    std::array<double, 24> weights{};
    double total = 0;
    for (std::size_t h = 0; h < 24; ++h) {
      for (OrderKind kind : kKinds) {
        const KindDef& def = world_.kind(kind);
        if (def.present) weights[h] += def.share * hours_of(kind)[h];
      }
      total += weights[h];
    }
    std::uint64_t assigned = 0;
    std::array<double, 24> remainders{};
    for (std::size_t h = 0; h < 24; ++h) {
      const double exact = static_cast<double>(today) * weights[h] / total;
      counts_[h] = static_cast<std::uint64_t>(std::floor(exact));
      remainders[h] = exact - std::floor(exact);
      assigned += counts_[h];
    }
    std::array<std::size_t, 24> order{};
    for (std::size_t h = 0; h < 24; ++h) order[h] = h;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return remainders[a] > remainders[b]; });
    for (std::size_t i = 0; assigned < today; ++i, ++assigned) ++counts_[order[i % 24]];
  }

  const SimConfig& config_;
  const WorldModel& world_;
  Rng rng_;
  std::uint64_t days_ = 1;
  std::uint64_t day_ = 0;
  std::int64_t hour_index_ = 0;
  std::array<std::uint64_t, 24> counts_{};
  std::vector<Arrival> hour_;
  std::size_t cursor_ = 0;
  std::uint64_t popped_ = 0;
};

struct Entry {
  TimeMs ts = 0;
  std::uint8_t rank = 0;
  std::uint64_t key = 0;
  std::uint32_t slot = 0;
  bool master = false;
};
struct EntryAfter {
  bool operator()(const Entry& a, const Entry& b) const {
    if (a.ts != b.ts) return a.ts > b.ts;
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.key > b.key;
  }
};

struct Scheduled {
  TimeMs start = 0;
  std::uint64_t seq = 0;
  PlanRequest request;
};
struct ScheduledAfter {
  bool operator()(const Scheduled& a, const Scheduled& b) const { return a.start != b.start ? a.start > b.start : a.seq > b.seq; }
};

struct PendingTruth {
  TimeMs at = 0;
  std::uint64_t seq = 0;
  TruthRecord record;
};
struct TruthAfter {
  bool operator()(const PendingTruth& a, const PendingTruth& b) const { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
};

class Run {
 public:
  Run(const SimConfig& config, LineSink& events, LineSink* truth)
      : config_(config),
        // Users and riders scale with the orders of a day, so a small run still has regulars.
        world_(config.platform, config.seed, std::min(config.orders, config.orders_per_day)),
        arrivals_(config, world_),
        events_(events),
        truth_sink_(truth),
        noise_(config.seed, config.noise_rate, events),
        plant_rng_(derive_seed(config.seed, 0x91a47)),
        style_rng_(derive_seed(config.seed, 0x57f1e)),
        master_rng_(derive_seed(config.seed, 0x3a57e2)) {
    near_rate_ = default_near_miss_rate(config);
    for (OrderKind kind : kKinds) {
      const KindDef& def = world_.kind(kind);
      if (!def.present) continue;
      std::vector<Kind> all, near;
      for (std::size_t i = 0; i < kKindCount; ++i) {
        const auto type = static_cast<Kind>(i);
        if (kind == OrderKind::kMall && (type == Kind::kRiderStalled || type == Kind::kDeliveryLateRisk)) continue;
        all.push_back(type);
        if (has_near_miss(type)) near.push_back(type);
      }
      decks_[static_cast<std::size_t>(kind)] = Deck(all);
      near_decks_[static_cast<std::size_t>(kind)] = Deck(near);
      last_start_[static_cast<std::size_t>(kind)].assign(def.user_count, kAbsent);
    }
    const double alt = std::min(0.5, 5 * config.noise_rate);
    alt_style_rate_ = config.noise_rate > 0 ? alt : 0;
  }

  SimStats go() {
    schedule_day(0);
    scheduled_days_ = 1;
    Arrival arrival;
    for (;;) {
      const bool has_arrival = arrivals_.peek(arrival);
      const bool has_scheduled = !scheduled_.empty();
      TimeMs next_start = kAbsent;
      if (has_arrival) next_start = arrival.at;
      if (has_scheduled && (next_start == kAbsent || scheduled_.top().start < next_start)) next_start = scheduled_.top().start;
      if (next_start != kAbsent && (queue_.empty() || next_start <= queue_.top().ts)) {
        maybe_schedule_days(next_start);
        if (has_scheduled && scheduled_.top().start == next_start && (!has_arrival || scheduled_.top().start < arrival.at)) {
          Scheduled next = scheduled_.top();
          scheduled_.pop();
          start_order(std::move(next.request));
        } else {
          arrivals_.pop();
          background_slot(arrival);
        }
        continue;
      }
      if (queue_.empty()) break;
      const Entry entry = queue_.top();
      queue_.pop();
      maybe_schedule_days(entry.ts);
      emit(entry);
    }
    drain_truth(std::numeric_limits<TimeMs>::max());
    const TimeMs end = std::max(last_ts_, max_truth_) + kMinuteMs;
    std::string line;
    MasterEvent tick;
    tick.ts = end;
    tick.type = EventType::kClockTick;
    tick.serial = ++serial_;
    render_master(line, world_, tick, TimeStyle::kBeijing);
    noise_.release_until(end);
    noise_.finish();
    events_.write(line);
    ++stats_.events;
    last_ts_ = end;
    events_.flush();
    if (truth_sink_ != nullptr) truth_sink_->flush();
    const NoiseCounts& counts = noise_.counts();
    stats_.lines = counts.lines + 1;
    stats_.duplicates = counts.duplicates;
    stats_.delayed = counts.delayed;
    stats_.bad_lines = counts.bad_lines;
    stats_.clean_surprises = plan_stats_.clean_surprises;
    stats_.days = arrivals_.days();
    stats_.first_ts = config_.start_ms;
    stats_.last_ts = last_ts_;
    return stats_;
  }

 private:
  // ---------------------------------------------------------------------------------------
  // Master data and the clock

  void push_master(const MasterEvent& event) {
    std::uint32_t slot;
    if (!free_masters_.empty()) {
      slot = free_masters_.back();
      free_masters_.pop_back();
      masters_[slot] = event;
    } else {
      slot = static_cast<std::uint32_t>(masters_.size());
      masters_.push_back(event);
    }
    push_entry(Entry{event.ts, static_cast<std::uint8_t>(event.type), (0xffULL << 56) | event.serial, slot, true});
  }

  MasterEvent master(TimeMs ts, EventType type, std::uint32_t index, std::int64_t value) {
    MasterEvent event;
    event.ts = ts;
    event.type = type;
    event.index = index;
    event.value = value;
    event.serial = ++serial_;
    return event;
  }

  std::int64_t normal_level(const SkuDef& sku) { return sku.reorder_point + master_rng_.range(1, 8 * sku.reorder_point); }

  void maybe_schedule_days(TimeMs now) {
    // Plan a day's master data half a day ahead: orders are planned minutes before they are
    // created and must see the prices in force then.
    while (scheduled_days_ <= arrivals_.days() &&
           now >= config_.start_ms + static_cast<TimeMs>(scheduled_days_ - 1) * 24 * kHourMs + 12 * kHourMs) {
      schedule_day(scheduled_days_);
      ++scheduled_days_;
    }
  }

  void schedule_day(std::uint64_t day) {
    const TimeMs day_start = config_.start_ms + static_cast<TimeMs>(day) * 24 * kHourMs;
    const auto& skus = world_.skus();
    if (day == 0) {
      for (std::uint32_t z = 0; z < world_.zones().size(); ++z) push_master(master(day_start, EventType::kZoneConfig, z, 0));
      for (std::uint32_t s = 0; s < skus.size(); ++s) {
        push_master(master(day_start, EventType::kCatalogItem, s, skus[s].base_price));
        if (skus[s].stocked) push_master(master(day_start, EventType::kStockLevel, s, normal_level(skus[s])));
      }
    }
    std::vector<PriceChange> changes;
    world_.plan_price_changes(day_start, day, changes);
    for (const PriceChange& change : changes) push_master(master(change.at, EventType::kCatalogItem, change.sku, change.price));
    for (std::uint32_t s = 0; s < skus.size(); ++s) {
      if (!skus[s].stocked) continue;
      const TimeMs offset = static_cast<TimeMs>(hash64(skus[s].sku) % static_cast<std::uint64_t>(3 * kHourMs / kSecondMs)) * kSecondMs;
      for (int k = 0; k < 8; ++k) {
        const TimeMs at = day_start + k * 3 * kHourMs + offset;
        if (at > day_start) push_master(master(at, EventType::kStockLevel, s, normal_level(skus[s])));
      }
    }
    for (std::uint32_t r = 0; r < world_.riders().size(); ++r) {
      MasterEvent status = master(day_start + 7 * kHourMs + master_rng_.range(0, 2 * kHourMs), EventType::kRiderStatus, r,
                                  master_rng_.range(0, 2));
      status.online = true;
      push_master(status);
    }
    for (int k = 1; k < 24 * 6; ++k) push_master(master(day_start + k * 10 * kMinuteMs, EventType::kClockTick, 0, 0));
  }

  // ---------------------------------------------------------------------------------------
  // Orders

  void background_slot(const Arrival& arrival) {
    if (skip_budget_ > 0) {  // an episode took this slot earlier
      --skip_budget_;
      return;
    }
    const double r = plant_rng_.uniform();
    const auto k = static_cast<std::size_t>(arrival.kind);
    if (r < config_.incident_rate + near_rate_) {
      const bool near = r >= config_.incident_rate;
      Deck& deck = near ? near_decks_[k] : decks_[k];
      const Kind type = deck.draw(plant_rng_);
      if (near) ++stats_.near_misses;
      else ++stats_.planted;
      if (is_episode(type) && episode(type, arrival.kind, arrival.at, near)) return;
      if (type == Kind::kLowStock) {
        low_stock(arrival.kind, arrival.at, near);
      } else if (!is_episode(type)) {
        PlanRequest request = clean_request(arrival);
        request.planted = type;
        request.near_miss = near;
        start_order(std::move(request));
        return;
      }
    }
    start_order(clean_request(arrival));
  }

  PlanRequest clean_request(const Arrival& arrival) {
    PlanRequest request;
    request.start = arrival.at;
    request.kind = arrival.kind;
    auto& last = last_start_[static_cast<std::size_t>(arrival.kind)];
    // A user orders again only after a while, so background orders never look like
    // duplicate unpaid orders or a burst of anything.
    std::uint32_t slot = 0;
    for (int attempt = 0; attempt < 16; ++attempt) {
      slot = static_cast<std::uint32_t>(plant_rng_.index(last.size()));
      if (last[slot] == kAbsent || last[slot] <= arrival.at - kHourMs) break;
    }
    request.emit_profile = last[slot] == kAbsent;
    last[slot] = arrival.at;
    request.user_slot = slot;
    return request;
  }

  UserDef episode_user(OrderKind kind, std::uint32_t community) {
    UserDef user;
    std::string digits = std::to_string(++episode_users_);
    if (digits.size() < 7) digits.insert(0, 7 - digits.size(), '0');
    user.id = std::string("U-") + world_.kind(kind).prefix + "X" + digits;
    user.vip = plant_rng_.chance(0.1);
    user.pref = static_cast<SubstitutionPref>(plant_rng_.range(0, 2));
    user.community = community;
    return user;
  }

  void schedule(TimeMs start, PlanRequest request) {
    request.start = start;
    scheduled_.push(Scheduled{start, ++scheduled_seq_, std::move(request)});
  }

  // Plans the orders of a multi-order exception; returns false when the run has too few
  // orders left to pay for it.
  bool episode(Kind type, OrderKind kind, TimeMs t, bool near) {
    const KindDef& def = world_.kind(kind);
    Rng& rng = plant_rng_;
    const std::uint32_t community = def.communities[rng.index(def.communities.size())];
    std::vector<std::pair<TimeMs, PlanRequest>> orders;
    PlanRequest base;
    base.kind = kind;
    switch (type) {
      case Kind::kFrequentCancellation: {
        base.user = episode_user(kind, community);
        const TimeMs second = t + rng.range(40 * kMinuteMs, 6 * kHourMs);
        const TimeMs third = second + rng.range(40 * kMinuteMs, 14 * kHourMs);
        const std::array<TimeMs, 3> times = {t, second, third};
        for (std::size_t i = 0; i < 3; ++i) {
          PlanRequest request = base;
          request.role = near && i == 1 ? Role::kMerchantCancel : Role::kUserCancel;
          orders.emplace_back(times[i], request);
        }
        break;
      }
      case Kind::kDuplicateUnpaidOrders: {
        base.user = episode_user(kind, community);
        if (kind == OrderKind::kErrand) {
          base.items.push_back(PlanItem{def.service_skus[rng.index(def.service_skus.size() - 1)], 1, 0});
        } else {
          const std::size_t lines = static_cast<std::size_t>(rng.range(1, 3));
          for (std::size_t i = 0; i < lines * 3 && base.items.size() < lines; ++i) {
            const std::uint32_t sku = def.skus[rng.index(def.skus.size())];
            if (std::none_of(base.items.begin(), base.items.end(), [&](const PlanItem& item) { return item.sku == sku; })) {
              base.items.push_back(PlanItem{sku, 1, 0});
            }
          }
        }
        const std::array<TimeMs, 3> times = {t, t + rng.range(60, 240) * kSecondMs, t + rng.range(300, 540) * kSecondMs};
        const TimeMs cancel_at = times[2] + rng.range(30, 180) * kSecondMs;
        for (std::size_t i = 0; i < 3; ++i) {
          PlanRequest request = base;
          request.role = i == 2 || (near && i == 1) ? Role::kDuplicatePaid : Role::kDuplicateUnpaid;
          request.cancel_at = cancel_at;
          orders.emplace_back(times[i], request);
        }
        break;
      }
      case Kind::kAmountAnomaly: {
        base.user = episode_user(kind, community);
        base.tracked_user = true;
        const int history = near && rng.chance(0.5) ? 4 : static_cast<int>(rng.range(5, 7));
        TimeMs at = t;
        for (int i = 0; i < history; ++i) {
          PlanRequest request = base;
          request.role = Role::kAnomalyHistory;
          orders.emplace_back(at, request);
          at += rng.range(40, 120) * kMinuteMs;
        }
        PlanRequest big = base;
        big.role = Role::kAnomalyBig;
        big.target_floor = near && history >= 5;
        big.target_amount = history >= 5 && near ? -2 : -1;  // resolved from the history when it starts
        orders.emplace_back(at + rng.range(0, 60) * kMinuteMs, big);
        break;
      }
      case Kind::kRiderFrequentCancel: {
        const std::uint32_t zone_index = def.zones[rng.index(def.zones.size())];
        const ZoneDef& zone = world_.zones()[zone_index];
        base.rider = static_cast<std::int32_t>(zone.first_rider + static_cast<std::uint32_t>(rng.index(zone.rider_count)));
        base.role = Role::kRiderCancel;
        const int count = near ? 2 : 3;
        TimeMs at = t;
        for (int i = 0; i < count; ++i) {
          PlanRequest request = base;
          request.user = episode_user(kind, zone.communities[rng.index(zone.communities.size())]);
          orders.emplace_back(at, request);
          at += rng.range(30 * kMinuteMs, 6 * kHourMs);
        }
        break;
      }
      case Kind::kCommunityHotspot: {
        base.role = Role::kHotspotPaymentFailed;
        const int count = near ? 5 : 6;
        TimeMs at = t;
        for (int i = 0; i < count; ++i) {
          PlanRequest request = base;
          request.user = episode_user(kind, community);
          request.fail_then_pay = rng.chance(0.5);
          // Near miss: failures exactly 15 min apart, so the first is exactly 60 min before
          // the fifth and falls outside the window (t - 60 min, t].
          if (near) request.fail_after = kMinuteMs;
          orders.emplace_back(at, request);
          at += near ? 15 * kMinuteMs : rng.range(4 * kMinuteMs, 9 * kMinuteMs);
        }
        break;
      }
      default: return false;
    }
    const std::uint64_t extra = orders.size() - 1;
    if (arrivals_.left() < skip_budget_ + extra) return false;
    skip_budget_ += extra;
    bool first = true;
    for (auto& [at, request] : orders) {
      request.emit_profile = first && request.user.has_value();
      first = first && !request.user.has_value();
      if (request.role == Role::kRiderCancel || request.role == Role::kHotspotPaymentFailed) request.emit_profile = true;
      schedule(at, std::move(request));
    }
    return true;
  }

  void low_stock(OrderKind kind, TimeMs t, bool near) {
    const KindDef& def = world_.kind(kind);
    const std::uint32_t sku = def.skus[plant_rng_.index(def.skus.size())];
    const SkuDef& sku_def = world_.skus()[sku];
    const TimeMs low_at = t + plant_rng_.range(0, 20 * 60) * kSecondMs;
    const std::int64_t level = near ? sku_def.reorder_point : plant_rng_.range(0, sku_def.reorder_point - 1);
    push_master(master(low_at, EventType::kStockLevel, sku, level));
    push_master(master(low_at + plant_rng_.range(30, 180) * kMinuteMs, EventType::kStockLevel, sku,
                       sku_def.reorder_point + plant_rng_.range(5, 5 * sku_def.reorder_point)));
  }

  void start_order(PlanRequest request) {
    request.number = ++order_count_;
    request.exact_boundaries = config_.exact_boundaries;
    if (request.role == Role::kAnomalyBig && request.target_amount < 0 && request.user) {
      const std::int64_t m2 = trackers_.median_x2(request.user->id);
      const std::int64_t median = m2 == kAbsent ? 5000 : m2 / 2;
      request.target_amount = request.target_amount == -2
                                  ? median + Limits::kAnomalyMinExcess - 1
                                  : std::max(Limits::kAnomalyMultiple * (median + 1), median + 1 + Limits::kAnomalyMinExcess) +
                                        plant_rng_.range(100, 3000);
    }
    std::uint32_t slot;
    if (!free_plans_.empty()) {
      slot = free_plans_.back();
      free_plans_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(plans_.size());
      plans_.emplace_back();
      baskets_.push_back(0);
    }
    truth_scratch_.clear();
    build_order(world_, request, config_.seed, plans_[slot], truth_scratch_, plan_stats_);
    OrderPlan& plan = plans_[slot];
    std::vector<std::pair<std::string, std::int64_t>> basket;
    for (const PlanItem& item : plan.items) basket.emplace_back(world_.skus()[item.sku].sku, item.qty);
    baskets_[slot] = Trackers::basket_key(basket);
    for (TruthRecord& record : truth_scratch_) push_truth(std::move(record));
    ++stats_.orders;
    ++active_orders_;
    stats_.peak_active_orders = std::max<std::uint64_t>(stats_.peak_active_orders, active_orders_);
    if (plan.steps.empty()) {
      release_plan(slot);
      return;
    }
    push_order_step(slot);
  }

  void push_order_step(std::uint32_t slot) {
    const OrderPlan& plan = plans_[slot];
    const Step& step = plan.steps[plan.cursor];
    const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<unsigned char>(plan.order_id[0])) << 56) |
                              (plan.number << 12) | static_cast<std::uint64_t>(plan.cursor);
    push_entry(Entry{step.ts, static_cast<std::uint8_t>(step.type), key, slot, false});
  }

  void push_entry(const Entry& entry) {
    queue_.push(entry);
    stats_.peak_queue = std::max<std::uint64_t>(stats_.peak_queue, queue_.size());
  }

  void release_plan(std::uint32_t slot) {
    OrderPlan& plan = plans_[slot];
    plan.steps.clear();
    plan.steps.shrink_to_fit();
    plan.items.clear();
    plan.picked.clear();
    free_plans_.push_back(slot);
    --active_orders_;
  }

  // ---------------------------------------------------------------------------------------
  // Emission

  TimeStyle style() {
    if (alt_style_rate_ <= 0) return TimeStyle::kBeijing;
    const double r = style_rng_.uniform();
    if (r >= alt_style_rate_) return TimeStyle::kBeijing;
    return r < alt_style_rate_ / 2 ? TimeStyle::kUtc : TimeStyle::kEpochMs;
  }

  void emit(const Entry& entry) {
    drain_truth(entry.ts);
    if (entry.ts >= next_sweep_) {
      trackers_.sweep(entry.ts);
      next_sweep_ = entry.ts + kHourMs;
      stats_.peak_tracker_entries = std::max<std::uint64_t>(stats_.peak_tracker_entries, trackers_.entries());
    }
    last_ts_ = std::max(last_ts_, entry.ts);
    line_.clear();
    ++stats_.events;
    if (entry.master) {
      const MasterEvent event = masters_[entry.slot];
      free_masters_.push_back(entry.slot);
      render_master(line_, world_, event, style());
      if (event.type == EventType::kStockLevel) {
        const SkuDef& sku = world_.skus()[event.index];
        trackers_.on_stock_level(event.ts, sku.sku, event.value, sku.reorder_point, tracker_out_);
      }
      flush_tracker_out();
      noise_.push(event.ts, {}, line_);
      return;
    }
    OrderPlan& plan = plans_[entry.slot];
    const Step& step = plan.steps[plan.cursor];
    render_step(line_, world_, plan, plan.cursor, style());
    switch (step.type) {
      case EventType::kOrderCreated:
        trackers_.on_order_created(step.ts, plan.user.id, plan.number, baskets_[entry.slot], plan.tracked_user, plan.amount,
                                   plan.order_id, world_.communities()[plan.community].name, tracker_out_);
        break;
      case EventType::kPaymentSucceeded: trackers_.on_paid(plan.number); break;
      case EventType::kOrderCancelled:
        trackers_.on_cancelled(step.ts, plan.user.id, plan.number, step.detail == static_cast<std::uint8_t>(CancelledBy::kUser), tracker_out_);
        break;
      case EventType::kRiderCancelled:
        trackers_.on_rider_cancelled(step.ts, world_.riders()[static_cast<std::size_t>(step.a)], plan.number, tracker_out_);
        break;
      default: break;
    }
    flush_tracker_out();
    noise_.push(step.ts, plan.order_id, line_);
    ++plan.cursor;
    if (plan.cursor < plan.steps.size()) push_order_step(entry.slot);
    else release_plan(entry.slot);
  }

  void flush_tracker_out() {
    for (TruthRecord& record : tracker_out_) push_truth(std::move(record));
    tracker_out_.clear();
  }

  void push_truth(TruthRecord record) {
    max_truth_ = std::max(max_truth_, record.detected_at);
    PendingTruth pending{record.detected_at, ++truth_seq_, std::move(record)};
    truth_heap_.push_back(std::move(pending));
    std::push_heap(truth_heap_.begin(), truth_heap_.end(), TruthAfter{});
    stats_.peak_pending_truth = std::max<std::uint64_t>(stats_.peak_pending_truth, truth_heap_.size());
  }

  // Truth records strictly before `before` are final: nothing emitted later can precede them.
  void drain_truth(TimeMs before) {
    while (!truth_heap_.empty() && truth_heap_.front().at < before) {
      std::pop_heap(truth_heap_.begin(), truth_heap_.end(), TruthAfter{});
      TruthRecord record = std::move(truth_heap_.back().record);
      truth_heap_.pop_back();
      hotspot_out_.clear();
      trackers_.on_order_incident(record, hotspot_out_);
      write_truth(record);
      for (const TruthRecord& hotspot : hotspot_out_) write_truth(hotspot);
    }
  }

  void write_truth(const TruthRecord& record) {
    ++stats_.truth_records;
    ++stats_.truth_by_type[static_cast<std::size_t>(record.type)];
    if (truth_sink_ == nullptr) return;
    truth_line_.clear();
    append_truth_json(truth_line_, record);
    truth_sink_->write(truth_line_);
  }

  const SimConfig& config_;
  WorldModel world_;
  Arrivals arrivals_;
  LineSink& events_;
  LineSink* truth_sink_;
  NoiseStage noise_;
  Trackers trackers_;
  Rng plant_rng_, style_rng_, master_rng_;
  double near_rate_ = 0;
  double alt_style_rate_ = 0;
  std::array<Deck, 3> decks_, near_decks_;
  std::array<std::vector<TimeMs>, 3> last_start_;

  std::priority_queue<Entry, std::vector<Entry>, EntryAfter> queue_;
  std::priority_queue<Scheduled, std::vector<Scheduled>, ScheduledAfter> scheduled_;
  std::uint64_t scheduled_seq_ = 0;
  std::vector<OrderPlan> plans_;
  std::vector<std::uint64_t> baskets_;
  std::vector<std::uint32_t> free_plans_;
  std::vector<MasterEvent> masters_;
  std::vector<std::uint32_t> free_masters_;
  std::vector<PendingTruth> truth_heap_;
  std::uint64_t truth_seq_ = 0;
  std::vector<TruthRecord> truth_scratch_, tracker_out_, hotspot_out_;
  std::string line_, truth_line_;

  std::uint64_t scheduled_days_ = 0;
  std::uint64_t serial_ = 0;
  std::uint64_t order_count_ = 0;
  std::uint64_t episode_users_ = 0;
  std::uint64_t skip_budget_ = 0;
  std::uint64_t active_orders_ = 0;
  TimeMs last_ts_ = 0;
  TimeMs max_truth_ = 0;
  TimeMs next_sweep_ = 0;
  PlanStats plan_stats_;
  SimStats stats_;
};

}  // namespace

tl::expected<void, std::string> validate(const SimConfig& config) {
  if (config.orders < 1 || config.orders > 100000000) return tl::unexpected(std::string("--orders must be 1 to 100000000"));
  if (!(config.incident_rate >= 0 && config.incident_rate <= 1)) return tl::unexpected(std::string("--incident-rate must be 0 to 1"));
  if (!(config.noise_rate >= 0 && config.noise_rate <= 0.5)) return tl::unexpected(std::string("--noise-rate must be 0 to 0.5"));
  const double near = default_near_miss_rate(config);
  if (!(near >= 0) || config.incident_rate + near > 1) return tl::unexpected(std::string("incident rate plus near-miss rate must not exceed 1"));
  if (config.orders_per_day < 100) return tl::unexpected(std::string("orders per day must be at least 100"));
  return {};
}

SimStats simulate(const SimConfig& config, LineSink& events, LineSink* truth) { return Run(config, events, truth).go(); }

}  // namespace og::sim
