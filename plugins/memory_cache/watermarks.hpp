// Read-your-writes: per (stream, partition), the highest next offset whose records the cache
// reflects. Writers raise it (the pipeline's write(), the change feed); readers holding a
// token (a position) wait until it is reached. It never goes backwards: a late or repeated
// report of an older position changes nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sluice/record.hpp"
#include "sluice/store.hpp"

namespace sluice::cache {

class Watermarks {
 public:
  void raise(const std::vector<Position>& positions);
  // reached once the watermark of position's (stream, partition) is >= position.offset;
  // not_yet when `deadline` passes first.
  Reach wait_for(const Position& position, std::chrono::steady_clock::time_point deadline);
  // The current watermark, -1 if none was ever reported.
  std::int64_t of(const std::string& stream, std::int32_t partition) const;

 private:
  using Key = PartitionKey;
  bool reached(const Position& position) const;  // caller holds mutex_

  mutable std::mutex mutex_;
  std::condition_variable raised_;
  std::map<Key, std::int64_t, std::less<>> next_offsets_;
};

}  // namespace sluice::cache
