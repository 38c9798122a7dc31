// Rendering an Evaluation: the table people read, the JSON programs read, and the --min-f1
// verdict.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/json_writer.h"
#include "evaluate/evaluate.h"

namespace og {
namespace {

// Under the table, a few examples per type keep the output short; the JSON has them all.
constexpr std::size_t kExamplesInTable = 3;

// Milliseconds as seconds with 3 decimals by integer arithmetic: exact, no binary rounding.
std::string seconds(DurationMs ms) {
  const bool negative = ms < 0;
  const auto magnitude = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
  return fmt::format("{}{}.{:03}", negative ? "-" : "", magnitude / 1000, magnitude % 1000);
}

// Text from the files shown in the table: a control character (a newline in a note, say)
// would break the fixed-width layout, so it shows as a space.
std::string printable(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, ' ');
  return text;
}

std::string ratio(const std::optional<double>& value) { return value ? fmt::format("{:.3f}", *value) : "-"; }

std::size_t type_column_width() {
  std::size_t width = std::string_view("OVERALL").size();
  for (std::size_t t = 0; t < kIncidentTypeCount; ++t) {
    width = std::max(width, incident_type_name(static_cast<IncidentType>(t)).size());
  }
  return width;
}

// One line of the table; the header goes through here too, so the columns always line up.
void append_cells(std::string& out, std::size_t type_width, std::string_view name, const std::array<std::string, 11>& cells) {
  out += fmt::format("{:<{}}  {:>7} {:>7} {:>7} {:>7} {:>7}  {:>9} {:>7} {:>7}  {:>9} {:>9} {:>9}\n", name, type_width,
                     cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7], cells[8], cells[9],
                     cells[10]);
}

void append_row(std::string& out, std::size_t type_width, std::string_view name, const Scores& scores) {
  const bool timed = scores.delay.matched > 0;
  append_cells(out, type_width, name,
               {std::to_string(scores.truth), std::to_string(scores.found), std::to_string(scores.true_positives),
                std::to_string(scores.false_positives), std::to_string(scores.false_negatives), ratio(scores.precision),
                ratio(scores.recall), ratio(scores.f1), timed ? seconds(scores.delay.p50) : "-",
                timed ? seconds(scores.delay.p99) : "-", timed ? seconds(scores.delay.max) : "-"});
}

void append_examples(std::string& out, const TypeEvaluation& type) {
  const std::string_view name = incident_type_name(type.type);
  const std::size_t misses = std::min(type.example_misses.size(), kExamplesInTable);
  for (std::size_t i = 0; i < misses; ++i) {
    const PlantedIncident& miss = type.example_misses[i];
    out += fmt::format("  miss         {} at {} (truth line {}){}{}\n", printable(describe_key(miss.key)),
                       format_utc_ms(miss.detected_at), miss.line, miss.note.empty() ? "" : ": ", printable(miss.note));
  }
  if (type.scores.false_negatives > misses) {
    out += fmt::format("  ... {} more misses of {}\n", type.scores.false_negatives - misses, name);
  }
  const std::size_t false_alarms = std::min(type.example_false_alarms.size(), kExamplesInTable);
  for (std::size_t i = 0; i < false_alarms; ++i) {
    const Detection& alarm = type.example_false_alarms[i];
    out += fmt::format("  false alarm  {} at {} (incidents line {}{}{})\n", printable(describe_key(alarm.key)),
                       format_utc_ms(alarm.detected_at), alarm.line, alarm.incident_id.empty() ? "" : ", ",
                       printable(alarm.incident_id));
  }
  if (type.scores.false_positives > false_alarms) {
    out += fmt::format("  ... {} more false alarms of {}\n", type.scores.false_positives - false_alarms, name);
  }
}

void write_key(JsonWriter& json, const MatchKey& key) {
  json.field("type", incident_type_name(key.type));
  json.key("subject").begin_object();
  json.field("kind", subject_kind_name(key.subject_kind));
  json.field("id", key.subject_id);
  json.end_object();
  if (key.sku) json.field("sku", *key.sku);
  if (key.stage) json.field("stage", stage_name(*key.stage));
  if (key.incident_type) json.field("incident_type", incident_type_name(*key.incident_type));
}

void write_ratio(JsonWriter& json, std::string_view name, const std::optional<double>& value) {
  json.key(name);
  if (value) json.number(*value);
  else json.null();
}

void write_scores(JsonWriter& json, const Scores& scores) {
  json.field("truth", static_cast<std::int64_t>(scores.truth));
  json.field("found", static_cast<std::int64_t>(scores.found));
  json.field("true_positives", static_cast<std::int64_t>(scores.true_positives));
  json.field("false_positives", static_cast<std::int64_t>(scores.false_positives));
  json.field("false_negatives", static_cast<std::int64_t>(scores.false_negatives));
  write_ratio(json, "precision", scores.precision);
  write_ratio(json, "recall", scores.recall);
  write_ratio(json, "f1", scores.f1);
  json.key("delay_ms").begin_object();
  json.field("matched", static_cast<std::int64_t>(scores.delay.matched));
  for (const auto& [name, value] : {std::pair<std::string_view, DurationMs>{"p50", scores.delay.p50},
                                    {"p99", scores.delay.p99},
                                    {"max", scores.delay.max}}) {
    json.key(name);
    if (scores.delay.matched > 0) json.integer(value);
    else json.null();
  }
  json.field("negative", static_cast<std::int64_t>(scores.delay.negative));
  json.end_object();
}

}  // namespace

std::string describe_key(const MatchKey& key) {
  std::string text = fmt::format("{} {}:{}", incident_type_name(key.type), subject_kind_name(key.subject_kind), key.subject_id);
  if (key.sku) text += fmt::format(" sku={}", *key.sku);
  if (key.stage) text += fmt::format(" stage={}", stage_name(*key.stage));
  if (key.incident_type) text += fmt::format(" of={}", incident_type_name(*key.incident_type));
  return text;
}

std::string evaluation_table(const Evaluation& evaluation) {
  const std::size_t width = type_column_width();
  std::string out;
  append_cells(out, width, "type",
               {"truth", "found", "TP", "FP", "FN", "precision", "recall", "F1", "delay p50", "delay p99", "delay max"});
  const std::size_t header_width = out.size() - 1;
  for (const TypeEvaluation& type : evaluation.by_type) append_row(out, width, incident_type_name(type.type), type.scores);
  out += std::string(header_width, '-') + "\n";
  append_row(out, width, "OVERALL", evaluation.overall);
  out += "delay = incident detected_at - truth detected_at over matched pairs, in seconds (nearest-rank percentiles)\n";

  if (evaluation.overall.delay.negative > 0) {
    std::string per_type;
    for (const TypeEvaluation& type : evaluation.by_type) {
      if (type.scores.delay.negative == 0) continue;
      per_type += fmt::format("{}{} {}", per_type.empty() ? "" : ", ", incident_type_name(type.type), type.scores.delay.negative);
    }
    out += fmt::format("detected earlier than the truth allows: {} ({})\n", evaluation.overall.delay.negative, per_type);
  }
  if (evaluation.retracted_left_out > 0) {
    out += fmt::format("retracted incidents left out: {}\n", evaluation.retracted_left_out);
  }
  if (evaluation.bad_incident_lines + evaluation.bad_truth_lines > 0) {
    out += fmt::format("bad lines skipped (see stderr): incidents {}, truth {}\n", evaluation.bad_incident_lines,
                       evaluation.bad_truth_lines);
  }
  const bool any_errors = std::any_of(evaluation.by_type.begin(), evaluation.by_type.end(), [](const TypeEvaluation& type) {
    return type.scores.false_negatives + type.scores.false_positives > 0;
  });
  if (any_errors) {
    out += fmt::format("\nmisses (planted, not found) and false alarms (found, not planted), earliest {} per type; --json lists {}:\n",
                       kExamplesInTable, kExamplesPerType);
    for (const TypeEvaluation& type : evaluation.by_type) append_examples(out, type);
  }
  return out;
}

std::string evaluation_json(const Evaluation& evaluation) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("overall").begin_object();
  write_scores(json, evaluation.overall);
  json.field("retracted_left_out", static_cast<std::int64_t>(evaluation.retracted_left_out));
  json.key("bad_lines").begin_object();
  json.field("incidents", static_cast<std::int64_t>(evaluation.bad_incident_lines));
  json.field("truth", static_cast<std::int64_t>(evaluation.bad_truth_lines));
  json.end_object();
  json.end_object();
  json.key("by_type").begin_object();
  for (const TypeEvaluation& type : evaluation.by_type) {
    json.key(incident_type_name(type.type)).begin_object();
    write_scores(json, type.scores);
    json.key("misses").begin_array();
    for (const PlantedIncident& miss : type.example_misses) {
      json.begin_object();
      write_key(json, miss.key);
      json.key("detected_at").time_utc(miss.detected_at);
      json.field("line", static_cast<std::int64_t>(miss.line));
      if (!miss.note.empty()) json.field("note", miss.note);
      json.end_object();
    }
    json.end_array();
    json.key("false_alarms").begin_array();
    for (const Detection& alarm : type.example_false_alarms) {
      json.begin_object();
      write_key(json, alarm.key);
      json.key("detected_at").time_utc(alarm.detected_at);
      json.field("line", static_cast<std::int64_t>(alarm.line));
      if (!alarm.incident_id.empty()) json.field("id", alarm.incident_id);
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_object();
  json.end_object();
  out.push_back('\n');
  return out;
}

std::vector<std::string> f1_below(const Evaluation& evaluation, double min_f1) {
  std::vector<std::string> below;
  for (const TypeEvaluation& type : evaluation.by_type) {
    // Every listed type has truth or detections, so its F1 exists.
    if (type.scores.f1 && *type.scores.f1 < min_f1) {
      below.push_back(fmt::format("{} (F1 {:.4f})", incident_type_name(type.type), *type.scores.f1));
    }
  }
  if (evaluation.overall.f1 && *evaluation.overall.f1 < min_f1) {
    below.push_back(fmt::format("OVERALL (F1 {:.4f})", *evaluation.overall.f1));
  }
  return below;
}

}  // namespace og
