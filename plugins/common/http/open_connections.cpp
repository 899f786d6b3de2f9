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

void OpenConnections::active() { counts_->last_activity_ns.store(now_ns()); }

std::size_t OpenConnections::open() const { return counts_->open.load(); }

void OpenConnections::drain(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) const {
  const auto deadline = Clock::now() + limit;
  const auto quiet_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(quiet).count();
  while (counts_->open.load() > 0 && Clock::now() < deadline) {
    if (now_ns() - counts_->last_activity_ns.load() >= quiet_ns) return;
    // Polled: Pistache tells of a closed connection on its own threads, with no hook to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace sluice::http
