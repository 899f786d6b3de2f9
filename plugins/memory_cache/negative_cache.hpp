// Remembered misses: keys a later store of the lookup chain (the database) just said it does
// not hold, so a burst of lookups for a missing order does not reach the database each time.
// Entries live `ttl` and at most `max_entries` are kept; when full the oldest goes. Every
// entry expires at insertion + ttl, so insertion order is expiry order: one list, oldest
// first, does for both, and the index points into it (one copy of each key, O(1) forget).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::cache {

class NegativeCache {
 public:
  using clock = std::chrono::steady_clock;

  // ttl 0 disables it (remember() does nothing, contains() is always false).
  NegativeCache(std::chrono::milliseconds ttl, std::size_t max_entries);

  bool enabled() const { return ttl_.count() > 0 && max_entries_ > 0; }
  // Remembers `key` as absent until now + ttl (again, if it was remembered before).
  void remember(std::string_view key, clock::time_point now = clock::now());
  // True while a live entry for `key` exists.
  bool contains(std::string_view key, clock::time_point now = clock::now()) const;
  // The key was written or announced: it may exist now.
  void forget(std::string_view key);
  // Everything may have changed (the change feed was lost and resumed).
  void clear();
  std::size_t size() const;

 private:
  struct Item {
    std::string key;
    clock::time_point expires;
  };
  using Items = std::list<Item>;
  void drop_expired(clock::time_point now);
  void erase(Items::iterator it);

  const std::chrono::milliseconds ttl_;
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  Items items_;                                                  // oldest (first to expire) first
  std::unordered_map<std::string_view, Items::iterator> index_;  // views into items_
  // Lets the hot paths (every write forgets its keys) skip the lock while nothing is held.
  std::atomic<std::size_t> count_{0};
};

}  // namespace sluice::cache
