// What the change feed announced about keys a bounded cache does not hold. Such a cache does
// not fetch those keys (they would push out its own working set), but it must still refuse
// what a lookup that started before the commit brings back afterwards: a fill of an older
// version, or "the database does not have it". Each announcement is kept for `ttl`, longer
// than any lookup may take (the REST deadline plus the database's read timeout), so by the
// time one is forgotten no read that started before its commit can still be in flight.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::cache {

class AnnouncedVersions {
 public:
  using clock = std::chrono::steady_clock;

  AnnouncedVersions(std::chrono::milliseconds ttl, std::size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {}

  // The feed announced `key` at `version` (kept until now + ttl).
  void note(std::string_view key, std::int64_t version, clock::time_point now = clock::now());
  // The newest live announcement of `key`, or -1 when there is none.
  std::int64_t version_of(std::string_view key, clock::time_point now = clock::now()) const;
  std::size_t size() const;

 private:
  struct Item {
    std::int64_t version;
    clock::time_point expires;
  };
  void make_room(clock::time_point now);

  const std::chrono::milliseconds ttl_;
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Item> items_;
};

}  // namespace sluice::cache
