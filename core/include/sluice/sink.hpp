// A sink plugin: the Sink interface and the SinkHost it is given. Include this header (not
// plugin.hpp) in a sink; a sink that is a store includes sluice/store.hpp, one that keeps
// positions sluice/position_store.hpp, a dead-letter sink that can list sluice/dead_letters.hpp,
// one that retires replayed letters sluice/replay.hpp.
#pragma once

#include <boost/config.hpp>
#include <string_view>

#include "sluice/plugin.hpp"
#include "sluice/record.hpp"

namespace sluice {

class Store;            // sluice/store.hpp
class PositionStore;    // sluice/position_store.hpp
class DeadLetterStore;  // sluice/dead_letters.hpp

// What the runtime offers a sink: the base Host and the other sinks' stores.
class BOOST_SYMBOL_VISIBLE SinkHost : public virtual Host {
 public:
  // The sink declared with `id` if it is a store, else nullptr (a cache warms from it and
  // follows its change feed: memory_cache's warm_from).
  virtual Store* store(std::string_view id) = 0;
};

// Writes batches. write() returns ok only when the batch is durable; rejected records go to
// the dead-letter route; retry means "nothing was kept, call again later". Each sink's write()
// runs on that sink's own thread, one batch at a time, in order: a later sink gets batch n
// after this one returned ok for it, while this one may already write batch n+1.
// Constructor: CLASS(const sluice::Config&, sluice::SinkHost&).
class BOOST_SYMBOL_VISIBLE Sink : public Plugin {
 public:
  // Connect, apply migrations, warm up. May take long; report progress in the log.
  virtual Status open() = 0;
  virtual Status write(Batch& batch, Outcome& outcome) = 0;
  virtual void close();
  // Apply schema migrations only (for `sluice migrate`).
  virtual Status migrate();
  virtual Store* store();
  virtual PositionStore* position_store();
  // A dead-letter sink that can list and manage what it keeps (admin API, `sluice
  // dead-letters`), or nullptr. Thread-safe from open() on.
  virtual DeadLetterStore* dead_letter_store();
};

}  // namespace sluice
