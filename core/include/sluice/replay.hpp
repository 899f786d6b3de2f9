// What a replay batch carries beside its records (Batch::replay): a replay sends dead letters'
// raw records through the current transforms and sinks again (README.md, "Operating Sluice",
// Replay). Batches from the source have none (Batch::replay is null).
//
// Why beside the records and not in them: only the runtime, the dead-letter sink and a sink
// that retires letters in its own transaction care, so Record stays what every plugin needs.
// Why shared and const: a Batch is moved and copied between stages, queues and taps; the
// ReplayBatch never changes once made. The runtime keeps `dead_letter_ids` parallel to the
// batch's records: where it removes records (rejected ones go to the dead-letter sink, fenced
// ones are dropped) it makes a new ReplayBatch with the ids of the records left, and gives the
// dead-letter sink's batch one with the ids of the rejected records. A plugin only reads it,
// and a plugin that removes or reorders records itself must not (transforms change records in
// place and reject through Outcome).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/record.hpp"

namespace sluice {

struct ReplayBatch {
  // DeadLetter::id of each record, by index: dead_letter_ids[i] belongs to records[i].
  std::vector<std::int64_t> dead_letter_ids;
  // The DeadLetterStore::location() holding the letters. A sink that writes to that same
  // place deletes the letters of the records it stores in its own transaction, so the record
  // and its letter's retirement commit together. Sinks write replayed records like any other
  // (positions are not checked: they lie below them by nature); refused again, that letter is
  // updated (attempts + 1, the new reason): by the dead-letter sink, or in the refusing sink's
  // own transaction when it stores letters itself (Outcome::reject_stored).
  std::string retire_in;
};

// The dead letter record `index` of `batch` replays, or 0 (a record from the source).
inline std::int64_t dead_letter_id(const Batch& batch, std::size_t index) {
  if (!batch.replay || index >= batch.replay->dead_letter_ids.size()) return 0;
  return batch.replay->dead_letter_ids[index];
}

}  // namespace sluice
