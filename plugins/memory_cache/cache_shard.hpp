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

enum class PutResult {
  inserted,
  replaced,
  inserted_evicting,
  // The shard holds a newer version: it stays (and counts as confirmed in this generation,
  // since it is newer than what the writer saw).
  kept_newer,
  // New key, shard full and eviction not allowed (resync scans must not push out what
  // they are re-checking).
  no_room,
  // Key or value too long to be cached (decided before reaching a shard).
  too_large,
};

// What a lookup learns besides the value.
struct EntryMeta {
  std::int64_t version = 0;
  std::uint16_t generation = 0;
};

class CacheShard {
 public:
  CacheShard() = default;
  ~CacheShard();
  CacheShard(const CacheShard&) = delete;
  CacheShard& operator=(const CacheShard&) = delete;

  bool get(std::string_view key, std::uint64_t hash, std::string& value, EntryMeta* meta) const;
  // The version held for `key`, without touching LRU state or copying the value.
  bool held_version(std::string_view key, std::uint64_t hash, std::int64_t& version) const;
  // Takes ownership of `fresh`. An entry holding a newer version is kept (`fresh` goes to
  // garbage); equal versions replace, so unversioned writers stay last-write-wins. The
  // entry kept or put is stamped with `generation`, read under the lock so a resync that
  // bumped it before this put cannot be overtaken by a stamp read earlier. With
  // max_entries > 0 and the shard full, evicts the least recently used of a random sample
  // (as Redis does: near-LRU quality without a list), unless !may_evict.
  // Entries to free are appended to `garbage` (free them after the call, outside any lock).
  PutResult put(Entry* fresh, std::size_t max_entries, bool may_evict, const std::atomic<std::uint16_t>& generation,
                std::vector<Entry*>& garbage);

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
