#include "sluice/health.hpp"

namespace sluice {

void Health::set(const std::string& component, bool ready, const std::string& reason) {
  std::lock_guard lock(mutex_);
  components_[component] = {ready, reason};
}

void Health::clear(const std::string& component) {
  std::lock_guard lock(mutex_);
  components_.erase(component);
}

Health::Snapshot Health::snapshot() const {
  std::lock_guard lock(mutex_);
  return components_;
}

void Health::restore(const Snapshot& before) {
  std::lock_guard lock(mutex_);
  components_ = before;
}

bool Health::ready(std::string* why) const {
  std::lock_guard lock(mutex_);
  bool all = true;
  std::string reasons;
  for (const auto& [name, state] : components_) {
    if (state.first) continue;
    all = false;
    if (!reasons.empty()) reasons += "; ";
    reasons += name + ": " + (state.second.empty() ? "not ready" : state.second);
  }
  if (why) *why = reasons;
  return all;
}

}  // namespace sluice
