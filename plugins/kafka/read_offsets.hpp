// The next offset the kafka source expects from each partition it reads. librdkafka 2.0.2 may
// hand a record out a second time after a pause and a resume (a record that came in while the
// pause was on its way is fetched again from the position saved at the pause; see
// confluentinc/librdkafka#4637 and its kin), so a record below it was read already and goes.
// Seen as a batch of 202 records for 200 published in KafkaSource.BatchesStopAtTheirByteLimit.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace sluice::kafka {

class ReadOffsets {
 public:
  // False for a record read before (to drop); true, and remembered, for the next one. Per
  // consumed record: no copy of the stream's name once it is known.
  bool first_time(const std::string& stream, std::int32_t partition, std::int64_t offset) {
    auto [it, fresh] = next_[stream].try_emplace(partition, offset + 1);
    if (fresh) return true;
    if (offset < it->second) return false;
    it->second = offset + 1;
    return true;
  }
  // Assigned, revoked, or moved back by a seek: whatever comes next from it is taken.
  void forget(const std::string& stream, std::int32_t partition) {
    if (auto it = next_.find(stream); it != next_.end()) it->second.erase(partition);
  }
  void clear() { next_.clear(); }

 private:
  std::map<std::string, std::map<std::int32_t, std::int64_t>> next_;  // stream -> partition -> next offset
};

}  // namespace sluice::kafka
