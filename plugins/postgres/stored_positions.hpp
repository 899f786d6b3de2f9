// Fencing in the position store (design.md §4): inside a batch's transaction, the stored
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
  // in `positions`. A missing row is created (at 0) so that it can be locked too; it only
  // commits together with the batch's own position.
  void lock(PgConnection& connection, const std::vector<Position>& positions);

  // The stored next offset of (stream, partition): 0 when nothing is stored.
  std::int64_t stored(const std::string& stream, std::int32_t partition) const;
  bool behind(const Record& record) const {
    return record.offset >= 0 && record.offset < stored(record.stream, record.partition);
  }
  // How many of the batch's records are behind.
  std::size_t count_behind(const Batch& batch) const;
  // The stored positions of the partitions the batch is (partly) behind on, for
  // Outcome::behind.
  std::vector<Position> fences(const Batch& batch) const;

  // Writes the batch's positions that are past the stored ones (never one backwards).
  void advance(PgConnection& connection, const std::vector<Position>& positions) const;

 private:
  bool any_stored() const;

  std::vector<Position> stored_;  // a batch touches few partitions: a short list beats a map
};

}  // namespace sluice::pg
