// Readiness as reported by components (warm-up, database, broker). /readyz is ready only
// when every registered component is.
#pragma once

#include <boost/config.hpp>
#include <map>
#include <mutex>
#include <string>

namespace sluice {

class Gauge;

class BOOST_SYMBOL_VISIBLE Health {
 public:
  // Keeps `ready` at 1 while ready() holds and 0 otherwise, from now on (the runtime passes
  // sluice_ready, so a scraper sees what /readyz says without asking it). The gauge must
  // outlive this object.
  void publish_to(Gauge& ready);
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
  bool all_ready_locked() const;
  void publish_locked();

  mutable std::mutex mutex_;
  std::map<std::string, std::pair<bool, std::string>> components_;
  Gauge* ready_gauge_ = nullptr;
};

}  // namespace sluice
