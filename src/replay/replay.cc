#include "replay/replay.h"

#include <string>

#include "events/parser.h"
#include "replay/lookahead.h"

namespace og {

struct ReplayRunner::Impl {
  explicit Impl(Interner& interner) : parser(interner) {}
  EventParser parser;
  std::string copy;  // feed_buffer's padded copy, kept for the next call (parse_each_copied)
};

ReplayRunner::ReplayRunner(Engine& engine, BadLineHandler on_bad_line, bool strict)
    : engine_(engine), on_bad_line_(std::move(on_bad_line)), strict_(strict), impl_(new Impl(engine.interner())) {}

ReplayRunner::~ReplayRunner() { delete impl_; }

bool ReplayRunner::feed_line(std::uint64_t line_number, std::string_view line) {
  ++stats_.lines;
  return after_parse(line_number, impl_->parser.parse(line, engine_.staging_event()));
}

bool ReplayRunner::after_parse(std::uint64_t line_number, const tl::expected<void, std::string>& result) {
  if (!result) {
    ++stats_.bad_lines;
    if (on_bad_line_) on_bad_line_(line_number, result.error());
    return !strict_;
  }
  switch (engine_.ingest_staged()) {
    case IngestOutcome::kRefused:
      ++stats_.bad_lines;
      if (on_bad_line_) on_bad_line_(line_number, engine_.refusal());
      return !strict_;
    case IngestOutcome::kDuplicate: ++stats_.duplicates; break;
    case IngestOutcome::kLate: ++stats_.late; break;
    case IngestOutcome::kAccepted: break;
  }
  ++stats_.events;
  return true;
}

bool ReplayRunner::feed_buffer(std::string_view ndjson) {
  // One padded copy, each line parsed in place: as feed_stream reads a block.
  return parse_each_copied(impl_->copy, ndjson, engine_, impl_->parser,
                           [this](std::uint64_t line_number, std::string_view, const tl::expected<void, std::string>& parsed) {
                             ++stats_.lines;
                             return after_parse(line_number, parsed);
                           });
}

bool ReplayRunner::feed_stream(std::FILE* input) {
  // Reads in blocks and never holds more than one block plus one line: inputs of any size.
  constexpr std::size_t kBlock = 4 << 20;
  std::string buffer;
  buffer.reserve(kBlock + kMaxLineBytes);
  // Padded past the bytes read, for the parser's in-place reads of a block's last line.
  std::string block(kBlock + kTerminatedPadding, '\0');
  std::uint64_t line_number = 0;
  bool skipping_long_line = false;
  std::size_t long_line_bytes = 0;
  // Lines whole inside the block go through the look-ahead; it is emptied before anything
  // else is fed (a line put together across blocks, a line too long) and before the block is
  // read over, so lines are still fed in order and their bytes stay valid until then.
  IngestLookahead ahead(engine_);
  // The look-ahead holds only lines whole inside the block, each followed there by its '\n' (or
  // "\r\n"). Once the scan has passed it, that byte is nobody's: a '\0' over it lets the parser
  // read the line in place (EventParser::parse_terminated).
  const auto visit = [&](std::uint64_t number, std::string_view line, std::string_view id, std::uint64_t id_hash) {
    block[static_cast<std::size_t>(line.data() - block.data()) + line.size()] = '\0';
    ++stats_.lines;
    return after_parse(number, impl_->parser.parse_terminated(line, engine_.staging_event(), id, id_hash));
  };
  const auto report_long_line = [&]() {
    ++stats_.lines;
    ++stats_.bad_lines;
    if (on_bad_line_) {
      on_bad_line_(line_number, "line: longer than 1 MiB (" + std::to_string(long_line_bytes) +
                                    " bytes or more): split the event or trim it");
    }
    return !strict_;
  };
  for (;;) {
    if (!ahead.flush(visit)) return false;
    const std::size_t got = std::fread(block.data(), 1, kBlock, input);
    const bool at_end = got == 0;
    std::string_view chunk(block.data(), got);
    while (!chunk.empty()) {
      const std::size_t newline = chunk.find('\n');
      if (newline != std::string_view::npos && newline <= kMaxLineBytes + 1 && buffer.empty() && !skipping_long_line) {
        // The whole line is in this block (nearly every line): read it there, uncopied.
        ++line_number;
        std::string_view line = chunk.substr(0, newline);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") != std::string_view::npos && !ahead.push(line_number, line, visit)) return false;
        chunk.remove_prefix(newline + 1);
        continue;
      }
      const std::string_view piece = chunk.substr(0, newline);
      if (skipping_long_line) {
        long_line_bytes += piece.size();
      } else {
        buffer.append(piece);
        if (buffer.size() > kMaxLineBytes + 1) {
          skipping_long_line = true;
          long_line_bytes = buffer.size();
          buffer.clear();
        }
      }
      if (newline == std::string_view::npos) break;
      if (!ahead.flush(visit)) return false;
      ++line_number;
      if (skipping_long_line) {
        skipping_long_line = false;
        if (!report_long_line()) return false;
      } else {
        std::string_view line(buffer);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") != std::string_view::npos && !feed_line(line_number, line)) return false;
      }
      buffer.clear();
      chunk.remove_prefix(newline + 1);
    }
    if (at_end) break;
  }
  ++line_number;
  if (skipping_long_line) return report_long_line();
  std::string_view last(buffer);
  if (!last.empty() && last.back() == '\r') last.remove_suffix(1);
  if (last.find_first_not_of(" \t") != std::string_view::npos) return feed_line(line_number, last);
  return true;
}

}  // namespace og
