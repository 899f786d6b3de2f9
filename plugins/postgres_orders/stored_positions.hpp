// Fencing in the position store (core/README.md, Delivery): inside a batch's transaction, the stored
// positions of the batch's partitions are locked and read first. Records below a stored
// position were stored already (by another instance, or by this one before a pause) and are
// skipped; a stored position only ever moves forward. Two writers of one partition (a
// zombie waking up, an evicted member finishing its batch) queue on the row lock, and the
// second sees what the first committed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pg_connection.hpp"
#include "sluice/record.hpp"

namespace sluice::pg {

class StoredPositions {
 public:
  // In an open transaction: locks and reads the `offsets` rows of every (stream, partition)
  // in the batch's positions, and finds where the batch is behind them (fences()). A missing
  // row is created (at 0) so that it can be locked too; it only commits together with the
  // batch's own position.
  void lock(PgConnection& connection, const Batch& batch);

  // The stored next offset of (stream, partition): 0 when nothing is stored.
  std::int64_t stored(const std::string& stream, std::int32_t partition) const;
  // A record from the source below the stored position. A replayed dead letter (one with a
  // dead_letter_id, sluice/replay.hpp) is never behind: it lies below the stored position by
  // nature, and nothing else writes it; callers do not ask for one.
  bool behind(const Record& record) const {
    return record.offset >= 0 && record.offset < stored(record.stream, record.partition);
  }
  // The stored positions of the partitions the locked batch is (partly) behind on, for
  // Outcome::behind; empty in the common case.
  const std::vector<Position>& fences() const { return fences_; }

  // Below where a partition's position stood before `sluice positions set` moved it back
  // (offsets.replayed_below; 0 when it never was): records there are read again, and one
  // older than the stored version of its order must not replace it (order_writer.hpp).
  bool reread(const Record& record) const {
    return record.offset >= 0 && record.offset < replayed_below(record.stream, record.partition);
  }

  // Writes the batch's positions that are past the stored ones (never one backwards);
  // returns those it wrote (for the change feed's read-your-writes positions).
  std::vector<Position> advance(PgConnection& connection, const std::vector<Position>& positions) const;

 private:
  // One pass over the batch: the partitions with a record, or a position, not past the store.
  void find_fences(const Batch& batch);

  std::int64_t replayed_below(const std::string& stream, std::int32_t partition) const;

  std::vector<Position> stored_;          // a batch touches few partitions: a short list beats a map
  std::vector<Position> replayed_below_;  // parallel to stored_
  std::vector<Position> fences_;
};

}  // namespace sluice::pg
