// Reads the parts of librdkafka's statistics JSON the source reports: consumer lag per
// partition and whether any broker connection is up. librdkafka computes these anyway, so
// reading them costs one small JSON parse per stats interval and no extra broker requests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::kafka {

struct PartitionLag {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t lag = 0;  // high watermark minus committed offset
};

struct StatsSummary {
  bool parsed = false;
  bool broker_up = false;          // at least one real (not bootstrap-only) broker is connected
  std::vector<PartitionLag> lags;  // partitions with a known lag only
};

StatsSummary summarize_stats(std::string_view stats_json);

}  // namespace sluice::kafka
