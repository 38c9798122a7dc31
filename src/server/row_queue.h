// server/row_queue: rows derived by the engine that wait for a journal transaction, oldest
// first. Taken a slice at a time from the front without moving the rows behind it (a front
// index: the taken rows' slots are dropped once they are the larger part), and given back to
// the front, in their order, when a write fails. Depends on: nothing. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace og::server {

template <typename Row>
class RowQueue {
 public:
  void push_back(Row row) { rows_.push_back(std::move(row)); }
  std::size_t size() const { return rows_.size() - front_; }
  bool empty() const { return rows_.size() == front_; }
  auto begin() const { return rows_.begin() + static_cast<std::ptrdiff_t>(front_); }
  auto end() const { return rows_.end(); }

  // The oldest `n` rows (all of them when no more wait), in order.
  std::vector<Row> take(std::size_t n) {
    const auto first = rows_.begin() + static_cast<std::ptrdiff_t>(front_);
    if (n >= size()) {
      std::vector<Row> all = front_ == 0 ? std::exchange(rows_, {})
                                         : std::vector<Row>(std::make_move_iterator(first), std::make_move_iterator(rows_.end()));
      rows_.clear();
      front_ = 0;
      return all;
    }
    std::vector<Row> taken(std::make_move_iterator(first), std::make_move_iterator(first + static_cast<std::ptrdiff_t>(n)));
    front_ += n;
    // Rows keep coming behind while slices leave: the emptied slots go once they outnumber the
    // rows still waiting, so each row is moved a bounded number of times.
    if (front_ > size()) {
      rows_.erase(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(front_));
      front_ = 0;
    }
    return taken;
  }

  // Rows taken and not written: waiting again ahead of those added since, in their order.
  void put_back(std::vector<Row> rows) {
    if (rows.empty()) return;
    if (rows.size() <= front_) {
      front_ -= rows.size();
      std::move(rows.begin(), rows.end(), rows_.begin() + static_cast<std::ptrdiff_t>(front_));
      return;
    }
    rows.insert(rows.end(), std::make_move_iterator(rows_.begin() + static_cast<std::ptrdiff_t>(front_)),
                std::make_move_iterator(rows_.end()));
    rows_ = std::move(rows);
    front_ = 0;
  }

 private:
  std::vector<Row> rows_;
  std::size_t front_ = 0;  // the rows before it were taken: moved from, no longer waiting
};

}  // namespace og::server
