#include "capped_slots.hpp"

#include "sluice/metrics.hpp"

namespace sluice::http {

CappedSlots::CappedSlots(std::size_t max, Gauge* in_use) : max_(max), shared_(std::make_shared<Shared>()) {
  shared_->gauge = in_use;
}

std::shared_ptr<void> CappedSlots::try_take() const {
  const std::size_t before = shared_->used.fetch_add(1);
  if (before >= max_) {
    shared_->used.fetch_sub(1);
    return nullptr;
  }
  if (shared_->gauge) shared_->gauge->add(1);
  // Points at the shared counter only to be non-null; the deleter releases the slot.
  return std::shared_ptr<void>(shared_.get(), [shared = shared_](void*) {
    shared->used.fetch_sub(1);
    if (shared->gauge) shared->gauge->add(-1);
  });
}

}  // namespace sluice::http
