// A change follower for tests: keeps the newest version it heard of per key (from its resync
// scans and from the feed), every change and lost() reason, and lets a test act at the
// moment the feed is lost (while it is disconnected).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/store.hpp"

namespace sluice::test {

class RecordingFollower final : public ChangeFollower {
 public:
  explicit RecordingFollower(Store& store) : store_(store) {}

  Status resumed(const std::vector<Position>& committed) override {
    std::map<std::string, std::int64_t> scanned;
    Status status = store_.scan([&](std::string_view key, std::string_view, std::int64_t version) {
      scanned[std::string(key)] = version;
      return true;
    });
    if (!status.is_ok()) return status;
    std::lock_guard lock(mutex_);
    for (const auto& [key, version] : scanned) keep(key, version);
    positions_ = committed;
    ++resumes_;
    return Status::ok();
  }
  Status committed(const CommittedChange& change) override {
    std::lock_guard lock(mutex_);
    for (const ChangedKey& key : change.keys) keep(key.key, key.version);
    changes_.push_back(change);
    return Status::ok();
  }
  void lost(const std::string& why) override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mutex_);
      lost_.push_back(why);
      hook = std::move(on_lost_);
    }
    if (hook) hook();
  }

  // Runs once, on the feed thread, at the next lost().
  void on_lost(std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    on_lost_ = std::move(hook);
  }
  int resumes() const {
    std::lock_guard lock(mutex_);
    return resumes_;
  }
  std::vector<CommittedChange> changes() const {
    std::lock_guard lock(mutex_);
    return changes_;
  }
  std::vector<std::string> lost_reasons() const {
    std::lock_guard lock(mutex_);
    return lost_;
  }
  std::vector<Position> resumed_positions() const {
    std::lock_guard lock(mutex_);
    return positions_;
  }
  // The version held for `key`, 0 if none.
  std::int64_t held(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = held_.find(key);
    return it == held_.end() ? 0 : it->second;
  }

 private:
  void keep(const std::string& key, std::int64_t version) {
    auto& held = held_[key];
    if (version > held) held = version;
  }

  Store& store_;
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> held_;
  std::vector<CommittedChange> changes_;
  std::vector<std::string> lost_;
  std::vector<Position> positions_;
  std::function<void()> on_lost_;
  int resumes_ = 0;
};

}  // namespace sluice::test
