// The kafka source's metrics, registered once per partition and then updated through cached
// pointers so the per-record cost is one atomic add.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "sluice/metrics.hpp"
#include "sluice/record.hpp"  // PartitionKey

namespace sluice::kafka {

class KafkaMetrics {
 public:
  explicit KafkaMetrics(Metrics& registry);

  void consumed(const std::string& topic, std::int32_t partition, std::uint64_t n = 1);
  void lag(const std::string& topic, std::int32_t partition, std::int64_t lag);
  // The partition is no longer ours: its lag series leaves /metrics (another instance
  // reports it now; a frozen value here would be read as real lag).
  void forget(const std::string& topic, std::int32_t partition);
  void assigned(std::size_t partitions);
  void rebalanced();
  void commit_failed();
  // Backpressure made visible: 1 while the source holds its partitions paused.
  void paused(bool paused);

 private:
  using Key = PartitionKey;
  static Labels labels(const Key& key);

  Metrics& registry_;
  std::map<Key, Counter*> consumed_;
  std::map<Key, Gauge*> lag_;
  Gauge& assigned_;
  Counter& rebalances_;
  Counter& commit_failures_;
  Gauge& paused_;
};

}  // namespace sluice::kafka
