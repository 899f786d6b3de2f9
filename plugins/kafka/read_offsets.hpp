// The next offset the kafka source expects from each partition it reads. librdkafka 2.0.2 may
// hand a record out a second time after a pause and a resume (a record that came in while the
// pause was on its way is fetched again from the position saved at the pause; see
// confluentinc/librdkafka#4637 and its kin), so a record below it was read already and goes.
// Seen as a batch of 202 records for 200 published in KafkaSource.BatchesStopAtTheirByteLimit.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace sluice::kafka {

class ReadOffsets {
 public:
  // False for a record read before (to drop); true, and remembered, for the next one.
  bool first_time(const std::string& stream, std::int32_t partition, std::int64_t offset) {
    auto [it, fresh] = next_.try_emplace({stream, partition}, offset + 1);
    if (fresh) return true;
    if (offset < it->second) return false;
    it->second = offset + 1;
    return true;
  }
  // Assigned, revoked, or moved back by a seek: whatever comes next from it is taken.
  void forget(const std::string& stream, std::int32_t partition) { next_.erase({stream, partition}); }
  void clear() { next_.clear(); }

 private:
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next_;
};

}  // namespace sluice::kafka
