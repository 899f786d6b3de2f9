// A Store for driving the rest plugin without the runtime: a map whose availability a test
// can switch, counting lookups and fills so tests can see which store answered.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/plugin.hpp"

namespace sluice::test {

class FakeStore : public Store {
 public:
  explicit FakeStore(bool lists_recent = true) : lists_recent_(lists_recent) {}

  void put(const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    if (!values_.count(key)) order_.push_back(key);
    values_[key] = value;
  }
  bool has(const std::string& key) const {
    std::lock_guard lock(mutex_);
    return values_.count(key) != 0;
  }
  void set_available(bool available) { available_ = available; }
  int gets() const { return gets_; }
  int fills() const { return fills_; }

  using Store::get;
  Lookup get(std::string_view key, std::string& value, std::int64_t& version) override {
    version = 0;
    ++gets_;
    if (!available_) return Lookup::unavailable;
    std::lock_guard lock(mutex_);
    auto it = values_.find(std::string(key));
    if (it == values_.end()) return Lookup::not_found;
    value = it->second;
    return Lookup::found;
  }
  Status scan(const ScanVisitor& visit) override {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : values_) {
      if (!visit(k, v, 0)) break;
    }
    return Status::ok();
  }
  void fill(std::string_view key, std::string_view value, std::int64_t) override {
    ++fills_;
    put(std::string(key), std::string(value));
  }
  Status recent(std::size_t limit, std::vector<std::string>& keys) override {
    if (!lists_recent_) return Store::recent(limit, keys);
    if (!available_) return Status::retry("fake store is down");
    std::lock_guard lock(mutex_);
    for (auto it = order_.rbegin(); it != order_.rend() && keys.size() < limit; ++it) keys.push_back(*it);
    return Status::ok();
  }

 private:
  bool lists_recent_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> order_;
  std::atomic<bool> available_{true};
  std::atomic<int> gets_{0};
  std::atomic<int> fills_{0};
};

}  // namespace sluice::test
