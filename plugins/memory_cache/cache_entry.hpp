// One cached entry in a single allocation: a 32-byte header, then the key bytes, then the
// value. No std::string, no node: the cost per entry is this header, malloc's
// own word or two and one index slot.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace sluice::cache {

struct Entry {
  std::uint64_t hash;
  // The store's version of this value (0: unversioned); a put never replaces a newer one.
  std::int64_t version;
  std::uint32_t value_size;
  std::uint16_t key_size;
  // The resync generation this value was last confirmed in (the change feed's resumed()
  // bumps it): an entry of an older one may be behind the store. Wraps after 65536 resyncs,
  // which at worst makes one very old entry look fresh; written only under the shard's
  // exclusive lock. Sits in what was the padding after key_size.
  std::uint16_t generation;
  // The shard's logical clock at the last read or write, for approximate LRU eviction.
  std::atomic<std::uint32_t> last_used;
  // 4 bytes of tail padding left (alignment of the 8-byte fields).

  std::string_view key() const { return {bytes(), key_size}; }
  std::string_view value() const { return {bytes() + key_size, value_size}; }

  static constexpr std::size_t max_key = UINT16_MAX;
  static constexpr std::size_t max_value = UINT32_MAX;

  // nullptr when key or value are too long to be cached.
  static Entry* make(std::uint64_t hash, std::string_view key, std::string_view value, std::int64_t version,
                     std::uint32_t now);
  static void destroy(Entry* entry);
  // Bytes this entry really occupies on the heap.
  std::size_t footprint() const;

 private:
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
};
static_assert(sizeof(Entry) == 32);

}  // namespace sluice::cache
