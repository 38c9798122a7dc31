// libFuzzer target for pre-submit validation (src/validate): the fuzz bytes are a draft order.
// A draft that does not parse must give an error, never a crash; one that parses is checked
// against an engine holding master data and customer history (so every check runs), and the
// answer must be consistent: the same draft gives the same bytes, `ok` means no blocking
// finding, every finding and skipped check names its code, field and reason.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "events/parser.h"
#include "validate/validate.h"

namespace {

#define FUZZ_CHECK(condition)                                                                     \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "validate_fuzz: check failed: %s (line %d)\n", #condition, __LINE__); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)

constexpr std::int64_t kNowMs = 1795233600000;  // 2026-11-21T12:00:00+08:00

const char* const kWorld[] = {
    R"({"id":"m1","type":"catalog.item","ts":"2026-11-21T08:00:00+08:00","sku":"a","price":590})",
    R"({"id":"m2","type":"catalog.item","ts":"2026-11-21T08:00:00+08:00","sku":"b","price":1200})",
    R"({"id":"m3","type":"stock.level","ts":"2026-11-21T08:00:00+08:00","sku":"a","available":5})",
    R"({"id":"m4","type":"stock.level","ts":"2026-11-21T08:00:00+08:00","sku":"b","available":0})",
    R"({"id":"m5","type":"zone.config","ts":"2026-11-21T08:00:00+08:00","zone":"Z1","lat":40.0,"lng":116.3,"radius_m":3000})",
    R"({"id":"m6","type":"zone.config","ts":"2026-11-21T08:00:00+08:00","zone":"Z2","lat":40.0,"lng":116.3})",
    R"({"id":"c1","type":"order.created","ts":"2026-11-21T11:55:00+08:00","order_id":"O1","user_id":"U1","items":[{"sku":"a","qty":2,"unit_price":590}],"amount":1180})",
    R"({"id":"c2","type":"order.created","ts":"2026-11-21T11:56:00+08:00","order_id":"O2","user_id":"U1","items":[{"sku":"a","qty":2,"unit_price":590}],"amount":1180})",
    R"({"id":"c3","type":"order.created","ts":"2026-11-21T09:00:00+08:00","order_id":"O3","user_id":"U2","amount":100})",
    R"({"id":"c4","type":"order.created","ts":"2026-11-21T09:01:00+08:00","order_id":"O4","user_id":"U2","amount":100})",
    R"({"id":"c5","type":"order.created","ts":"2026-11-21T09:02:00+08:00","order_id":"O5","user_id":"U2","amount":100})",
    R"({"id":"c6","type":"order.created","ts":"2026-11-21T09:03:00+08:00","order_id":"O6","user_id":"U2","amount":100})",
    R"({"id":"c7","type":"order.created","ts":"2026-11-21T09:04:00+08:00","order_id":"O7","user_id":"U2","amount":100})",
    R"({"id":"x3","type":"order.cancelled","ts":"2026-11-21T09:10:00+08:00","order_id":"O3","by":"user"})",
    R"({"id":"x4","type":"order.cancelled","ts":"2026-11-21T09:11:00+08:00","order_id":"O4","by":"user"})",
    R"({"id":"x5","type":"order.cancelled","ts":"2026-11-21T09:12:00+08:00","order_id":"O5","by":"user"})",
};

og::Engine& world() {
  static og::Engine* engine = [] {
    auto* built = new og::Engine(og::RulesConfig{});
    og::EventParser parser(built->interner());
    for (const char* line : kWorld) {
      og::Event event;
      FUZZ_CHECK(parser.parse(line, event));
      built->ingest(event);
    }
    built->finish(kNowMs);
    return built;
  }();
  return *engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto draft = og::parse_draft(text);
  if (!draft) {
    FUZZ_CHECK(!draft.error().empty());
    FUZZ_CHECK(og::draft_error_json(draft.error()).size() > draft.error().size());
    return 0;
  }
  const og::Engine& engine = world();
  // Any check time, including far from the engine's (windows and expiry must not overflow).
  constexpr std::int64_t kWeekMs = std::int64_t{7} * 24 * 3600 * 1000;
  for (const std::int64_t now : {kNowMs, std::int64_t{0}, kNowMs + kWeekMs}) {
    const og::Validation validation = og::validate_draft(engine, *draft, now);
    const std::string json = og::validation_json(validation);
    FUZZ_CHECK(json == og::validation_json(og::validate_draft(engine, *draft, now)));
    FUZZ_CHECK(validation.ok() == (validation.count(og::FindingSeverity::kBlock) == 0));
    for (const og::Finding& finding : validation.findings) {
      FUZZ_CHECK(!finding.code.empty() && !finding.field.empty() && !finding.message.empty());
    }
    for (const og::NotChecked& skipped : validation.not_checked) {
      FUZZ_CHECK(!skipped.code.empty() && !skipped.field.empty() && !skipped.reason.empty());
    }
  }
  return 0;
}
