// What the runtime does with one batch, reduced to the parts these tests need: run the
// validator, take rejected records out of the batch (filling their rejection), write the
// rest to the sinks in order, and hand everything rejected to the dead-letter sink.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "sluice/sink.hpp"
#include "sluice/transform.hpp"

namespace sluice::test {

inline void take_rejected(Batch& batch, const Outcome& outcome, const std::string& stage, std::vector<Record>& dead) {
  std::vector<char> drop(batch.records.size(), 0);
  for (const auto& r : outcome.rejected()) {
    drop.at(r.index) = 1;
    Record& record = batch.records[r.index];
    record.rejection = {static_cast<const Defect&>(r), stage};
    dead.push_back(std::move(record));
  }
  std::vector<Record> kept;
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(batch.records[i]));
  }
  batch.records = std::move(kept);
}

// Returns the dead-lettered records. Every stage must succeed.
inline std::vector<Record> run_batch(Batch batch, Transform* validate, const std::vector<Sink*>& sinks,
                                     Sink* dead_letter) {
  std::vector<Record> dead;
  Outcome outcome;
  if (validate) {
    Status status = validate->apply(batch, outcome);
    EXPECT_TRUE(status.is_ok()) << status.message();
    take_rejected(batch, outcome, "validate", dead);
  }
  for (Sink* sink : sinks) {
    outcome.clear();
    Status status = sink->write(batch, outcome);
    EXPECT_TRUE(status.is_ok()) << status.message();
    take_rejected(batch, outcome, "sink", dead);
  }
  if (dead_letter && !dead.empty()) {
    Batch letters;
    letters.records = dead;
    outcome.clear();
    Status status = dead_letter->write(letters, outcome);
    EXPECT_TRUE(status.is_ok()) << status.message();
  }
  return dead;
}

inline Record make_record(std::string value, std::int64_t offset, std::int32_t partition = 0,
                          std::string stream = "orders") {
  Record record;
  record.value = std::move(value);
  record.stream = std::move(stream);
  record.partition = partition;
  record.offset = offset;
  return record;
}

}  // namespace sluice::test
