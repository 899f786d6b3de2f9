// A source plugin: the Source interface and the SourceHost it is given. Include this header
// (not plugin.hpp) in a source; position_store.hpp too if it resumes from a sink's positions,
// stream_offsets.hpp if `sluice positions` can ask it about its stream.
#pragma once

#include <boost/config.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/plugin.hpp"
#include "sluice/record.hpp"

namespace sluice {

class PositionStore;  // sluice/position_store.hpp
class StreamOffsets;  // sluice/stream_offsets.hpp

// What the runtime offers a source: the base Host, the positions it resumes from, and the
// hooks of a partition handover.
class BOOST_SYMBOL_VISIBLE SourceHost : public virtual Host {
 public:
  // The first sink that keeps positions with its data, or nullptr.
  virtual PositionStore* position_store() = 0;
  // From inside poll()/idle(): blocks until every batch handed out so far is fully handled,
  // then calls commit() with their positions (true). Used on partition revocation. Past
  // `limit` it stops waiting and abandons the batches still in flight (false): they are never
  // acknowledged, and stages that have not run them yet skip them. Their records are read
  // again by whoever owns the partitions next; fencing in the position store makes a write
  // that was already under way harmless.
  virtual bool drain(std::chrono::milliseconds limit) = 0;
  // Abandons every batch in flight at once, without waiting (an assignment was lost: another
  // member may own the partitions, so nothing more of them should reach the sinks).
  virtual void abandon_in_flight() = 0;
  // How many records `stream`/`partition` holds past what this source has read (Kafka: the
  // consumer lag), for the admin status's positions. Call it whenever the source learns it;
  // the latest value per partition is kept; nullopt forgets it (the partition is no longer
  // this source's). Thread-safe.
  virtual void report_lag(const std::string& stream, std::int32_t partition, std::optional<std::int64_t> lag) = 0;
};

struct PollLimits {
  std::size_t max_records = 1000;
  std::chrono::milliseconds max_wait{100};
  // Bytes of keys and values in one batch: a source stops filling it past this (a single
  // record larger than it still goes alone). A source that reads ahead keeps at most four
  // batches' worth (4 * max_bytes), so memory stays bounded whatever the message size.
  std::size_t max_bytes = std::size_t{32} << 20;
};

// Produces batches on one thread (the runtime's source thread). Every method is called on
// that thread. Constructor: CLASS(const sluice::Config&, sluice::SourceHost&).
class BOOST_SYMBOL_VISIBLE Source : public Plugin {
 public:
  virtual Status open() = 0;
  // Fills `out` (records and positions). An empty batch is fine. end_of_input ends a run.
  virtual Status poll(Batch& out, const PollLimits& limits) = 0;
  // The runtime is full (backpressure): keep sessions alive, hand out nothing.
  virtual Status idle(std::chrono::milliseconds wait) = 0;
  // Positions every sink accepted, in order; safe to make durable.
  virtual Status commit(const std::vector<Position>& positions) = 0;
  // A position store holds these partitions further than batches this source handed out
  // (another instance stored them: this one was paused or evicted). `stored` is the stored
  // next offset per partition; nothing below it needs reading again. Default: ignore.
  virtual void fenced(const std::vector<Position>& stored);
  virtual void close();
  // The one exception to "every method on the source thread": called from API threads (a
  // read-your-writes check, plugins/rest/README.md), concurrently with poll(), idle() and
  // commit(), and only between an open() that succeeded and close(). The next offset
  // `stream`/`partition` will write, fresh from where the stream lives (Kafka: the high-water
  // mark), within `timeout`; nothing when unknown (not this source's stream, no answer in
  // time). Default: unknown.
  virtual std::optional<std::int64_t> end_offset(const std::string& stream, std::int32_t partition,
                                                 std::chrono::milliseconds timeout);
  // For `sluice positions` (never called while the pipeline runs, nor after open()): the
  // stream's offsets, or nullptr when the source has none to tell. Default: nullptr.
  virtual StreamOffsets* stream_offsets();
};

}  // namespace sluice
