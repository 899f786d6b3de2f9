#include "cache_entry.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace sluice::cache {

Entry* Entry::make(std::uint64_t hash, std::string_view key, std::string_view value, std::int64_t version,
                   std::uint32_t now) {
  if (key.size() > max_key || value.size() > max_value) return nullptr;
  void* memory = std::malloc(sizeof(Entry) + key.size() + value.size());
  if (!memory) throw std::bad_alloc();
  // The generation is stamped by the shard, under its lock, when the entry goes in.
  auto* entry = new (memory)
      Entry{hash, version, static_cast<std::uint32_t>(value.size()), static_cast<std::uint16_t>(key.size()), 0, {now}};
  char* bytes = reinterpret_cast<char*>(entry + 1);
  std::memcpy(bytes, key.data(), key.size());
  std::memcpy(bytes + key.size(), value.data(), value.size());
  return entry;
}

void Entry::destroy(Entry* entry) {
  if (!entry) return;
  entry->~Entry();
  std::free(entry);
}

std::size_t Entry::footprint() const {
  // The usable size plus malloc's chunk header.
  return malloc_usable_size(const_cast<Entry*>(this)) + sizeof(void*);
}

}  // namespace sluice::cache
