#include "watermarks.hpp"

namespace sluice::cache {

void Watermarks::raise(const std::vector<Position>& positions) {
  if (positions.empty()) return;
  bool moved = false;
  {
    std::lock_guard lock(mutex_);
    for (const Position& p : positions) {
      auto [it, inserted] = next_offsets_.try_emplace(p.key(), p.offset);
      if (!inserted && it->second < p.offset) it->second = p.offset;
      moved = moved || inserted || it->second == p.offset;
    }
  }
  if (moved) raised_.notify_all();
}

bool Watermarks::reached(const Position& position) const {
  auto it = next_offsets_.find(position.key());
  return it != next_offsets_.end() && it->second >= position.offset;
}

Reach Watermarks::wait_for(const Position& position, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return raised_.wait_until(lock, deadline, [&] { return reached(position); }) ? Reach::reached : Reach::not_yet;
}

std::int64_t Watermarks::of(const std::string& stream, std::int32_t partition) const {
  std::lock_guard lock(mutex_);
  auto it = next_offsets_.find(Key{stream, partition});
  return it == next_offsets_.end() ? -1 : it->second;
}

}  // namespace sluice::cache
