// Reading the two files `orderguard evaluate` compares: incidents NDJSON (as `orderguard
// replay` writes it, docs/spec/INTERFACES.md) and truth NDJSON (docs/truth-format.md).
// Only the fields that matching needs are read and checked; every other field is skipped,
// so that both files can grow without breaking evaluation.
#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/messages.h"
#include "evaluate/evaluate.h"

namespace og {
namespace {

namespace od = simdjson::ondemand;
using Result = tl::expected<void, std::string>;

// A line longer than this is reported, not parsed: it keeps memory per line bounded even
// when a file is not NDJSON at all (the same limit as events, EVENTS.md).
constexpr std::size_t kMaxLineBytes = 1 << 20;
constexpr std::size_t kReadBlockBytes = 1 << 20;

std::optional<SubjectKind> subject_kind_from_name(std::string_view name) {
  for (const SubjectKind kind : {SubjectKind::kOrder, SubjectKind::kUser, SubjectKind::kRider, SubjectKind::kSku,
                                 SubjectKind::kCommunity}) {
    if (subject_kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

bool is_null(od::value& value) {
  bool null = false;
  return !value.is_null().get(null) && null;
}

// Both files share the matching fields; `id` and `status` matter only in the incidents file
// and `note` only in the truth file, and each reader ignores what it does not use.
struct Record {
  MatchKey key;
  TimeMs detected_at = 0;
  std::string_view incident_id;  // views into the parser's buffers: valid until the next line
  std::string_view status;
  std::string_view note;
};

// Bits of the fields seen in one object: a field given twice is an error, not a silent
// "last one wins" that could hide a writer's bug.
enum FieldBit : unsigned {
  kTypeBit = 1u << 0,
  kSubjectBit = 1u << 1,
  kSkuBit = 1u << 2,
  kStageBit = 1u << 3,
  kIncidentTypeBit = 1u << 4,
  kDetectedAtBit = 1u << 5,
  kIdBit = 1u << 6,
  kStatusBit = 1u << 7,
  kNoteBit = 1u << 8,
};

class RecordParser {
 public:
  // Parses one line into `out` (reset first). On error `out` is unspecified.
  Result parse(std::string_view line, bool status_required, Record& out) {
    out = Record{};
    seen_ = 0;
    if (!simdjson::validate_utf8(line.data(), line.size())) return field_error("line", "not valid UTF-8");
    padded_.assign(line);
    padded_.resize(line.size() + simdjson::SIMDJSON_PADDING, ' ');
    od::document document;
    if (const auto error = parser_.iterate(padded_.data(), line.size(), padded_.size()).get(document)) {
      return field_error("json", std::string("invalid JSON: ") + simdjson::error_message(error));
    }
    od::object object;
    if (const auto error = document.get_object().get(object)) {
      if (error != simdjson::INCORRECT_TYPE) return field_error("json", std::string("invalid JSON: ") + simdjson::error_message(error));
      return field_error("json", "not a JSON object: each line must be one object");
    }
    for (auto member : object) {
      od::field field;
      if (std::move(member).get(field)) return field_error("json", "invalid JSON: malformed member");
      std::string_view name;
      if (field.unescaped_key().get(name)) return field_error("json", "invalid JSON: malformed key");
      if (auto result = read_field(name, field.value(), out); !result) return result;
    }
    // simdjson 3.0 has no document::at_end(); current_location() is OUT_OF_BOUNDS exactly there.
    const char* trailing = nullptr;
    if (document.current_location().get(trailing) != simdjson::OUT_OF_BOUNDS) {
      return field_error("json", "invalid JSON: unexpected content after the object");
    }
    if (!(seen_ & kTypeBit)) return field_error("type", "missing");
    if (!(seen_ & kSubjectBit)) return field_error("subject", "missing");
    if (!(seen_ & kDetectedAtBit)) return field_error("detected_at", "missing");
    if (status_required && !(seen_ & kStatusBit)) {
      return field_error("status", "missing (needed to leave retracted incidents out)");
    }
    return {};
  }

 private:
  Result mark(std::string_view name, FieldBit bit) {
    if (seen_ & bit) return field_error(name, "appears twice in one object");
    seen_ |= bit;
    return {};
  }

  static Result read_string(std::string_view name, od::value& value, std::string_view& out) {
    if (value.get_string().get(out)) return field_error(name, "must be a string");
    return {};
  }

  // Optional text: JSON null is the same as leaving the field out.
  static Result read_optional(std::string_view name, od::value& value, std::optional<std::string_view>& out) {
    if (is_null(value)) return {};
    std::string_view text;
    if (auto result = read_string(name, value, text); !result) return result;
    out = text;
    return {};
  }

  static Result read_type_name(std::string_view name, od::value& value, std::optional<IncidentType>& out) {
    std::optional<std::string_view> text;
    if (auto result = read_optional(name, value, text); !result) return result;
    if (!text) return {};
    out = incident_type_from_name(*text);
    if (!out) return field_error(name, "unknown incident type " + quote_input(*text) + " (see docs/spec/INCIDENTS.md for the list)");
    return {};
  }

  Result read_field(std::string_view name, od::value value, Record& out) {
    if (name == "type") {
      if (auto result = mark(name, kTypeBit); !result) return result;
      std::optional<IncidentType> type;
      if (auto result = read_type_name(name, value, type); !result) return result;
      if (!type) return field_error(name, "must not be null");
      out.key.type = *type;
      return {};
    }
    if (name == "subject") {
      if (auto result = mark(name, kSubjectBit); !result) return result;
      return read_subject(value, out.key);
    }
    if (name == "sku") {
      if (auto result = mark(name, kSkuBit); !result) return result;
      std::optional<std::string_view> sku;
      if (auto result = read_optional(name, value, sku); !result) return result;
      if (sku && sku->empty()) return field_error(name, "must not be empty (leave the field out instead)");
      if (sku) out.key.sku = std::string(*sku);
      return {};
    }
    if (name == "stage") {
      if (auto result = mark(name, kStageBit); !result) return result;
      std::optional<std::string_view> stage;
      if (auto result = read_optional(name, value, stage); !result) return result;
      if (!stage) return {};
      out.key.stage = stage_from_name(*stage);
      if (!out.key.stage) return field_error(name, "unknown stage " + quote_input(*stage) + " (reserve, pick_start, pick, assign, pickup)");
      return {};
    }
    if (name == "incident_type") {
      if (auto result = mark(name, kIncidentTypeBit); !result) return result;
      return read_type_name(name, value, out.key.incident_type);
    }
    if (name == "detected_at") {
      if (auto result = mark(name, kDetectedAtBit); !result) return result;
      std::string_view text;
      if (auto result = read_string(name, value, text); !result) return result;
      auto time = parse_rfc3339_ms(text);
      if (!time) return field_error(name, time.error());
      out.detected_at = *time;
      return {};
    }
    if (name == "id") {
      if (auto result = mark(name, kIdBit); !result) return result;
      std::optional<std::string_view> id;
      if (auto result = read_optional(name, value, id); !result) return result;
      out.incident_id = id.value_or(std::string_view());
      return {};
    }
    if (name == "status") {
      if (auto result = mark(name, kStatusBit); !result) return result;
      return read_string(name, value, out.status);
    }
    if (name == "note") {
      if (auto result = mark(name, kNoteBit); !result) return result;
      std::optional<std::string_view> note;
      if (auto result = read_optional(name, value, note); !result) return result;
      out.note = note.value_or(std::string_view());
      return {};
    }
    return {};  // not needed for matching; On-Demand skips it when the loop moves on
  }

  static Result read_subject(od::value& value, MatchKey& key) {
    od::object subject;
    if (value.get_object().get(subject)) return field_error("subject", "must be an object {\"kind\": ..., \"id\": ...}");
    bool has_kind = false;
    bool has_id = false;
    for (auto member : subject) {
      od::field field;
      if (std::move(member).get(field)) return field_error("subject", "invalid JSON: malformed member");
      std::string_view name;
      if (field.unescaped_key().get(name)) return field_error("subject", "invalid JSON: malformed key");
      if (name == "kind") {
        if (has_kind) return field_error("subject.kind", "appears twice in one object");
        has_kind = true;
        std::string_view text;
        if (field.value().get_string().get(text)) return field_error("subject.kind", "must be a string");
        const auto kind = subject_kind_from_name(text);
        if (!kind) return field_error("subject.kind", quote_input(text) + " is not one of order, user, rider, sku, community");
        key.subject_kind = *kind;
      } else if (name == "id") {
        if (has_id) return field_error("subject.id", "appears twice in one object");
        has_id = true;
        std::string_view text;
        if (field.value().get_string().get(text)) return field_error("subject.id", "must be a string");
        if (text.empty()) return field_error("subject.id", "must not be empty");
        key.subject_id.assign(text);
      }
    }
    if (!has_kind) return field_error("subject.kind", "missing");
    if (!has_id) return field_error("subject.id", "missing");
    return {};
  }

  od::parser parser_;
  std::string padded_;  // simdjson reads up to SIMDJSON_PADDING bytes past the end
  unsigned seen_ = 0;
};

std::string too_long_reason(std::uint64_t bytes) {
  return "line: longer than 1 MiB (" + std::to_string(bytes) + " bytes or more): is this an NDJSON file?";
}

// Turns incident lines into detections; retracted incidents are counted and left out.
// What both collectors share: the file they read, where bad lines are reported, and the
// input they build.
template <typename Input>
class Collector {
 public:
  Collector(std::string_view file_name, const BadLineReporter& report) : file_(file_name), report_(report) {}
  void too_long(std::uint64_t number, std::uint64_t bytes) { bad(number, too_long_reason(bytes)); }
  Input take() { return std::move(input_); }

 protected:
  void bad(std::uint64_t number, const std::string& reason) {
    ++input_.bad_lines;
    if (report_) report_(file_, number, reason);
  }
  std::string_view file_;
  const BadLineReporter& report_;
  RecordParser parser_;
  Record record_;
  Input input_;
};

class IncidentsCollector : public Collector<IncidentsInput> {
 public:
  using Collector::Collector;

  void line(std::uint64_t number, std::string_view text) {
    if (auto parsed = parser_.parse(text, /*status_required=*/true, record_); !parsed) {
      bad(number, parsed.error());
      return;
    }
    if (record_.status == "retracted") {
      ++input_.retracted;
      return;
    }
    input_.detections.push_back(
        Detection{std::move(record_.key), record_.detected_at, std::string(record_.incident_id), number});
  }
};

class TruthCollector : public Collector<TruthInput> {
 public:
  using Collector::Collector;

  void line(std::uint64_t number, std::string_view text) {
    if (auto parsed = parser_.parse(text, /*status_required=*/false, record_); !parsed) {
      bad(number, parsed.error());
      return;
    }
    input_.planted.push_back(PlantedIncident{std::move(record_.key), record_.detected_at, std::string(record_.note), number});
  }
};

// Splits NDJSON fed in chunks of any size into lines (LF or CRLF), numbered from 1 as an
// editor shows them. Blank lines are counted but not passed on. A line over kMaxLineBytes is
// reported by size and its bytes are dropped as they come, so memory stays bounded.
template <typename Collector>
class LineSplitter {
 public:
  explicit LineSplitter(Collector& collector) : collector_(collector) {}

  void feed(std::string_view chunk) {
    while (!chunk.empty()) {
      const std::size_t newline = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, newline);
      if (oversized_bytes_ > 0) {
        oversized_bytes_ += piece.size();
      } else if (pending_.size() + piece.size() > kMaxLineBytes + 1) {  // + 1: room for the CR of CRLF
        oversized_bytes_ = pending_.size() + piece.size();
        pending_.clear();
      } else {
        pending_.append(piece);
      }
      if (newline == std::string_view::npos) return;
      end_line();
      chunk.remove_prefix(newline + 1);
    }
  }

  // The last line may lack its newline.
  void finish() {
    if (!pending_.empty() || oversized_bytes_ > 0) end_line();
  }

 private:
  void end_line() {
    ++line_number_;
    std::string_view line(pending_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (oversized_bytes_ > 0 || line.size() > kMaxLineBytes) {
      collector_.too_long(line_number_, std::max<std::uint64_t>(oversized_bytes_, line.size()));
    } else if (line.find_first_not_of(" \t") != std::string_view::npos) {
      collector_.line(line_number_, line);
    }
    oversized_bytes_ = 0;
    pending_.clear();
  }

  Collector& collector_;
  std::string pending_;
  std::uint64_t oversized_bytes_ = 0;
  std::uint64_t line_number_ = 0;
};

template <typename Collector>
void read_buffer(std::string_view ndjson, Collector& collector) {
  LineSplitter<Collector> splitter(collector);
  splitter.feed(ndjson);
  splitter.finish();
}

template <typename Collector>
Result read_file(const std::string& path, Collector& collector) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return tl::unexpected("cannot open " + path + ": " + std::strerror(errno));
  LineSplitter<Collector> splitter(collector);
  std::string block(kReadBlockBytes, '\0');
  for (;;) {
    const std::size_t got = std::fread(block.data(), 1, block.size(), file.get());
    if (got == 0) break;
    splitter.feed(std::string_view(block.data(), got));
  }
  // A directory opens fine on Linux and fails here (EISDIR), as does a failing disk.
  if (std::ferror(file.get())) return tl::unexpected("cannot read " + path + ": " + std::strerror(errno));
  splitter.finish();
  return {};
}

}  // namespace

IncidentsInput read_incidents(std::string_view ndjson, std::string_view file_name, const BadLineReporter& report) {
  IncidentsCollector collector(file_name, report);
  read_buffer(ndjson, collector);
  return collector.take();
}

TruthInput read_truth(std::string_view ndjson, std::string_view file_name, const BadLineReporter& report) {
  TruthCollector collector(file_name, report);
  read_buffer(ndjson, collector);
  return collector.take();
}

tl::expected<IncidentsInput, std::string> read_incidents_file(const std::string& path, const BadLineReporter& report) {
  IncidentsCollector collector(path, report);
  if (auto read = read_file(path, collector); !read) return tl::unexpected(std::move(read.error()));
  return collector.take();
}

tl::expected<TruthInput, std::string> read_truth_file(const std::string& path, const BadLineReporter& report) {
  TruthCollector collector(path, report);
  if (auto read = read_file(path, collector); !read) return tl::unexpected(std::move(read.error()));
  return collector.take();
}

}  // namespace og
