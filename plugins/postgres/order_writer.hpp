// Writes one batch of orders and its source positions in one transaction.
//
// Fast path: DELETE the batch's order_uids (children go by cascade), COPY the four tables,
// upsert the positions, COMMIT: close to the speed of a plain COPY, and "the order and its
// children replaced" by construction. If the server refuses a value (a constraint, a date it
// cannot represent), the transaction is rolled back and replayed one order per savepoint,
// so only the refused orders are rejected and the rest of the batch commits.
#pragma once

#include <string>
#include <vector>

#include "order_check.hpp"
#include "order_rows.hpp"
#include "pg_connection.hpp"
#include "sluice/record.hpp"

namespace sluice::pg {

struct WriteStats {
  std::size_t written = 0;     // orders stored
  std::size_t refused = 0;     // rejected by the database
  std::size_t invalid = 0;     // rejected by the sink's own order check
  bool isolated = false;       // the slow path ran
};

class OrderWriter {
 public:
  OrderWriter();

  // Throws PgError for connection, transient and fatal failures (the transaction is rolled
  // back: nothing was kept). Data failures become rejections in `outcome`.
  WriteStats write(PgConnection& connection, const Batch& batch, Outcome& outcome);

 private:
  struct Pending {
    std::size_t index;     // in batch.records
    std::string uid;
    RowSpan rows;
  };

  void prepare(const Batch& batch, Outcome& outcome, WriteStats& stats);
  void write_all(PgConnection& connection, const Batch& batch);
  void write_one_by_one(PgConnection& connection, const Batch& batch, Outcome& outcome,
                        WriteStats& stats);
  void copy_rows(PgConnection& connection, const RowSpan* only);
  static void write_positions(PgConnection& connection, const std::vector<Position>& positions);

  orders::OrderChecker checker_;
  OrderRows rows_;
  std::vector<Pending> pending_;
};

}  // namespace sluice::pg
