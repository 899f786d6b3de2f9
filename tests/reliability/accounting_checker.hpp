// Watches the database from a thread of its own for as long as it lives, and records every moment
// a stored position stands past a record that is neither stored nor dead-lettered (README.md,
// "Delivery guarantees", Bad input: a letter is as durable as the position past it).
//
// For each (stream, partition) in `offsets`, every offset below next_offset must be an order's
// source offset in `orders` or a letter's in `dead_letters`. Positions and orders are read in one
// statement (one snapshot); the letters after it, possibly in another database: a letter kept
// before its position committed is visible by then. It assumes what the test that uses it
// publishes: one distinct order per message, from offset 0, no message sent twice, no letter
// deleted. Sampling every 100 ms sees states a later write repairs.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::test {

class AccountingChecker {
 public:
  struct Options {
    std::string dsn = {};           // libpq connection string: offsets and orders
    std::string letters_dsn = {};   // where dead_letters is; empty: `dsn`
    std::string stream = "orders";  // offsets.stream to watch
    std::chrono::milliseconds period{100};
  };
  explicit AccountingChecker(Options options);
  ~AccountingChecker();
  AccountingChecker(const AccountingChecker&) = delete;
  AccountingChecker& operator=(const AccountingChecker&) = delete;

  // Ends the sampling thread (idempotent); the figures below are final afterwards.
  void stop();
  // One line per violation seen (the first 12), e.g. "orders[1] at sample 40: next_offset 57
  // but 56 of its records stored or dead-lettered".
  std::vector<std::string> violations() const;
  std::size_t violation_count() const;
  long samples() const { return samples_; }
  std::string summary() const;

 private:
  void loop();
  bool sample(void* connection, void* letters);  // PGconn*
  void record(std::string what);

  Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<long> samples_{0};
  std::atomic<long> failed_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> violations_;
  std::size_t violation_count_ = 0;
  std::thread thread_;
};

}  // namespace sluice::test
