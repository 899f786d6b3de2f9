#include "cache_map.hpp"

#include <bit>
#include <functional>

namespace sluice::cache {
namespace {

constexpr std::size_t max_shards = 64;

// Enough shards that writers rarely meet readers, but never so many for a small bound that
// a shard holds almost nothing (the bound is per shard).
std::size_t shard_count_for(std::size_t max_entries) {
  if (max_entries == 0) return max_shards;
  std::size_t wanted = std::max<std::size_t>(1, max_entries / 1024);
  return std::min(max_shards, std::bit_floor(wanted));
}

}  // namespace

CacheMap::CacheMap(std::size_t max_entries) {
  std::size_t count = shard_count_for(max_entries);
  for (std::size_t i = 0; i < count; ++i) shards_.push_back(std::make_unique<CacheShard>());
  per_shard_max_ = max_entries ? std::max<std::size_t>(1, max_entries / count) : 0;
  // The shard comes from the hash's top bits, the slot from its low bits.
  shard_shift_ = 64 - std::countr_zero(count);
}

CacheShard& CacheMap::shard_for(std::uint64_t hash) const {
  std::size_t index = shards_.size() == 1 ? 0 : static_cast<std::size_t>(hash >> shard_shift_);
  return *shards_[index];
}

bool CacheMap::get(std::string_view key, std::string& value, EntryMeta* meta) const {
  std::uint64_t hash = std::hash<std::string_view>{}(key);
  return shard_for(hash).get(key, hash, value, meta);
}

bool CacheMap::held_version(std::string_view key, std::int64_t& version) const {
  std::uint64_t hash = std::hash<std::string_view>{}(key);
  return shard_for(hash).held_version(key, hash, version);
}

PutResult CacheMap::put(std::string_view key, std::string_view value, std::int64_t version, bool may_evict) {
  std::uint64_t hash = std::hash<std::string_view>{}(key);
  CacheShard& shard = shard_for(hash);
  // Allocated before the lock; a refused one is freed again (a put rarely loses).
  Entry* entry = Entry::make(hash, key, value, version, shard.tick());
  if (!entry) return PutResult::too_large;
  std::vector<Entry*> garbage;
  PutResult result = shard.put(entry, per_shard_max_, may_evict, generation_, garbage);
  for (Entry* old : garbage) Entry::destroy(old);
  return result;
}

std::size_t CacheMap::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) total += shard->size();
  return total;
}

std::size_t CacheMap::memory_bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) total += shard->memory_bytes();
  return total;
}

}  // namespace sluice::cache
