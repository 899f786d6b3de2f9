#include "partition_lags.hpp"

namespace sluice {

void PartitionLags::report(const PartitionKey& partition, std::optional<std::int64_t> lag) {
  std::lock_guard lock(mutex_);
  if (lag) {
    lags_[partition] = *lag;
  } else {
    lags_.erase(partition);
  }
}

std::optional<std::int64_t> PartitionLags::lag(const PartitionKey& partition) const {
  std::lock_guard lock(mutex_);
  auto it = lags_.find(partition);
  if (it == lags_.end()) return std::nullopt;
  return it->second;
}

}  // namespace sluice
