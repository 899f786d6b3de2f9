// Capped exponential backoff: the one retry rhythm of the runtime and the plugins (a sink
// that asks to retry, a source that cannot open, a change feed that lost its session).
#pragma once

#include <algorithm>
#include <chrono>

namespace sluice {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;
  Backoff(Duration initial, Duration cap) : initial_(initial), cap_(std::max(cap, initial)), next_(initial) {}

  // The delay to wait now; the one after it doubles, up to the cap.
  Duration next() {
    Duration now = next_;
    next_ = std::min(next_ * 2, cap_);
    return now;
  }
  // What next() would return, without advancing.
  Duration peek() const { return next_; }
  // After a success: the next failure waits the initial delay again.
  void reset() { next_ = initial_; }

 private:
  Duration initial_;
  Duration cap_;
  Duration next_;
};

}  // namespace sluice
