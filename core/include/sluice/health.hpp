// Readiness as reported by components (warm-up, database, broker). /readyz is ready only
// when every registered component is.
#pragma once

#include <boost/config.hpp>
#include <map>
#include <mutex>
#include <string>

namespace sluice {

class BOOST_SYMBOL_VISIBLE Health {
 public:
  // Registers or updates one component. A component that never reported is not tracked.
  void set(const std::string& component, bool ready, const std::string& reason = {});
  // Forgets a component (a stage a reload removed).
  void clear(const std::string& component);
  // Every component's state, and putting back the ones that changed since (a reload rolled
  // back: the objects that reported under a shared name are gone, the old ones never re-report).
  using Snapshot = std::map<std::string, std::pair<bool, std::string>>;
  Snapshot snapshot() const;
  void restore(const Snapshot& before);
  // True when every component is ready; otherwise `why` lists the ones that are not.
  bool ready(std::string* why = nullptr) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<bool, std::string>> components_;
};

}  // namespace sluice
