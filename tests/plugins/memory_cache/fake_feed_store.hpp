// A versioned Store with a change feed that a test drives by hand: it plays the database
// behind the memory cache. follow() starts a feed thread that only delivers the first
// resumed() (as the real feed does); after that the test is the feed thread and calls
// announce() / drop() / resume(). A get() can be held on a latch to stage the races of a
// slow lookup, and get_many() records what it was asked and can be made to fail.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sluice/change_feed.hpp"
#include "sluice/store.hpp"

namespace sluice::test {

class FakeFeedStore : public Store {
 public:
  explicit FakeFeedStore(bool has_feed = true) : has_feed_(has_feed) {}
  ~FakeFeedStore() override { join_feed(); }

  void put(const std::string& key, const std::string& value, std::int64_t version) {
    std::lock_guard lock(mutex_);
    rows_[key] = {value, version};
  }
  // Positions the first resumed() reports.
  void set_committed(std::vector<Position> positions) { initial_ = std::move(positions); }
  // Called by scan() before it yields `key` (to stage a write racing the warm-up).
  void before_row(std::function<void(const std::string&)> hook) { before_row_ = std::move(hook); }
  void fail_get_many(bool fail) { fail_get_many_ = fail; }
  void fail_scan(bool fail) { fail_scan_ = fail; }

  // The latch: while held, get() reads the row, then blocks until released.
  void hold_gets() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void wait_until_a_get_blocks() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return blocked_ > 0; });
  }
  void release_gets() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    changed_.notify_all();
  }

  // get_many() calls and the keys of the last one.
  int get_many_calls() const { return get_many_calls_; }
  std::vector<std::string> last_get_many() const {
    std::lock_guard lock(mutex_);
    return last_keys_;
  }

  // The feed, driven by the test (which then plays the store's feed thread).
  ChangeFollower* follower() const { return follower_; }
  Status announce(const CommittedChange& change) { return follower_->committed(change); }
  void drop(const std::string& why) { follower_->lost(why); }
  Status resume(const std::vector<Position>& positions) { return follower_->resumed(positions); }

  using Store::get;
  Lookup get(std::string_view key, std::string& value, std::int64_t& version) override {
    std::unique_lock lock(mutex_);
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return Lookup::not_found;
    value = it->second.first;
    version = it->second.second;
    if (holding_) {
      ++blocked_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return !holding_; });
      --blocked_;
    }
    return Lookup::found;
  }
  Status scan(const ScanVisitor& visit) override {
    if (fail_scan_) return Status::retry("fake store: scan failed");
    std::map<std::string, std::pair<std::string, std::int64_t>> rows;
    {
      std::lock_guard lock(mutex_);
      rows = rows_;  // a snapshot, as a database cursor reads one
    }
    for (const auto& [key, row] : rows) {
      if (before_row_) before_row_(key);
      if (!visit(key, row.first, row.second)) break;
    }
    return Status::ok();
  }
  Status get_many(const std::vector<std::string>& keys, const FoundVisitor& visit) override {
    ++get_many_calls_;
    if (fail_get_many_) return Status::retry("fake store: get_many failed");
    std::vector<std::pair<std::string, std::pair<std::string, std::int64_t>>> found;
    {
      std::lock_guard lock(mutex_);
      last_keys_ = keys;
      for (const auto& key : keys) {
        if (auto it = rows_.find(key); it != rows_.end()) found.emplace_back(key, it->second);
      }
    }
    for (const auto& [key, row] : found) visit(key, row.first, row.second);
    return Status::ok();
  }
  Status follow(ChangeFollower& follower) override {
    if (!has_feed_) return Store::follow(follower);
    join_feed();
    follower_ = &follower;
    feed_thread_ = std::thread([this] { first_resume_ = follower_->resumed(initial_); });
    return Status::ok();
  }
  void unfollow(ChangeFollower&) override {
    join_feed();
    ++unfollows_;
  }
  int unfollows() const { return unfollows_; }
  Status first_resume() {
    join_feed();
    return first_resume_;
  }

 private:
  void join_feed() {
    if (feed_thread_.joinable()) feed_thread_.join();
  }

  bool has_feed_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::pair<std::string, std::int64_t>> rows_;
  std::vector<Position> initial_;
  std::function<void(const std::string&)> before_row_;
  std::atomic<bool> fail_get_many_{false};
  std::atomic<bool> fail_scan_{false};
  bool holding_ = false;
  int blocked_ = 0;
  std::atomic<int> get_many_calls_{0};
  std::vector<std::string> last_keys_;
  ChangeFollower* follower_ = nullptr;
  std::thread feed_thread_;
  Status first_resume_;
  std::atomic<int> unfollows_{0};
};

}  // namespace sluice::test
