#include "kafka_metrics.hpp"

namespace sluice::kafka {

KafkaMetrics::KafkaMetrics(Metrics& registry)
    : registry_(registry),
      assigned_(registry.gauge("sluice_kafka_assigned_partitions", "Partitions currently assigned to this consumer")),
      rebalances_(registry.counter("sluice_kafka_rebalances_total", "Partition assignments and revocations handled")),
      commit_failures_(registry.counter("sluice_kafka_commit_failures_total",
                                        "Offset commits the broker refused (retried with the next commit)")),
      paused_(registry.gauge("sluice_kafka_paused",
                             "1 while the source holds its partitions paused: the pipeline is full and four "
                             "batches are read ahead")) {}

Labels KafkaMetrics::labels(const Key& key) {
  return {{"topic", key.stream}, {"partition", std::to_string(key.partition)}};
}

void KafkaMetrics::consumed(const std::string& topic, std::int32_t partition, std::uint64_t n) {
  Key key{topic, partition};
  auto it = consumed_.find(key);
  if (it == consumed_.end()) {
    Counter& c = registry_.counter("sluice_kafka_consumed_total", "Records read from Kafka and handed to the pipeline",
                                   labels(key));
    it = consumed_.emplace(std::move(key), &c).first;
  }
  it->second->inc(n);
}

void KafkaMetrics::lag(const std::string& topic, std::int32_t partition, std::int64_t lag) {
  Key key{topic, partition};
  auto it = lag_.find(key);
  if (it == lag_.end()) {
    Gauge& g =
        registry_.gauge("sluice_kafka_lag", "Records in the partition not yet committed by this group", labels(key));
    it = lag_.emplace(std::move(key), &g).first;
  }
  it->second->set(static_cast<double>(lag));
}

void KafkaMetrics::forget(const std::string& topic, std::int32_t partition) {
  Key key{topic, partition};
  if (lag_.erase(key) > 0) registry_.remove("sluice_kafka_lag", labels(key));
}

void KafkaMetrics::assigned(std::size_t partitions) { assigned_.set(static_cast<double>(partitions)); }
void KafkaMetrics::rebalanced() { rebalances_.inc(); }
void KafkaMetrics::commit_failed() { commit_failures_.inc(); }

void KafkaMetrics::paused(bool paused) { paused_.set(paused ? 1 : 0); }

}  // namespace sluice::kafka
