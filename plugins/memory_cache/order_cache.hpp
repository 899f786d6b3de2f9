// The sharded map from order_uid to canonical JSON. Shards cut lock contention: a reader
// only ever waits for a writer of the same shard, for a few probes.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache_shard.hpp"

namespace sluice::cache {

class OrderCache {
 public:
  // max_entries 0 = unbounded. With a bound, each shard holds max_entries / shards and
  // evicts the least recently used of a sample (approximate LRU, no per-entry list).
  explicit OrderCache(std::size_t max_entries);

  bool get(std::string_view key, std::string& value) const;
  // False when the entry cannot be cached (key over 64 KiB or value over 4 GiB).
  bool put(std::string_view key, std::string_view value, bool* evicted = nullptr);

  std::size_t size() const;
  std::size_t memory_bytes() const;
  std::size_t shard_count() const { return shards_.size(); }

 private:
  CacheShard& shard_for(std::uint64_t hash) const;

  std::vector<std::unique_ptr<CacheShard>> shards_;
  std::size_t per_shard_max_ = 0;
  int shard_shift_ = 0;
};

}  // namespace sluice::cache
