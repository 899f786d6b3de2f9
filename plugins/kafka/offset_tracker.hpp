// Which partitions this consumer owns and which offsets are safe to commit. Pure
// bookkeeping, no librdkafka calls, so the commit rules are testable on their own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sluice/record.hpp"

namespace sluice::kafka {

class OffsetTracker {
 public:
  void assign(const std::string& topic, std::int32_t partition);
  // Forgets the partition: later positions or commit results for it are ignored, since
  // another group member may own it now and committing for it would move its offset back.
  void revoke(const std::string& topic, std::int32_t partition);
  bool owns(const std::string& topic, std::int32_t partition) const;
  std::size_t owned_count() const { return partitions_.size(); }

  // Positions every sink accepted (the next offset to read). Keeps the highest per owned
  // partition; positions of partitions not owned are dropped.
  void accepted(const std::vector<Position>& positions);

  // Accepted offsets not yet sent to the broker; marks them sent.
  std::vector<Position> take_unsent();

  // A commit of `offset` failed: send it again with the next commit, unless a newer offset
  // was accepted meanwhile (which will be sent anyway).
  void commit_failed(const std::string& topic, std::int32_t partition, std::int64_t offset);

 private:
  struct State {
    std::int64_t accepted = -1;  // highest next-offset accepted by every sink
    std::int64_t sent = -1;      // highest next-offset handed to the broker
  };
  std::map<std::pair<std::string, std::int32_t>, State> partitions_;
};

}  // namespace sluice::kafka
