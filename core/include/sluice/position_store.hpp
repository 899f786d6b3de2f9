// Positions a sink keeps transactionally with its data (postgres), which the source resumes
// from: a sink that keeps them returns one from Sink::position_store(); a source reads it
// through SourceHost::position_store().
#pragma once

#include <boost/config.hpp>
#include <cstdint>
#include <string>

#include "sluice/status.hpp"

namespace sluice {

class BOOST_SYMBOL_VISIBLE PositionStore {
 public:
  virtual ~PositionStore();
  // The next offset to read for (stream, partition), as committed with the data.
  // Sets `found` false when the store has none.
  virtual Status load(const std::string& stream, std::int32_t partition, std::int64_t& next_offset, bool& found) = 0;
};

}  // namespace sluice
