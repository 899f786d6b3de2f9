// The lag each source reported per partition (SourceHost::report_lag), for the admin status's
// positions: the runtime learns it through the host instead of reading a plugin's metric by
// name. Thread-safe: the source reports from its own threads, the admin API reads from its.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "sluice/record.hpp"

namespace sluice {

class PartitionLags {
 public:
  // nullopt forgets the partition (no longer this source's: a kept value would look real).
  void report(const PartitionKey& partition, std::optional<std::int64_t> lag);
  // The last lag reported for `partition`, or nothing (never reported, or forgotten).
  std::optional<std::int64_t> lag(const PartitionKey& partition) const;

 private:
  mutable std::mutex mutex_;
  std::map<PartitionKey, std::int64_t> lags_;
};

}  // namespace sluice
