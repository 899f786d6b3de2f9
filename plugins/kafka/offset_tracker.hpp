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

  // Records [first, next) of an owned partition were handed to the runtime.
  void handed_out(const std::string& topic, std::int32_t partition, std::int64_t first, std::int64_t next);

  // The runtime abandoned every batch in flight (a drain timed out, or an assignment was
  // lost): where an owned partition must be read again from so that no handed-out record
  // that was not accepted is skipped (the accepted position, or the first record handed out
  // since the assignment when nothing was accepted yet), or -1 when nothing of it was in
  // flight. Marks the partition as rewound there.
  std::int64_t rewind(const std::string& topic, std::int32_t partition);

  // Accepted offsets not yet sent to the broker; marks them sent.
  std::vector<Position> take_unsent();

  // A commit of `offset` failed: send it again with the next commit, unless a newer offset
  // was accepted meanwhile (which will be sent anyway).
  void commit_failed(const std::string& topic, std::int32_t partition, std::int64_t offset);

 private:
  struct State {
    std::int64_t accepted = -1;      // highest next-offset accepted by every sink
    std::int64_t sent = -1;          // highest next-offset handed to the broker
    std::int64_t first_handed = -1;  // offset of the first record handed out since assigned
    std::int64_t handed = -1;        // highest next-offset handed to the runtime
  };
  std::map<PartitionKey, State> partitions_;
};

}  // namespace sluice::kafka
