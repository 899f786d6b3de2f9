// A transform plugin: the Transform interface. Include this header (not plugin.hpp) in a
// transform. A transform is given the base Host (plugin.hpp): log, metrics, health, data
// files, stopping. Constructor: CLASS(const sluice::Config&, sluice::Host&).
#pragma once

#include <boost/config.hpp>

#include "sluice/plugin.hpp"
#include "sluice/record.hpp"

namespace sluice {

// Maps, validates or routes records. May change records in place and reject single ones.
// Every transform's apply() runs on the runtime's transforms thread, one batch at a time, in
// order (while the sinks write earlier batches on their own threads).
class BOOST_SYMBOL_VISIBLE Transform : public Plugin {
 public:
  virtual Status apply(Batch& batch, Outcome& outcome) = 0;
};

}  // namespace sluice
