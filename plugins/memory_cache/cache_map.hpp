// The sharded map from a record key to its value (in the default pipeline order_uid -> the
// order's canonical JSON). Shards cut lock contention: a reader
// only ever waits for a writer of the same shard, for a few probes.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache_shard.hpp"

namespace sluice::cache {

class CacheMap {
 public:
  // max_entries 0 = unbounded. With a bound, each shard holds max_entries / shards and
  // evicts the least recently used of a sample (approximate LRU, no per-entry list).
  explicit CacheMap(std::size_t max_entries);

  bool get(std::string_view key, std::string& value, EntryMeta* meta = nullptr) const;
  bool held_version(std::string_view key, std::int64_t& version) const;
  // Version-guarded put (see CacheShard::put); too_large when the entry cannot be cached
  // (key over 64 KiB or value over 4 GiB). !may_evict: a new key that finds its shard full
  // is not added (no_room).
  PutResult put(std::string_view key, std::string_view value, std::int64_t version = 0, bool may_evict = true);

  // Resync generations: entries stamped with an older one than current() may be behind.
  std::uint16_t generation() const { return generation_.load(std::memory_order_acquire); }
  void next_generation() { generation_.fetch_add(1, std::memory_order_acq_rel); }

  std::size_t size() const;
  std::size_t memory_bytes() const;
  std::size_t shard_count() const { return shards_.size(); }

 private:
  CacheShard& shard_for(std::uint64_t hash) const;

  std::vector<std::unique_ptr<CacheShard>> shards_;
  std::size_t per_shard_max_ = 0;
  int shard_shift_ = 0;
  std::atomic<std::uint16_t> generation_{0};
};

// The entry is in the cache now (as given, or a newer one it already held).
inline bool accepted(PutResult result) { return result != PutResult::too_large && result != PutResult::no_room; }

}  // namespace sluice::cache
