// A count with a cap whose units are held as slots: try_take() hands out a slot while fewer than
// `max` are held, and a slot is given back when its last copy goes. Used for read-your-writes waits
// in progress (RestRoutes: each holds a lookup thread and needs no token, so over the cap the
// answer is 503 with Retry-After at once: the server is busy, the position may well be valid, and
// 409 would tell the client it was waited for) and for the admin listener's connections
// (admin_http.hpp). plugins/rest/README.md, "Read-your-writes", and plugins/admin/README.md, "Timeouts and
// connections".
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace sluice {
class Gauge;
}

namespace sluice::http {

class CappedSlots {
 public:
  // `in_use`: the gauge showing the slots held (may be null).
  CappedSlots(std::size_t max, Gauge* in_use);

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

}  // namespace sluice::http
