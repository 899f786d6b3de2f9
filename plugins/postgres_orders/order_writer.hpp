// Writes one batch of orders and its source positions in one transaction.
//
// Fast path: lock the batch's stored positions (fencing: records below them are skipped),
// DELETE the batch's order_uids (children go by cascade), COPY the four tables, move the
// positions forward, COMMIT: close to the speed of a plain COPY, and "the order and its
// children replaced" by construction. If the server refuses a value (a constraint, a date it
// cannot represent), the transaction is rolled back and replayed one order per savepoint,
// so only the refused orders are rejected and the rest of the batch commits; when the
// newest version of an order in the batch is refused, the next older one is stored instead.
//
// Versions (README.md, "Coherent reads across instances"): every stored order gets a version from
// order_version_seq taken AFTER the transaction's DELETE of its order_uid. The DELETE waits
// for any other writer of the same row to finish, so the version is greater than every
// committed one of that order, whichever instance wrote it. The fast path takes one value
// for the whole batch; the one-by-one path a fresh one after each order's own DELETE.
// Before COMMIT, the transaction NOTIFYs what it stored (change_notice.hpp).
//
// Reprocessing (README.md, "Operating Sluice", Reprocessing): after `sluice positions set`
// moved a position back, the records below where it stood are read again. Each is written
// again (a changed transform's output replaces the stored one), except one older than the
// stored version of its order from the same stream and partition (a lower offset): that one
// is skipped like a fenced record, so the newest version stays, in the table and (its
// version 0 loses to the one held) in the cache. Only then is the extra query made.
//
// Replays (Batch::replay, sluice/replay.hpp): when the batch's dead letters live in this very
// database, the transaction also deletes the letters of the records it stored (not of those
// refused), so the order and its letter's retirement commit or roll back together. The statement
// is the dead-letter table's own (dead_letter_table.hpp, plugins/common/pg); this sink holds none.
//
// Letters (README.md, "Delivery guarantees"): when the runtime routes this write's rejections
// to a dead-letter store in this very database (Outcome::letters_in(), same location), the
// transaction also stores the letters of the orders it rejects, through the same module, and
// reports them with Outcome::reject_stored: the positions past them and their letters commit
// or roll back together. A store elsewhere (another database) gets them before COMMIT
// (DeadLetterStore::write_letters): a crash between the two brings the records again, and
// their letters count up instead of doubling. Only a store that cannot take them that way
// leaves them to the runtime, after the commit.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "order_check.hpp"
#include "order_rows.hpp"
#include "pg_connection.hpp"
#include "sluice/record.hpp"
#include "stored_positions.hpp"

namespace sluice::pg {

struct WriteStats {
  std::size_t written = 0;   // orders stored
  std::size_t refused = 0;   // rejected by the database
  std::size_t invalid = 0;   // rejected by the sink's own order check
  std::size_t fenced = 0;    // below the stored position: skipped
  std::size_t retired = 0;   // dead letters deleted with the orders replayed from them
  std::size_t lettered = 0;  // dead letters of refused and invalid orders stored with the batch
};

class OrderWriter {
 public:
  OrderWriter();

  // The channel to NOTIFY in every batch transaction; empty: no change feed.
  void set_feed_channel(std::string channel) { feed_channel_ = std::move(channel); }
  // pg::location() of this writer's database: a replay batch whose ReplayBatch::retire_in is
  // the same has its letters deleted in the batch's transaction. Empty: never.
  void set_location(std::string location) { location_ = std::move(location); }

  // Throws PgError for connection, transient and fatal failures (the transaction is rolled
  // back: nothing was kept). Data failures become rejections in `outcome`, fenced partitions
  // Outcome::behind entries. Once committed, every record stored gets its version
  // (Record::version); the others, older duplicates of an order included, get 0.
  WriteStats write(PgConnection& connection, Batch& batch, Outcome& outcome);

 private:
  struct Pending {
    std::size_t index;  // in batch.records
    std::string uid;
    RowSpan rows;
  };

  // Checks the records and builds the rows of the newest version of each order, leaving out
  // records behind `fence` (none when null).
  void prepare(const Batch& batch, const StoredPositions* fence, Outcome& outcome, WriteStats& stats);
  // Of the records read again after a rewind (StoredPositions::reread), the order_uids whose
  // stored version came from a later offset of the same partition, into newer_stored_; true
  // if there are any.
  bool find_newer_stored(PgConnection& connection, const Batch& batch);
  // BEGIN, lock the stored positions, and prepare again if some records are behind them.
  void begin(PgConnection& connection, const Batch& batch, Outcome& outcome, WriteStats& stats);
  void write_all(PgConnection& connection, const Batch& batch, Outcome& outcome, WriteStats& stats);
  void write_one_by_one(PgConnection& connection, const Batch& batch, Outcome& outcome, WriteStats& stats);
  // The newest version was refused: stores the next older one of the batch that the server
  // takes (one savepoint each), rejecting those it refuses too.
  void store_older_version(PgConnection& connection, const Batch& batch, const Pending& refused, Outcome& outcome,
                           WriteStats& stats);
  // One order in its own savepoint; false (and a rejection) when the server refuses it.
  bool write_isolated(PgConnection& connection, std::size_t index, const std::string& uid, const RowSpan& rows,
                      Outcome& outcome, WriteStats& stats);
  void copy_rows(PgConnection& connection, const RowSpan* only);
  // Before COMMIT: deletes the dead letters of the replayed records stored (stored_), when
  // they live in this database; returns how many went.
  std::size_t retire_dead_letters(PgConnection& connection, const Batch& batch);
  // Before COMMIT: stores the letters of the records `rejected` holds, in this transaction when
  // they live in this database (letter_limit_ > 0), else through the store they live in;
  // returns how many (0: left to the runtime). Throws PgError (transient) when that store
  // cannot take them now.
  std::size_t store_letters(PgConnection& connection, const Batch& batch, const Outcome& rejected);
  // Before COMMIT: NOTIFY the feed channel with what this transaction stored and advanced.
  void announce(PgConnection& connection, const std::vector<Position>& advanced);

  struct Stored {
    std::size_t index;       // in batch.records
    const std::string* uid;  // a Pending's uid (pending_ is not resized while writing)
    std::int64_t version;
  };

  orders::OrderChecker checker_;
  OrderRows rows_;
  std::vector<Pending> pending_;
  // Older versions of an order in the same batch, newest first (rare: only filled then).
  std::unordered_map<std::string, std::vector<std::size_t>> superseded_;
  StoredPositions fence_;
  std::unordered_set<std::string> newer_stored_;  // of the current attempt (find_newer_stored)
  std::vector<Stored> stored_;                    // of the current attempt's transaction
  std::string feed_channel_;
  std::string location_;
  // Of the current write: > 0 when letters are stored in its transaction (the dead-letter
  // store's payload limit), and the stage name they carry.
  std::size_t letter_limit_ = 0;
  DeadLetterStore* letters_elsewhere_ = nullptr;
  std::string letter_stage_;
  std::string notify_sql_;  // reused buffer
};

}  // namespace sluice::pg
