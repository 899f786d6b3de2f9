#include "offset_tracker.hpp"

namespace sluice::kafka {

void OffsetTracker::assign(const std::string& topic, std::int32_t partition) {
  partitions_.try_emplace({topic, partition});
}

void OffsetTracker::revoke(const std::string& topic, std::int32_t partition) { partitions_.erase({topic, partition}); }

bool OffsetTracker::owns(const std::string& topic, std::int32_t partition) const {
  return partitions_.contains({topic, partition});
}

void OffsetTracker::accepted(const std::vector<Position>& positions) {
  for (const Position& p : positions) {
    auto it = partitions_.find({p.stream, p.partition});
    if (it == partitions_.end()) continue;
    if (p.offset > it->second.accepted) it->second.accepted = p.offset;
  }
}

void OffsetTracker::handed_out(const std::string& topic, std::int32_t partition, std::int64_t first,
                               std::int64_t next) {
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) return;
  if (it->second.first_handed < 0) it->second.first_handed = first;
  if (next > it->second.handed) it->second.handed = next;
}

std::int64_t OffsetTracker::rewind(const std::string& topic, std::int32_t partition) {
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) return -1;
  State& s = it->second;
  if (s.handed < 0 || s.handed <= s.accepted) return -1;  // everything handed out was accepted
  const std::int64_t from = s.accepted >= 0 ? s.accepted : s.first_handed;
  s.handed = from;
  return from;
}

std::vector<Position> OffsetTracker::take_unsent() {
  std::vector<Position> out;
  for (auto& [key, state] : partitions_) {
    if (state.accepted > state.sent) {
      out.push_back({key.stream, key.partition, state.accepted});
      state.sent = state.accepted;
    }
  }
  return out;
}

void OffsetTracker::commit_failed(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) return;
  if (it->second.sent == offset) it->second.sent = offset - 1;
}

}  // namespace sluice::kafka
