// evaluate: `orderguard evaluate` — how well the incidents a replay found agree with the
// ground truth a simulator planted (docs/truth-format.md): matching, precision, recall, F1
// and detection delay per incident type, rendered as a table for people and as JSON.
// Owns: reading the incidents and truth NDJSON files (streaming; simdjson stays in the .cc),
// the matching rule, the metrics. Depends on: core (time, JSON writing) and rules (type,
// kind and stage names) only, so that it judges the engine without sharing its code.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "core/time.h"
#include "rules/incident_type.h"

namespace og {

// What must be equal for an incident and a truth record to match. Optional parts take part
// in the comparison as they are: present on one side and absent on the other is no match.
struct MatchKey {
  IncidentType type = IncidentType::kPaymentTimeout;
  SubjectKind subject_kind = SubjectKind::kOrder;
  std::string subject_id;
  std::optional<std::string> sku;
  std::optional<Stage> stage;
  std::optional<IncidentType> incident_type;  // COMMUNITY_HOTSPOT: the type it is about

  auto operator<=>(const MatchKey&) const = default;
};

// "ORDER_STUCK order:G-1 stage=pick": the golden-case notation, so a person can grep for it.
std::string describe_key(const MatchKey& key);

// One incident from the incidents file that counts as a detection (not retracted).
struct Detection {
  MatchKey key;
  TimeMs detected_at = 0;
  std::string incident_id;  // empty when the line had none
  std::uint64_t line = 0;
};

// One truth record: an incident the simulated world planted.
struct PlantedIncident {
  MatchKey key;
  TimeMs detected_at = 0;
  std::string note;  // how it was planted, for people; may be empty
  std::uint64_t line = 0;
};

struct IncidentsInput {
  std::vector<Detection> detections;
  std::uint64_t retracted = 0;  // left out: a retracted incident is not a detection
  std::uint64_t bad_lines = 0;
};

struct TruthInput {
  std::vector<PlantedIncident> planted;
  std::uint64_t bad_lines = 0;
};

// Told about every malformed line (then reading goes on): the file's name as given, the
// line number as an editor shows it, and "<field>: <what is wrong>".
using BadLineReporter = std::function<void(std::string_view file, std::uint64_t line, const std::string& reason)>;

// Whole-buffer readers (tests, small inputs). `file_name` only labels reports.
IncidentsInput read_incidents(std::string_view ndjson, std::string_view file_name, const BadLineReporter& report);
TruthInput read_truth(std::string_view ndjson, std::string_view file_name, const BadLineReporter& report);

// Streaming file readers: memory grows with the records kept, not with the file. The error
// (a file that cannot be opened or read) names the path and the reason.
tl::expected<IncidentsInput, std::string> read_incidents_file(const std::string& path, const BadLineReporter& report);
tl::expected<TruthInput, std::string> read_truth_file(const std::string& path, const BadLineReporter& report);

// Detection delay = incident detected_at - truth detected_at, over matched pairs.
struct DelayStats {
  std::uint64_t matched = 0;  // the percentiles below mean something only when this is > 0
  DurationMs p50 = 0;
  DurationMs p99 = 0;
  DurationMs max = 0;
  std::uint64_t negative = 0;  // detections earlier than the truth says a correct engine can know
};

// Ratios are empty where they are 0/0: precision with nothing found, recall with nothing
// expected, F1 with neither.
struct Scores {
  std::uint64_t truth = 0;
  std::uint64_t found = 0;
  std::uint64_t true_positives = 0;
  std::uint64_t false_positives = 0;
  std::uint64_t false_negatives = 0;
  std::optional<double> precision;
  std::optional<double> recall;
  std::optional<double> f1;
  DelayStats delay;
};

inline constexpr std::size_t kExamplesPerType = 10;

struct TypeEvaluation {
  IncidentType type = IncidentType::kPaymentTimeout;
  Scores scores;
  std::vector<PlantedIncident> example_misses;  // at most kExamplesPerType, earliest first
  std::vector<Detection> example_false_alarms;  // at most kExamplesPerType, earliest first
};

struct Evaluation {
  Scores overall;                        // summed over every type (micro average)
  std::vector<TypeEvaluation> by_type;   // types with truth or detections, sorted by name
  std::uint64_t retracted_left_out = 0;
  std::uint64_t bad_incident_lines = 0;
  std::uint64_t bad_truth_lines = 0;
};

Evaluation evaluate(const IncidentsInput& incidents, const TruthInput& truth);

// Fixed-width table, one row per type then OVERALL, and a few examples under it.
std::string evaluation_table(const Evaluation& evaluation);
// {"overall":{...},"by_type":{"TYPE":{...}}}, keys in a fixed order, newline-terminated.
std::string evaluation_json(const Evaluation& evaluation);
// "ORDER_STUCK (F1 0.500)" for every type, and "OVERALL", whose F1 is below `min_f1`.
std::vector<std::string> f1_below(const Evaluation& evaluation, double min_f1);

}  // namespace og
