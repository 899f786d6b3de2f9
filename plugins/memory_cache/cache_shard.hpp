// One shard of the cache: an open-addressing (linear probing) table of entry pointers
// behind a reader-writer lock. Readers share the lock and only copy a value out; writers
// allocate outside the lock and free displaced entries after releasing it, so the
// exclusive section is a few probes long (a rehash is the only longer one).
#pragma once

#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cache_entry.hpp"

namespace sluice::cache {

enum class PutResult { inserted, replaced, inserted_evicting };

class CacheShard {
 public:
  CacheShard() = default;
  ~CacheShard();
  CacheShard(const CacheShard&) = delete;
  CacheShard& operator=(const CacheShard&) = delete;

  bool get(std::string_view key, std::uint64_t hash, std::string& value) const;
  // Takes ownership of `fresh`. With max_entries > 0 and the shard full, evicts the least
  // recently used of a random sample (as Redis does: near-LRU quality without a list).
  // Entries to free are appended to `garbage` (free them after the call, outside any lock).
  PutResult put(Entry* fresh, std::size_t max_entries, std::vector<Entry*>& garbage);

  std::size_t size() const;
  std::size_t memory_bytes() const;  // entries + index
  std::uint32_t tick() const { return clock_.fetch_add(1, std::memory_order_relaxed) + 1; }

 private:
  std::size_t home(std::uint64_t hash) const { return hash & (slots_.size() - 1); }
  std::size_t find(std::string_view key, std::uint64_t hash) const;  // slot or npos
  void insert_new(Entry* entry);
  void grow();
  void remove_at(std::size_t slot);
  Entry* evict_one();

  mutable std::shared_mutex mutex_;
  std::vector<Entry*> slots_;  // power-of-two size; nullptr = empty
  std::size_t count_ = 0;
  std::size_t entry_bytes_ = 0;
  // Logical clock: ticks on every read and write of this shard.
  mutable std::atomic<std::uint32_t> clock_{0};
  std::uint64_t random_state_ = 0x9e3779b97f4a7c15ull;  // xorshift; deterministic on purpose
};

}  // namespace sluice::cache
