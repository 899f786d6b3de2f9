// The last keys written, newest first, for the page's "recent orders" list.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cache {

class RecentKeys {
 public:
  explicit RecentKeys(std::size_t capacity) : ring_(capacity) {}

  void add(std::string_view key) {
    std::lock_guard lock(mutex_);
    ring_[next_ % ring_.size()].assign(key);
    ++next_;
  }

  // Newest first, without repeats, at most `limit`.
  std::vector<std::string> newest(std::size_t limit) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    std::size_t available = std::min(next_, ring_.size());
    for (std::size_t i = 1; i <= available && out.size() < limit; ++i) {
      const std::string& key = ring_[(next_ - i) % ring_.size()];
      bool repeat = false;
      for (const auto& seen : out) repeat = repeat || seen == key;
      if (!repeat) out.push_back(key);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> ring_;
  std::size_t next_ = 0;
};

}  // namespace sluice::cache
