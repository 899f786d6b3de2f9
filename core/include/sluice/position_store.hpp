// Positions a sink keeps transactionally with its data (postgres), which the source resumes
// from: a sink that keeps them returns one from Sink::position_store(); a source reads it
// through SourceHost::position_store(). `sluice positions` reads and moves them (README.md,
// "Operating Sluice", Reprocessing), refusing partitions a running source holds.
#pragma once

#include <boost/config.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/record.hpp"
#include "sluice/status.hpp"

namespace sluice {

class BOOST_SYMBOL_VISIBLE PositionStore {
 public:
  virtual ~PositionStore();
  // The next offset to read for (stream, partition), as committed with the data.
  // Sets `found` false when the store has none.
  virtual Status load(const std::string& stream, std::int32_t partition, std::int64_t& next_offset, bool& found) = 0;

  // A running source holds the partitions it reads (from assignment to revocation or close;
  // a process that dies lets go with its connection), so that move() refuses them. Holding
  // is shared: instances of one group may hold a partition at once during a handover.
  // Default: holds nothing.
  virtual Status hold(const std::vector<PartitionKey>& partitions);
  virtual void release(const std::vector<PartitionKey>& partitions);
  // Every stored position of `stream`, in partition order. Default: unsupported.
  virtual Status list(const std::string& stream, std::vector<Position>& out);
  // Sets the stored positions to `positions`, backwards too, all in one transaction, unless a
  // running source holds one of them: then nothing changes and `held` names them (Status
  // still ok). Default: unsupported.
  virtual Status move(const std::vector<Position>& positions, std::vector<PartitionKey>& held);
};

}  // namespace sluice
