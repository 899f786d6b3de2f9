// A few connections for lookups (get, positions, recent) from any thread, apart from the
// writer's connection so a lookup never waits behind a batch transaction. When the
// database is down, callers learn it at once instead of each waiting on a connect timeout.
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
  PgReadPool(std::string connect_string, std::size_t size);

  // Runs `work` on a connected connection. Throws PgError; a connection failure also puts
  // the pool in a short back-off during which calls fail fast with Failure::connection.
  void run(const std::function<void(PgConnection&)>& work);
  void close();

 private:
  std::unique_ptr<PgConnection> acquire();
  void release(std::unique_ptr<PgConnection> connection);

  const std::string connect_string_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t out_ = 0;  // connections handed out
  std::chrono::steady_clock::time_point down_until_{};
  std::string last_error_;
};

}  // namespace sluice::pg
