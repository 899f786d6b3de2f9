// Holds `LOCK TABLE <table> IN <mode> MODE` from a psql session of its own (EXCLUSIVE, the
// default, lets reads pass; ACCESS EXCLUSIVE stops them too), so the pipeline's next batch transaction stops inside
// itself at its first touch of that table: a fault injected then (kill -9, SIGSTOP, a database stop) lands inside an
// open write transaction for sure, instead of at a random moment that is usually between batches. (Was crash_test.cpp's
// OffsetsLock; now for any table, and tolerant of the database going away.)
#pragma once

#include <string>

#include "support/postgres_cluster.hpp"
#include "support/process.hpp"

namespace sluice::test {

class TableLock {
 public:
  TableLock(PostgresCluster& db, std::string table, const std::string& mode = "EXCLUSIVE")
      : db_(db),
        table_(std::move(table)),
        psql_(
            {"/usr/lib/postgresql/15/bin/psql", "-X", "-q", "-h", "127.0.0.1", "-p", std::to_string(db.port()), "-U",
             "postgres", "-d", db.database()},
            {.env = {{"PGAPPNAME", "reliability-locker"}},
             .cwd = {},
             .stdin_text = "BEGIN; LOCK TABLE " + table_ + " IN " + mode + " MODE; SELECT pg_sleep(300); COMMIT;\n"}) {}
  ~TableLock() { release(); }
  TableLock(const TableLock&) = delete;
  TableLock& operator=(const TableLock&) = delete;

  // Waits until the lock is granted.
  bool held() {
    return wait_until(
        [&] {
          return count(
                     "pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = "
                     "'reliability-locker' AND l.relation = '" +
                     table_ + "'::regclass AND l.granted") == 1;
        },
        20s, 50ms);
  }
  // Waits until `n` pipeline sessions wait for a lock (inside their batch transaction).
  bool writers_blocked(int n, std::chrono::milliseconds timeout) {
    return wait_until(
        [&] {
          return count(
                     "pg_stat_activity WHERE application_name = 'sluice' AND "
                     "wait_event_type = 'Lock'") >= n;
        },
        timeout, 20ms);
  }
  // Ends the locking session (if the database still answers) and its psql.
  void release() {
    if (!psql_.running()) return;
    try {
      db_.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
          "'reliability-locker'");
    } catch (const std::exception&) {
      // The database is down: psql loses its session and exits by itself.
    }
    if (!psql_.wait(10s)) psql_.kill();
  }

 private:
  long count(const std::string& from_where) {
    try {
      return std::stol(db_.scalar("SELECT count(*) FROM " + from_where));
    } catch (const std::exception&) {
      return -1;
    }
  }

  PostgresCluster& db_;
  std::string table_;
  Process psql_;
};

}  // namespace sluice::test
