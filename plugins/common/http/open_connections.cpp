#include "open_connections.hpp"

#include <thread>

namespace sluice::http {

namespace {
using Clock = std::chrono::steady_clock;
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}
}  // namespace

OpenConnections::OpenConnections() : counts_(std::make_shared<Counts>()) {}

std::shared_ptr<void> OpenConnections::opened() {
  counts_->open.fetch_add(1);
  counts_->last_activity_ns.store(now_ns());
  auto counts = counts_;
  return std::shared_ptr<void>(nullptr, [counts](void*) { counts->open.fetch_sub(1); });
}

OpenConnections::InFlight& OpenConnections::InFlight::operator=(InFlight&& other) noexcept {
  if (this != &other) {
    finish();
    counts_ = std::move(other.counts_);
  }
  return *this;
}

void OpenConnections::InFlight::finish() {
  if (!counts_) return;
  counts_->last_activity_ns.store(now_ns());
  counts_->in_flight.fetch_sub(1);
  counts_.reset();
}

void OpenConnections::request_arrived() { counts_->last_activity_ns.store(now_ns()); }

OpenConnections::InFlight OpenConnections::answer_later() {
  counts_->in_flight.fetch_add(1);
  return InFlight(counts_);
}

std::size_t OpenConnections::open() const { return counts_->open.load(); }

std::size_t OpenConnections::in_flight() const { return counts_->in_flight.load(); }

void OpenConnections::drain(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) const {
  const auto deadline = Clock::now() + limit;
  const auto quiet_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(quiet).count();
  while (Clock::now() < deadline) {
    if (counts_->in_flight.load() == 0 &&
        (counts_->open.load() == 0 || now_ns() - counts_->last_activity_ns.load() >= quiet_ns)) {
      return;
    }
    // Polled: Pistache tells of a closed connection on its own threads, with no hook to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace sluice::http
