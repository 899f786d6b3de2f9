// What a source that reads an offset log (kafka) can tell and change about its stream outside
// a run, for `sluice positions` (README.md, "Operating Sluice", Reprocessing): a source
// returns one from Source::stream_offsets(). Opt-in: only such a source includes this header.
// It does its own I/O on its own connection (created on first use, closed with the source)
// and is used only by the CLI, never while the pipeline runs.
#pragma once

#include <boost/config.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/record.hpp"
#include "sluice/status.hpp"

namespace sluice {

// One partition of the stream: its first offset and its next offset to be written (Kafka's
// low and high-water mark).
struct PartitionRange {
  std::int32_t partition = 0;
  std::int64_t low = 0;
  std::int64_t high = 0;
};

class BOOST_SYMBOL_VISIBLE StreamOffsets {
 public:
  virtual ~StreamOffsets();
  // The stream the source reads (the Kafka topic): its stored positions carry this name.
  virtual std::string stream() const = 0;
  // Every partition of the stream with its range, in partition order.
  virtual Status ranges(std::vector<PartitionRange>& out, std::chrono::milliseconds timeout) = 0;
  // For each of `partitions`: the first offset whose record is stamped at or after
  // `timestamp_ms` (milliseconds since the Unix epoch), or the partition's high-water mark
  // when none is (a time beyond the end maps to the end).
  virtual Status offsets_at(std::int64_t timestamp_ms, const std::vector<std::int32_t>& partitions,
                            std::vector<Position>& out, std::chrono::milliseconds timeout) = 0;
  // Makes `positions` the source's consumer group's committed offsets, so that tools that
  // read the group's lag agree with the stored positions.
  virtual Status commit_group(const std::vector<Position>& positions, std::chrono::milliseconds timeout) = 0;
};

}  // namespace sluice
