// core/copied_box: an owning pointer to a record's rarely used part. Allocated on the first
// write, read as a default-made T while absent, and copied with its record (so the record
// stays copyable). Records that millions of instances carry (an open order, a waiting event)
// keep such parts out of line this way. Depends on nothing of OrderGuard.
#pragma once

#include <memory>

namespace og {

template <class T>
class CopiedBox {
 public:
  CopiedBox() = default;
  CopiedBox(CopiedBox&&) noexcept = default;
  CopiedBox& operator=(CopiedBox&&) noexcept = default;
  CopiedBox(const CopiedBox& other) : block_(other.block_ ? std::make_unique<T>(*other.block_) : nullptr) {}
  CopiedBox& operator=(const CopiedBox& other) {
    if (this == &other) return *this;
    if (!other.block_) {
      block_.reset();
    } else if (block_) {
      *block_ = *other.block_;
    } else {
      block_ = std::make_unique<T>(*other.block_);
    }
    return *this;
  }
  ~CopiedBox() = default;

  // What it holds, or a default-made T when nothing was written.
  const T& get() const {
    static const T kNone{};
    return block_ ? *block_ : kNone;
  }
  // To write: allocated on first use.
  T& mut() {
    if (!block_) block_ = std::make_unique<T>();
    return *block_;
  }
  bool allocated() const { return block_ != nullptr; }
  void reset() { block_.reset(); }

 private:
  std::unique_ptr<T> block_;
};

}  // namespace og
