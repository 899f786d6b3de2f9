// A few connections for lookups (get, positions, recent) from any thread, apart from the
// writer's connection so a lookup never waits behind a batch transaction. When the
// database is down, callers learn it at once instead of each waiting on a connect timeout.
//
// Under database pressure (a table locked, a server too busy to answer) a lookup is bounded
// by `timeout`: it waits at most that long for a free connection, and its statement is
// cancelled by the server past it (statement_timeout, set on these sessions only; shortened
// for one statement when the wait for a connection already used part of the budget). Both
// are transient failures: they neither start the "database down" back-off nor close a
// healthy connection. (A fresh connection's own connect is bounded by the DSN's
// connect_timeout instead.)
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pg_connection.hpp"

namespace sluice::pg {

class PgReadPool {
 public:
  PgReadPool(std::string connect_string, std::size_t size, std::chrono::milliseconds timeout);

  // Runs `work` on a connected connection. Throws PgError; a connection failure also puts
  // the pool in a short back-off during which calls fail fast with Failure::connection; no
  // free connection within the timeout is Failure::transient.
  void run(const std::function<void(PgConnection&)>& work);
  void close();
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  std::unique_ptr<PgConnection> acquire(std::chrono::steady_clock::time_point deadline);
  void release(std::unique_ptr<PgConnection> connection);

  const std::string connect_string_;
  const std::size_t size_;
  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t out_ = 0;  // connections handed out
  std::chrono::steady_clock::time_point down_until_{};
  std::string last_error_;
};

}  // namespace sluice::pg
