#include "sluice/health.hpp"

#include "sluice/metrics.hpp"

namespace sluice {

void Health::publish_to(Gauge& ready) {
  std::lock_guard lock(mutex_);
  ready_gauge_ = &ready;
  publish_locked();
}

void Health::set(const std::string& component, bool ready, const std::string& reason) {
  std::lock_guard lock(mutex_);
  components_[component] = {ready, reason};
  publish_locked();
}

void Health::clear(const std::string& component) {
  std::lock_guard lock(mutex_);
  components_.erase(component);
  publish_locked();
}

Health::Snapshot Health::snapshot() const {
  std::lock_guard lock(mutex_);
  return components_;
}

void Health::restore(const Snapshot& before) {
  std::lock_guard lock(mutex_);
  components_ = before;
  publish_locked();
}

bool Health::all_ready_locked() const {
  for (const auto& [name, state] : components_) {
    if (!state.first) return false;
  }
  return true;
}

void Health::publish_locked() {
  if (ready_gauge_) ready_gauge_->set(all_ready_locked() ? 1 : 0);
}

bool Health::ready(std::string* why) const {
  std::lock_guard lock(mutex_);
  std::string reasons;
  for (const auto& [name, state] : components_) {
    if (state.first) continue;
    if (!reasons.empty()) reasons += "; ";
    reasons += name + ": " + (state.second.empty() ? "not ready" : state.second);
  }
  if (why) *why = reasons;
  return all_ready_locked();
}

}  // namespace sluice
