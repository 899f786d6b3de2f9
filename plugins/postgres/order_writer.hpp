// Writes one batch of orders and its source positions in one transaction.
//
// Fast path: lock the batch's stored positions (fencing: records below them are skipped),
// DELETE the batch's order_uids (children go by cascade), COPY the four tables, move the
// positions forward, COMMIT: close to the speed of a plain COPY, and "the order and its
// children replaced" by construction. If the server refuses a value (a constraint, a date it
// cannot represent), the transaction is rolled back and replayed one order per savepoint,
// so only the refused orders are rejected and the rest of the batch commits; when the
// newest version of an order in the batch is refused, the next older one is stored instead.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "order_check.hpp"
#include "order_rows.hpp"
#include "pg_connection.hpp"
#include "sluice/record.hpp"
#include "stored_positions.hpp"

namespace sluice::pg {

struct WriteStats {
  std::size_t written = 0;     // orders stored
  std::size_t refused = 0;     // rejected by the database
  std::size_t invalid = 0;     // rejected by the sink's own order check
  std::size_t fenced = 0;      // below the stored position: skipped
};

class OrderWriter {
 public:
  OrderWriter();

  // Throws PgError for connection, transient and fatal failures (the transaction is rolled
  // back: nothing was kept). Data failures become rejections in `outcome`, fenced partitions
  // Outcome::behind entries.
  WriteStats write(PgConnection& connection, const Batch& batch, Outcome& outcome);

 private:
  struct Pending {
    std::size_t index;     // in batch.records
    std::string uid;
    RowSpan rows;
  };

  // Checks the records and builds the rows of the newest version of each order, leaving out
  // records behind `fence` (none when null).
  void prepare(const Batch& batch, const StoredPositions* fence, Outcome& outcome, WriteStats& stats);
  // BEGIN, lock the stored positions, and prepare again if some records are behind them.
  void begin(PgConnection& connection, const Batch& batch, Outcome& outcome, WriteStats& stats);
  void write_all(PgConnection& connection, const Batch& batch, Outcome& outcome, WriteStats& stats);
  void write_one_by_one(PgConnection& connection, const Batch& batch, Outcome& outcome,
                        WriteStats& stats);
  // The newest version was refused: stores the next older one of the batch that the server
  // takes (one savepoint each), rejecting those it refuses too.
  void store_older_version(PgConnection& connection, const Batch& batch, const Pending& refused,
                           Outcome& outcome, WriteStats& stats);
  // One order in its own savepoint; false (and a rejection) when the server refuses it.
  bool write_isolated(PgConnection& connection, std::size_t index, const std::string& uid,
                      const RowSpan& rows, Outcome& outcome, WriteStats& stats);
  void copy_rows(PgConnection& connection, const RowSpan* only);

  orders::OrderChecker checker_;
  OrderRows rows_;
  std::vector<Pending> pending_;
  // Older versions of an order in the same batch, newest first (rare: only filled then).
  std::unordered_map<std::string, std::vector<std::size_t>> superseded_;
  StoredPositions fence_;
};

}  // namespace sluice::pg
