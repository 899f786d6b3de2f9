// Rate limit for failed authentications, per client IP: a token bucket (burst, then one more
// every refill interval). Once a client's bucket is empty every request of it that needs a
// token is refused with 429, even with a right token, so guessing costs the attacker time
// and a lucky guess does not reveal itself while the client is locked out.
//
// The per-client map is bounded (the least recently failed client is evicted first), so
// failures from many addresses cannot grow memory without limit. The clock is injectable, so
// the refill is tested without sleeping.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::http {

class AuthLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  struct Options {
    int burst = 10;
    std::chrono::milliseconds refill{1000};  // one failure credit back per interval
    std::size_t max_clients = 10000;
  };

  explicit AuthLimiter(
      Options options, Now now = [] { return Clock::now(); });

  // nullopt: the client may try; else how long until it may (for Retry-After).
  std::optional<std::chrono::seconds> blocked(const std::string& client);
  // A failed attempt: takes one credit from the client's bucket.
  void failed(const std::string& client);

  std::size_t clients() const;

 private:
  struct Bucket {
    double credits;
    Clock::time_point updated;
    std::list<std::string>::iterator age;  // position in lru_
  };
  void refill(Bucket& bucket, Clock::time_point now) const;

  Options options_;
  Now now_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> lru_;  // front: the least recently failed client
};

}  // namespace sluice::http
