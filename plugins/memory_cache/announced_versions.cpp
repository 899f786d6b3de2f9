#include "announced_versions.hpp"

#include <algorithm>

namespace sluice::cache {

void AnnouncedVersions::make_room(clock::time_point now) {
  std::erase_if(items_, [&](const auto& item) { return item.second.expires <= now; });
  // Still full of live announcements (other instances write faster than max_entries per ttl):
  // start over rather than grow. The fills this lets through are the ones the bound cannot
  // cover; README.md, "Coherent reads across instances", says so.
  if (items_.size() >= max_entries_) items_.clear();
}

void AnnouncedVersions::note(std::string_view key, std::int64_t version, clock::time_point now) {
  if (max_entries_ == 0) return;
  std::lock_guard lock(mutex_);
  auto it = items_.find(std::string(key));
  if (it != items_.end()) {
    it->second.version = std::max(it->second.version, version);
    it->second.expires = now + ttl_;
    return;
  }
  if (items_.size() >= max_entries_) make_room(now);
  items_.emplace(std::string(key), Item{version, now + ttl_});
}

std::int64_t AnnouncedVersions::version_of(std::string_view key, clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (items_.empty()) return -1;
  auto it = items_.find(std::string(key));
  if (it == items_.end() || it->second.expires <= now) return -1;
  return it->second.version;
}

std::size_t AnnouncedVersions::size() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

}  // namespace sluice::cache
