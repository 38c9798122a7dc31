// core/index_iterator: a forward iterator that walks a container by position through its
// operator[], for the engine's own containers that are not standard ones (records in chunks,
// a ring) but are read front to back by range-for and algorithms. Depends on nothing.
#pragma once

#include <cstddef>
#include <iterator>
#include <type_traits>

namespace og {

// `Container` and `Value` carry the constness: IndexIterator<const C, const T> reads only.
template <typename Container, typename Value>
class IndexIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = std::remove_const_t<Value>;
  using difference_type = std::ptrdiff_t;
  using pointer = Value*;
  using reference = Value&;

  IndexIterator() = default;
  IndexIterator(Container* container, std::size_t index) : container_(container), index_(index) {}

  Value& operator*() const { return (*container_)[index_]; }
  Value* operator->() const { return &(*container_)[index_]; }
  IndexIterator& operator++() {
    ++index_;
    return *this;
  }
  IndexIterator operator++(int) {
    IndexIterator before = *this;
    ++index_;
    return before;
  }
  bool operator==(const IndexIterator& other) const { return index_ == other.index_; }

 private:
  Container* container_ = nullptr;
  std::size_t index_ = 0;
};

}  // namespace og
