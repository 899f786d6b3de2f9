// A cap on read-your-writes waits (Sluice-Min-Position) in progress at once. Each one holds a
// lookup thread until its position is reached or min_position_wait_ms passes, and needs no
// token: without a cap a few clients asking for positions that never come would hold every
// lookup thread, and plain lookups behind them would get 503 (README, "Read-your-writes").
// Over the cap the answer is 503 with Retry-After: the server is busy, the position may well
// be valid (409 would tell the client it was waited for and not reached).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace sluice {
class Gauge;
}

namespace sluice::rest {

class PositionWaits {
 public:
  // `in_use`: the gauge showing the waits held (may be null).
  PositionWaits(std::size_t max, Gauge* in_use);

  // A held slot, released when the last copy goes; null when all `max` are held.
  std::shared_ptr<void> try_take() const;
  std::size_t max() const { return max_; }

 private:
  struct Shared {
    std::atomic<std::size_t> used{0};
    Gauge* gauge = nullptr;
  };
  std::size_t max_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace sluice::rest
