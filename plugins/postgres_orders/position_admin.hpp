// `sluice positions` in PostgreSQL (README.md, "Operating Sluice", Reprocessing): reading the
// `offsets` table, moving its rows (backwards too) in one transaction, and the advisory locks
// that keep an operator from moving what a running instance reads.
//
// Fencing: a running kafka source holds a SHARED session advisory lock per partition it owns
// (PositionHolds, on a connection of its own: a process that dies lets go with it); shared,
// so two members of a group never wait for each other during a handover. move_positions()
// takes the same keys EXCLUSIVELY with pg_try_advisory_xact_lock in its transaction: any
// holder makes it refuse, naming the partitions, and change nothing. A source assigned a
// partition while a move runs waits for the move's commit, then loads the moved position.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "pg_connection.hpp"
#include "sluice/record.hpp"

namespace sluice::pg {

// The advisory lock key pair of (stream, partition), as SQL over columns or parameters
// named `stream_sql` and `partition_sql`.
std::string position_lock_key(const std::string& stream_sql, const std::string& partition_sql);

class PositionHolds {
 public:
  explicit PositionHolds(std::string connect_string);
  // Adds `partitions` to those held and takes their shared locks (waits at most a few seconds
  // for a move in progress). On a new connection, or after a failure closed it, takes every
  // held one again; asked for nothing new, checks that the session holding them is still
  // there (a database restart ends it silently) and takes them again if not. Throws PgError (the connection is closed
  // then: while it is, nothing is held, until the next call succeeds).
  void hold(const std::vector<PartitionKey>& partitions);
  void release(const std::vector<PartitionKey>& partitions);
  // Lets go of everything (closes the connection).
  void close();

 private:
  void lock(const std::vector<PartitionKey>& partitions);

  std::mutex mutex_;
  PgConnection connection_;
  std::set<PartitionKey> held_;  // what the source owns: locked whenever connection_ is open
};

// The stored positions of `stream`, in partition order.
std::vector<Position> list_positions(PgConnection& connection, const std::string& stream);
// Sets the stored positions to `positions` in one transaction, unless a running source holds
// one: then returns the held ones and changes nothing. Throws PgError.
std::vector<PartitionKey> move_positions(PgConnection& connection, const std::vector<Position>& positions);

}  // namespace sluice::pg
