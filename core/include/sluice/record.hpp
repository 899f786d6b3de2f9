// The unit of data moving through a pipeline, and the batch that carries records.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice {

// One partition of one stream (a Kafka topic partition, a file): the key of every
// per-partition map (positions, offsets, lag, watermarks).
struct PartitionKey {
  std::string stream;
  std::int32_t partition = 0;
  auto operator<=>(const PartitionKey&) const = default;
};

// Where a stream can resume: `offset` is the NEXT offset to read in (stream, partition).
struct Position {
  std::string stream;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  PartitionKey key() const { return {stream, partition}; }
};

// What is wrong with one record: the triple every refusal carries, from the order checker
// through Outcome::reject to the dead-letter store.
struct Defect {
  std::string reason;   // machine-readable and stable, e.g. "invalid_json", "missing_field"
  std::string pointer;  // RFC 6901 JSON pointer of the first bad field; "" = the whole record
  std::string detail;   // one human sentence; never echoes record content
};

// Why a record was sent to the dead-letter route, and by which stage.
struct Rejection : Defect {
  std::string stage;  // id of the transform or sink that rejected it
};

struct Record {
  std::string key;
  std::string value;
  std::string stream;  // topic or file name
  std::int32_t partition = 0;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = 0;
  // Set by a sink that versions what it stores (postgres: the commit sequence it stored the
  // record under); later sinks (caches) keep it, so a stale value never replaces it. 0: none.
  std::int64_t version = 0;
  Rejection rejection;  // filled only for records on the dead-letter route
};

struct ReplayBatch;  // sluice/replay.hpp

struct Batch {
  std::vector<Record> records;
  // For every (stream, partition) the batch touched: the position after its last record.
  // Set by the source and kept even when every record is rejected, so a store that keeps
  // positions (postgres) can record them in the same transaction as the data.
  std::vector<Position> positions;
  std::uint64_t sequence = 0;  // assigned by the runtime, increasing
  // A replay of dead letters (no positions): which letter each record is and where they live,
  // kept by the runtime beside the records (sluice/replay.hpp says why and how). Null for
  // batches from the source.
  std::shared_ptr<const ReplayBatch> replay;
};

class DeadLetterStore;  // sluice/dead_letters.hpp

// Per-record outcome of a transform or sink: the records it refused. Everything else in
// the batch counts as accepted.
class Outcome {
 public:
  struct Rejected : Defect {
    std::size_t index = 0;
    // The sink stored this record's dead letter itself, in the transaction that kept the
    // batch (reject_stored): the runtime counts and logs it but does not write it again.
    bool stored = false;
  };
  void reject(std::size_t index, std::string reason, std::string pointer = {}, std::string detail = {}) {
    reject(index, Defect{std::move(reason), std::move(pointer), std::move(detail)});
  }
  void reject(std::size_t index, Defect defect) { rejected_.push_back({std::move(defect), index, false}); }
  // A rejection whose letter the sink already stored where letters_in() keeps them, in the
  // same transaction as the batch's data and positions or before it committed them (README.md,
  // "Delivery guarantees").
  void reject_stored(std::size_t index, Defect defect) { rejected_.push_back({std::move(defect), index, true}); }
  const std::vector<Rejected>& rejected() const { return rejected_; }

  // Fencing: a sink that keeps positions found (stream, partition) stored up
  // to `stored.offset` (the next offset to read) by someone else: another instance owns the
  // partition, or owned it while this one was paused. The sink wrote none of the batch's
  // records of that partition below it; the runtime drops them from the batch (neither stored
  // again nor dead letters, and later sinks never see them), commits nothing for the
  // partition that is not past it, and tells the source (Source::fenced).
  void behind(Position stored) { behind_.push_back(std::move(stored)); }
  const std::vector<Position>& behind() const { return behind_; }

  // Set by the runtime before Sink::write, kept by clear(): the dead-letter store this call's
  // rejections go to (nullptr: no dead-letter sink, or one that cannot be listed), and the id
  // of the stage being written, as its letters name it. A sink whose own database is where the
  // letters live (DeadLetterStore::location(), payload_limit() > 0) may store them itself, in
  // its batch transaction; one that keeps positions may hand them to the store before it
  // commits (DeadLetterStore::write_letters). Either reports them with reject_stored().
  void route_letters(DeadLetterStore* store, std::string stage) {
    letters_in_ = store;
    stage_ = std::move(stage);
  }
  DeadLetterStore* letters_in() const { return letters_in_; }
  const std::string& stage() const { return stage_; }

  void clear() {
    rejected_.clear();
    behind_.clear();
  }

 private:
  std::vector<Rejected> rejected_;
  std::vector<Position> behind_;
  DeadLetterStore* letters_in_ = nullptr;
  std::string stage_;
};

}  // namespace sluice
