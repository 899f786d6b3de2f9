// The positions the source accepted, per partition (the status's "positions"): the source
// thread records each commit, an admin thread copies them.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "sluice/record.hpp"

namespace sluice {

class CommittedPositions {
 public:
  // A later commit of a partition replaces its earlier one.
  void record(const std::vector<Position>& committed) {
    std::lock_guard lock(mutex_);
    for (const Position& p : committed) offsets_[p.key()] = p.offset;
  }
  std::map<PartitionKey, std::int64_t> snapshot() const {
    std::lock_guard lock(mutex_);
    return offsets_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<PartitionKey, std::int64_t> offsets_;
};

}  // namespace sluice
