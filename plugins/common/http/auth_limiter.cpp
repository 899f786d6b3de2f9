#include "auth_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace sluice::http {

AuthLimiter::AuthLimiter(Options options, Now now) : options_(options), now_(std::move(now)) {}

void AuthLimiter::refill(Bucket& bucket, Clock::time_point now) const {
  if (now <= bucket.updated) return;
  const double intervals =
      std::chrono::duration<double>(now - bucket.updated) / std::chrono::duration<double>(options_.refill);
  bucket.credits = std::min<double>(options_.burst, bucket.credits + intervals);
  bucket.updated = now;
}

std::optional<std::chrono::seconds> AuthLimiter::blocked(const std::string& client) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) return std::nullopt;  // never failed: the common case, no work
  Bucket& bucket = it->second;
  refill(bucket, now_());
  if (bucket.credits >= 1.0) return std::nullopt;
  const double missing = 1.0 - bucket.credits;
  const auto wait = std::chrono::duration<double>(options_.refill) * missing;
  return std::chrono::seconds(std::max<long>(1, static_cast<long>(std::ceil(wait.count()))));
}

void AuthLimiter::failed(const std::string& client) {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_clients) {
      buckets_.erase(lru_.front());
      lru_.pop_front();
    }
    lru_.push_back(client);
    it = buckets_.emplace(client, Bucket{static_cast<double>(options_.burst), now, std::prev(lru_.end())}).first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second.age);
  }
  Bucket& bucket = it->second;
  refill(bucket, now);
  bucket.credits = std::max(0.0, bucket.credits - 1.0);
}

std::size_t AuthLimiter::clients() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace sluice::http
