#include "negative_cache.hpp"

namespace sluice::cache {

NegativeCache::NegativeCache(std::chrono::milliseconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(max_entries) {}

void NegativeCache::erase(Items::iterator it) {
  index_.erase(std::string_view(it->key));
  items_.erase(it);
}

void NegativeCache::drop_expired(clock::time_point now) {
  while (!items_.empty() && items_.front().expires <= now) erase(items_.begin());
}

void NegativeCache::remember(std::string_view key, clock::time_point now) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  drop_expired(now);
  if (auto found = index_.find(key); found != index_.end()) {
    // Renewed: it now expires last, so it moves to the back and the order stays by expiry.
    found->second->expires = now + ttl_;
    items_.splice(items_.end(), items_, found->second);
  } else {
    while (items_.size() >= max_entries_) erase(items_.begin());
    items_.push_back(Item{std::string(key), now + ttl_});
    auto last = std::prev(items_.end());
    index_.emplace(std::string_view(last->key), last);
  }
  count_.store(items_.size(), std::memory_order_release);
}

bool NegativeCache::contains(std::string_view key, clock::time_point now) const {
  if (count_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  return found != index_.end() && found->second->expires > now;
}

void NegativeCache::forget(std::string_view key) {
  if (count_.load(std::memory_order_acquire) == 0) return;
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(key); found != index_.end()) erase(found->second);
  count_.store(items_.size(), std::memory_order_release);
}

void NegativeCache::clear() {
  std::lock_guard lock(mutex_);
  index_.clear();
  items_.clear();
  count_.store(0, std::memory_order_release);
}

std::size_t NegativeCache::size() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

}  // namespace sluice::cache
