// Matching detections to truth records (docs/truth-format.md "Matching") and the metrics
// that follow from the pairs.
#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <span>
#include <utility>

#include "evaluate/evaluate.h"

namespace og {
namespace {

struct TypeAccumulator {
  std::uint64_t truth = 0;
  std::uint64_t found = 0;
  std::vector<DurationMs> delays;           // one per matched pair
  std::vector<std::uint32_t> misses;        // indexes into TruthInput::planted
  std::vector<std::uint32_t> false_alarms;  // indexes into IncidentsInput::detections
};

// Indexes of `records` ordered by (key, detected_at, line): equal keys become adjacent runs
// in time order, and ties still have one order, so that output never depends on input order.
template <typename RecordT>
std::vector<std::uint32_t> by_key_then_time(const std::vector<RecordT>& records) {
  std::vector<std::uint32_t> order(records.size());
  std::iota(order.begin(), order.end(), std::uint32_t{0});
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const RecordT& left = records[a];
    const RecordT& right = records[b];
    if (const auto by_key = left.key <=> right.key; by_key != 0) return by_key < 0;
    if (left.detected_at != right.detected_at) return left.detected_at < right.detected_at;
    return left.line < right.line;
  });
  return order;
}

// One key's detections and truth records, each in time order. The spec's rule: detections
// in detected_at order, each to the nearest unmatched record. A tie in distance goes to the
// earlier record: an engine normally knows at or after the truth time, so a positive delay is
// the likelier pairing. Without a distance limit the number of pairs is always
// min(detections, records); the rule only decides which pairs, and so the delays.
void match_one_key(const IncidentsInput& incidents, std::span<const std::uint32_t> detections,
                   const TruthInput& truth, std::span<const std::uint32_t> records, TypeAccumulator& accumulator) {
  // (detected_at, position in `records`): ordered like `records`, so ties keep line order.
  std::set<std::pair<TimeMs, std::size_t>> unmatched;
  for (std::size_t position = 0; position < records.size(); ++position) {
    unmatched.emplace(truth.planted[records[position]].detected_at, position);
  }
  for (const std::uint32_t detection_index : detections) {
    const TimeMs detected_at = incidents.detections[detection_index].detected_at;
    if (unmatched.empty()) {
      accumulator.false_alarms.push_back(detection_index);
      continue;
    }
    auto chosen = unmatched.lower_bound({detected_at, 0});  // the first record at or after
    if (chosen == unmatched.end() ||
        (chosen != unmatched.begin() && detected_at - std::prev(chosen)->first <= chosen->first - detected_at)) {
      // The record before is nearer (or as near); of several at that time, take the first.
      chosen = unmatched.lower_bound({std::prev(chosen)->first, 0});
    }
    accumulator.delays.push_back(detected_at - chosen->first);
    unmatched.erase(chosen);
  }
  for (const auto& [time, position] : unmatched) accumulator.misses.push_back(records[position]);
}

// Nearest-rank percentile (the smallest value with at least `percent`% of values at or below
// it): always one of the observed delays, never an interpolation between two.
DurationMs nearest_rank(const std::vector<DurationMs>& sorted, std::size_t percent) {
  const std::size_t rank = std::max<std::size_t>(1, (percent * sorted.size() + 99) / 100);
  return sorted[rank - 1];
}

DelayStats delay_stats(std::vector<DurationMs> delays) {
  DelayStats stats;
  stats.matched = delays.size();
  if (delays.empty()) return stats;
  std::sort(delays.begin(), delays.end());
  stats.p50 = nearest_rank(delays, 50);
  stats.p99 = nearest_rank(delays, 99);
  stats.max = delays.back();
  stats.negative = static_cast<std::uint64_t>(std::count_if(delays.begin(), delays.end(), [](DurationMs d) { return d < 0; }));
  return stats;
}

Scores scores(std::uint64_t truth, std::uint64_t found, std::vector<DurationMs> delays) {
  Scores result;
  result.truth = truth;
  result.found = found;
  result.true_positives = delays.size();
  result.false_positives = found - result.true_positives;
  result.false_negatives = truth - result.true_positives;
  const auto tp = static_cast<double>(result.true_positives);
  if (found > 0) result.precision = tp / static_cast<double>(found);
  if (truth > 0) result.recall = tp / static_cast<double>(truth);
  // F1 = 2TP / (2TP + FP + FN) = 2TP / (truth + found): the harmonic mean of precision and
  // recall where both exist, 0 where one side is empty and the other is not (all misses or
  // all false alarms), and one correctly rounded division, so that a --min-f1 threshold
  // like 0.9 compares exactly against 9 of 10.
  if (truth + found > 0) result.f1 = 2 * tp / static_cast<double>(truth + found);
  result.delay = delay_stats(std::move(delays));
  return result;
}

// The first kExamplesPerType by (detected_at, key, line): the earliest are where a person
// starts reading, and the order does not depend on the order of the input lines.
template <typename RecordT>
std::vector<RecordT> examples(const std::vector<RecordT>& records, std::vector<std::uint32_t> indexes) {
  const auto earlier = [&](std::uint32_t a, std::uint32_t b) {
    const RecordT& left = records[a];
    const RecordT& right = records[b];
    if (left.detected_at != right.detected_at) return left.detected_at < right.detected_at;
    if (const auto by_key = left.key <=> right.key; by_key != 0) return by_key < 0;
    return left.line < right.line;
  };
  const std::size_t kept = std::min(indexes.size(), kExamplesPerType);
  std::partial_sort(indexes.begin(), indexes.begin() + static_cast<std::ptrdiff_t>(kept), indexes.end(), earlier);
  std::vector<RecordT> chosen;
  chosen.reserve(kept);
  for (std::size_t i = 0; i < kept; ++i) chosen.push_back(records[indexes[i]]);
  return chosen;
}

}  // namespace

Evaluation evaluate(const IncidentsInput& incidents, const TruthInput& truth) {
  std::array<TypeAccumulator, kIncidentTypeCount> by_type;
  for (const Detection& detection : incidents.detections) ++by_type[static_cast<std::size_t>(detection.key.type)].found;
  for (const PlantedIncident& record : truth.planted) ++by_type[static_cast<std::size_t>(record.key.type)].truth;

  // Merge-join the two key-sorted lists, one run of equal keys at a time.
  const std::vector<std::uint32_t> detections = by_key_then_time(incidents.detections);
  const std::vector<std::uint32_t> records = by_key_then_time(truth.planted);
  std::size_t d = 0;
  std::size_t r = 0;
  while (d < detections.size() || r < records.size()) {
    const MatchKey* key = nullptr;
    if (d < detections.size()) key = &incidents.detections[detections[d]].key;
    if (r < records.size() && (key == nullptr || truth.planted[records[r]].key < *key)) key = &truth.planted[records[r]].key;
    std::size_t d_end = d;
    while (d_end < detections.size() && incidents.detections[detections[d_end]].key == *key) ++d_end;
    std::size_t r_end = r;
    while (r_end < records.size() && truth.planted[records[r_end]].key == *key) ++r_end;
    match_one_key(incidents, std::span(detections).subspan(d, d_end - d), truth,
                  std::span(records).subspan(r, r_end - r), by_type[static_cast<std::size_t>(key->type)]);
    d = d_end;
    r = r_end;
  }

  Evaluation evaluation;
  evaluation.retracted_left_out = incidents.retracted;
  evaluation.bad_incident_lines = incidents.bad_lines;
  evaluation.bad_truth_lines = truth.bad_lines;
  std::vector<DurationMs> all_delays;
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) {
    TypeAccumulator& accumulator = by_type[t];
    if (accumulator.truth == 0 && accumulator.found == 0) continue;  // nothing to judge
    all_delays.insert(all_delays.end(), accumulator.delays.begin(), accumulator.delays.end());
    TypeEvaluation type_evaluation;
    type_evaluation.type = static_cast<IncidentType>(t);
    type_evaluation.scores = scores(accumulator.truth, accumulator.found, std::move(accumulator.delays));
    type_evaluation.example_misses = examples(truth.planted, std::move(accumulator.misses));
    type_evaluation.example_false_alarms = examples(incidents.detections, std::move(accumulator.false_alarms));
    evaluation.by_type.push_back(std::move(type_evaluation));
  }
  evaluation.overall = scores(truth.planted.size(), incidents.detections.size(), std::move(all_delays));
  std::sort(evaluation.by_type.begin(), evaluation.by_type.end(), [](const TypeEvaluation& a, const TypeEvaluation& b) {
    return incident_type_name(a.type) < incident_type_name(b.type);
  });
  return evaluation;
}

}  // namespace og
