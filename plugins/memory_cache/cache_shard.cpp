#include "cache_shard.hpp"

#include <mutex>

namespace sluice::cache {

namespace {
constexpr std::size_t npos = static_cast<std::size_t>(-1);
constexpr std::size_t initial_slots = 16;
}  // namespace

CacheShard::~CacheShard() {
  for (Entry* entry : slots_) Entry::destroy(entry);
}

std::size_t CacheShard::find(std::string_view key, std::uint64_t hash) const {
  if (slots_.empty()) return npos;
  std::size_t mask = slots_.size() - 1;
  for (std::size_t slot = home(hash);; slot = (slot + 1) & mask) {
    const Entry* entry = slots_[slot];
    if (!entry) return npos;
    if (entry->hash == hash && entry->key() == key) return slot;
  }
}

bool CacheShard::get(std::string_view key, std::uint64_t hash, std::string& value, EntryMeta* meta) const {
  std::shared_lock lock(mutex_);
  std::size_t slot = find(key, hash);
  if (slot == npos) return false;
  Entry* entry = slots_[slot];
  entry->last_used.store(tick(), std::memory_order_relaxed);
  value.assign(entry->value());
  if (meta) *meta = {entry->version, entry->generation};
  return true;
}

bool CacheShard::held_version(std::string_view key, std::uint64_t hash, std::int64_t& version) const {
  std::shared_lock lock(mutex_);
  std::size_t slot = find(key, hash);
  if (slot == npos) return false;
  version = slots_[slot]->version;
  return true;
}

void CacheShard::insert_new(Entry* entry) {
  std::size_t mask = slots_.size() - 1;
  std::size_t slot = home(entry->hash);
  while (slots_[slot]) slot = (slot + 1) & mask;
  slots_[slot] = entry;
}

void CacheShard::grow() {
  std::vector<Entry*> old = std::move(slots_);
  slots_.assign(old.empty() ? initial_slots : old.size() * 2, nullptr);
  for (Entry* entry : old) {
    if (entry) insert_new(entry);
  }
}

// Backward-shift deletion keeps probe chains intact without tombstones.
void CacheShard::remove_at(std::size_t hole) {
  std::size_t mask = slots_.size() - 1;
  slots_[hole] = nullptr;
  for (std::size_t next = (hole + 1) & mask; slots_[next]; next = (next + 1) & mask) {
    std::size_t wanted = home(slots_[next]->hash);
    // Move the entry back unless its home lies cyclically in (hole, next].
    bool stays = hole <= next ? (wanted > hole && wanted <= next) : (wanted > hole || wanted <= next);
    if (stays) continue;
    slots_[hole] = slots_[next];
    slots_[next] = nullptr;
    hole = next;
  }
}

Entry* CacheShard::evict_one() {
  if (count_ == 0) return nullptr;
  constexpr int samples = 16;
  std::size_t mask = slots_.size() - 1;
  std::uint32_t now = clock_.load(std::memory_order_relaxed);
  std::size_t victim = npos;
  std::uint32_t victim_age = 0;
  for (int i = 0; i < samples; ++i) {
    random_state_ ^= random_state_ << 13;
    random_state_ ^= random_state_ >> 7;
    random_state_ ^= random_state_ << 17;
    std::size_t slot = random_state_ & mask;
    while (!slots_[slot]) slot = (slot + 1) & mask;  // count_ > 0: terminates
    // Age, not stamp: stays right when the 32-bit clock wraps.
    std::uint32_t age = now - slots_[slot]->last_used.load(std::memory_order_relaxed);
    if (victim == npos || age > victim_age) {
      victim = slot;
      victim_age = age;
    }
  }
  Entry* entry = slots_[victim];
  remove_at(victim);
  --count_;
  entry_bytes_ -= entry->footprint();
  return entry;
}

PutResult CacheShard::put(Entry* fresh, std::size_t max_entries, bool may_evict,
                          const std::atomic<std::uint16_t>& generation, std::vector<Entry*>& garbage) {
  std::unique_lock lock(mutex_);
  std::uint16_t stamp = generation.load(std::memory_order_acquire);
  std::size_t slot = find(fresh->key(), fresh->hash);
  if (slot != npos) {
    Entry* old = slots_[slot];
    if (old->version > fresh->version) {
      old->generation = stamp;
      garbage.push_back(fresh);
      return PutResult::kept_newer;
    }
    fresh->generation = stamp;
    entry_bytes_ -= old->footprint();
    garbage.push_back(old);
    slots_[slot] = fresh;
    entry_bytes_ += fresh->footprint();
    return PutResult::replaced;
  }
  PutResult result = PutResult::inserted;
  if (max_entries && count_ >= max_entries) {
    if (!may_evict) {
      garbage.push_back(fresh);
      return PutResult::no_room;
    }
    if (Entry* evicted = evict_one()) {
      garbage.push_back(evicted);
      result = PutResult::inserted_evicting;
    }
  }
  // Load factor at most 3/4 keeps linear probes short.
  if ((count_ + 1) * 4 > slots_.size() * 3) grow();
  fresh->generation = stamp;
  insert_new(fresh);
  ++count_;
  entry_bytes_ += fresh->footprint();
  return result;
}

std::size_t CacheShard::size() const {
  std::shared_lock lock(mutex_);
  return count_;
}

std::size_t CacheShard::memory_bytes() const {
  std::shared_lock lock(mutex_);
  return entry_bytes_ + slots_.capacity() * sizeof(Entry*);
}

}  // namespace sluice::cache
