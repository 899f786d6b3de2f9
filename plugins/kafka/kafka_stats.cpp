#include "kafka_stats.hpp"

#include <nlohmann/json.hpp>

namespace sluice::kafka {

StatsSummary summarize_stats(std::string_view stats_json) {
  StatsSummary summary;
  auto stats = nlohmann::json::parse(stats_json, nullptr, /*allow_exceptions=*/false);
  if (!stats.is_object()) return summary;
  summary.parsed = true;

  if (auto brokers = stats.find("brokers"); brokers != stats.end() && brokers->is_object()) {
    for (const auto& broker : *brokers) {
      // nodeid -1 marks bootstrap entries and logical brokers (the group coordinator).
      if (broker.value("nodeid", -1) >= 0 && broker.value("state", "") == "UP") {
        summary.broker_up = true;
      }
    }
  }

  if (auto topics = stats.find("topics"); topics != stats.end() && topics->is_object()) {
    for (const auto& [topic, body] : topics->items()) {
      auto partitions = body.find("partitions");
      if (partitions == body.end() || !partitions->is_object()) continue;
      for (const auto& part : *partitions) {
        std::int32_t id = part.value("partition", -1);
        std::int64_t lag = part.value("consumer_lag", std::int64_t{-1});
        // Partition -1 is librdkafka's internal "unassigned" queue; -1 lag means unknown.
        if (id < 0 || lag < 0) continue;
        summary.lags.push_back({topic, id, lag});
      }
    }
  }
  return summary;
}

}  // namespace sluice::kafka
