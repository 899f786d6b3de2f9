// A Store for driving the rest plugin without the runtime: a map whose availability a test
// can switch, counting lookups and fills so tests can see which store answered. Tests can
// also give values versions, mark keys stale or absent, hold get() on a gate (to see what
// happens while a store is slow) and decide what wait_for() answers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sluice/change_feed.hpp"
#include "sluice/store.hpp"

namespace sluice::test {

class FakeStore : public Store {
 public:
  explicit FakeStore(bool lists_recent = true, bool in_memory = false)
      : lists_recent_(lists_recent), in_memory_(in_memory) {}

  void put(const std::string& key, const std::string& value, std::int64_t version = 0) {
    std::lock_guard lock(mutex_);
    if (!values_.count(key)) order_.push_back(key);
    values_[key] = {value, version};
    absent_.erase(key);
  }
  bool has(const std::string& key) const {
    std::lock_guard lock(mutex_);
    return values_.count(key) != 0;
  }
  std::int64_t version_of(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = values_.find(key);
    return it == values_.end() ? -1 : it->second.version;
  }
  // get() answers `stale` for every value while set.
  void set_stale(bool stale) { stale_ = stale; }
  // get() answers `absent` for these keys (as a cache does after fill_absent).
  bool remembers_absent(const std::string& key) const {
    std::lock_guard lock(mutex_);
    return absent_.count(key) != 0;
  }
  void set_available(bool available) { available_ = available; }
  int gets() const { return gets_; }
  int fills() const { return fills_; }
  int fill_absents() const { return fill_absents_; }

  // While closed, get() blocks (counted by blocked()) until open_gate().
  void close_gate() {
    std::lock_guard lock(gate_mutex_);
    gate_open_ = false;
  }
  void open_gate() {
    {
      std::lock_guard lock(gate_mutex_);
      gate_open_ = true;
    }
    gate_cv_.notify_all();
  }
  int blocked() const { return blocked_; }

  // What wait_for() answers; `reach_after` flips not_yet to reached once the store is asked
  // for a position at or below it (the test "commits" by raising it).
  void set_reach(Reach reach) { reach_ = reach; }
  void commit_up_to(std::int64_t next_offset) {
    {
      std::lock_guard lock(mutex_);
      committed_ = next_offset;
    }
    commit_cv_.notify_all();
  }
  int waits() const { return waits_; }
  Position last_wait() const {
    std::lock_guard lock(mutex_);
    return last_wait_;
  }

  using Store::get;
  Lookup get(std::string_view key, std::string& value, std::int64_t& version) override {
    version = 0;
    ++gets_;
    {
      std::unique_lock lock(gate_mutex_);
      if (!gate_open_) {
        ++blocked_;
        gate_cv_.wait(lock, [this] { return gate_open_; });
        --blocked_;
      }
    }
    if (!available_) return Lookup::unavailable;
    std::lock_guard lock(mutex_);
    if (absent_.count(std::string(key))) return Lookup::absent;
    auto it = values_.find(std::string(key));
    if (it == values_.end()) return Lookup::not_found;
    value = it->second.value;
    version = it->second.version;
    return stale_ ? Lookup::stale : Lookup::found;
  }
  bool answers_from_memory() const override { return in_memory_; }
  Status scan(const ScanVisitor& visit) override {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : values_) {
      if (!visit(k, v.value, v.version)) break;
    }
    return Status::ok();
  }
  void fill(std::string_view key, std::string_view value, std::int64_t version) override {
    ++fills_;
    std::lock_guard lock(mutex_);
    auto it = values_.find(std::string(key));
    if (it != values_.end() && it->second.version > version) return;  // never older
    if (it == values_.end()) order_.emplace_back(key);
    values_[std::string(key)] = {std::string(value), version};
    absent_.erase(std::string(key));
  }
  void fill_absent(std::string_view key) override {
    ++fill_absents_;
    std::lock_guard lock(mutex_);
    absent_.emplace(key);
  }
  Status recent(std::size_t limit, std::vector<std::string>& keys) override {
    if (!lists_recent_) return Store::recent(limit, keys);
    if (!available_) return Status::retry("fake store is down");
    std::lock_guard lock(mutex_);
    for (auto it = order_.rbegin(); it != order_.rend() && keys.size() < limit; ++it) keys.push_back(*it);
    return Status::ok();
  }
  Reach wait_for(const Position& position, std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock lock(mutex_);
    last_wait_ = position;
    ++waits_;
    if (reach_ != Reach::not_yet) return reach_;
    // Waits for the test's "commits" until the deadline, like a store waiting for its feed.
    const bool reached = commit_cv_.wait_until(lock, deadline, [&] { return committed_ >= position.offset; });
    return reached ? Reach::reached : Reach::not_yet;
  }

 private:
  struct Entry {
    std::string value;
    std::int64_t version = 0;
  };
  bool lists_recent_;
  bool in_memory_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> values_;
  std::set<std::string> absent_;
  std::vector<std::string> order_;
  Position last_wait_;
  std::atomic<bool> available_{true};
  std::atomic<bool> stale_{false};
  std::atomic<int> gets_{0};
  std::atomic<int> fills_{0};
  std::atomic<int> fill_absents_{0};
  std::atomic<int> waits_{0};
  std::atomic<Reach> reach_{Reach::unknown};
  std::int64_t committed_ = 0;  // guarded by mutex_
  std::condition_variable commit_cv_;

  std::mutex gate_mutex_;
  std::condition_variable gate_cv_;
  bool gate_open_ = true;
  std::atomic<int> blocked_{0};
};

}  // namespace sluice::test
