#include "sim/stream.h"

#include "sim/render.h"

namespace og::sim {

LineSink::LineSink(std::FILE* file, std::size_t buffer_bytes) : file_(file), buffer_bytes_(buffer_bytes) {
  if (file_ != nullptr) buffer_.reserve(buffer_bytes_ + (64 << 10));
}

LineSink::LineSink(LineHandler on_line) : file_(nullptr), on_line_(std::move(on_line)), buffer_bytes_(0) {}

LineSink::~LineSink() { flush(); }

void LineSink::write(std::string_view text) {
  bytes_ += text.size();
  if (on_line_) {
    // Lines are written whole; a piece without its newline waits for the rest.
    for (std::size_t newline = text.find('\n'); newline != std::string_view::npos; newline = text.find('\n')) {
      if (buffer_.empty()) {
        on_line_(text.substr(0, newline));
      } else {
        buffer_.append(text.substr(0, newline));
        on_line_(buffer_);
        buffer_.clear();
      }
      text.remove_prefix(newline + 1);
    }
    buffer_.append(text);
    return;
  }
  buffer_.append(text);
  if (file_ != nullptr && buffer_.size() >= buffer_bytes_) flush();
}

void LineSink::flush() {
  if (file_ == nullptr || buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) failed_ = true;
  buffer_.clear();
}

NoiseStage::NoiseStage(std::uint64_t seed, double rate, LineSink& sink) : rng_(derive_seed(seed, 0x6e6f697365ULL)), rate_(rate), sink_(sink) {}

void NoiseStage::enqueue(TimeMs arrival, std::string&& line) { pending_.push(Pending{arrival, seq_++, std::move(line)}); }

void NoiseStage::push(TimeMs ts, std::string_view order_id, const std::string& line) {
  release_until(ts);
  if (rate_ <= 0 || !rng_.chance(rate_)) {
    // On time: everything still waiting arrives after ts, so this line goes out now.
    sink_.write(line);
    ++counts_.lines;
    return;
  }
  const double pick = rng_.uniform();
  if (pick < 0.4) {
    ++counts_.delayed;
    enqueue(ts + rng_.range(1, kMaxDelayMs), std::string(line));
    return;
  }
  if (pick < 0.7) {
    ++counts_.duplicates;  // the same id again: the engine must ignore the copy
    enqueue(ts + rng_.range(0, kMaxDelayMs), std::string(line));
  } else {
    ++counts_.bad_lines;
    enqueue(ts + rng_.range(0, kMaxDelayMs), bad_line(ts, order_id));
  }
  sink_.write(line);
  ++counts_.lines;
}

std::string NoiseStage::bad_line(TimeMs ts, std::string_view order_id) {
  // Never a real event's id, and never parseable: nothing in it can count.
  std::string id = "bad-" + std::to_string(++bad_serial_);
  std::string order = order_id.empty() ? std::string("G-000000000") : std::string(order_id);
  std::string line;
  std::string when;
  append_time(when, ts, TimeStyle::kBeijing);
  switch (rng_.range(0, 3)) {
    case 0:  // invalid JSON: a record cut short
      line = R"({"id":")" + id + R"(","type":"payment.succeeded","ts":)" + when + R"(,"order_id":")" + order + R"(","amount":1)";
      break;
    case 1:  // a required field missing: payment.succeeded without txn_id
      line = R"({"id":")" + id + R"(","type":"payment.succeeded","ts":)" + when + R"(,"order_id":")" + order + R"(","amount":1000})";
      break;
    case 2:  // negative money
      line = R"({"id":")" + id + R"(","type":"refund.requested","ts":)" + when + R"(,"order_id":")" + order +
             R"(","amount":-500,"refund_id":"RF-bad"})";
      break;
    default:  // an order event without its order_id
      line = R"({"id":")" + id + R"(","type":"delivery.delivered","ts":)" + when + R"(,"rider_id":"R-unknown"})";
      break;
  }
  line.push_back('\n');
  return line;
}

void NoiseStage::release_until(TimeMs now) {
  while (!pending_.empty() && pending_.top().arrival <= now) {
    sink_.write(pending_.top().line);
    ++counts_.lines;
    pending_.pop();
  }
}

void NoiseStage::finish() {
  while (!pending_.empty()) {
    sink_.write(pending_.top().line);
    ++counts_.lines;
    pending_.pop();
  }
}

}  // namespace og::sim
