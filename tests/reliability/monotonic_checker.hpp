// Watches the database from a thread of its own for as long as it lives, and records every moment
// something that must only grow went backwards (README.md, "Delivery guarantees", Fencing, and
// "Coherent reads across instances"):
//
// - a stored position: offsets.next_offset of a (stream, partition);
// - optionally, a stored order: its version marker (DefaultPipeline::order_version_sql()) or,
//   at the same version, the source offset it was stored from (a record of the same order,
//   same partition, read again from an older position and written over a newer one).
//
// A final check alone would miss a regression that a later write repaired; sampling every
// few tens of milliseconds sees the intermediate states every committed transaction leaves.
// It has its own libpq connection (a psql process per sample would cost more than the sample),
// and takes each sample in one REPEATABLE READ transaction, so positions and orders come from
// the same snapshot. While the database is down it counts failed samples and reconnects.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::test {

class MonotonicChecker {
 public:
  struct Options {
    std::string dsn = {};           // libpq connection string
    std::string stream = "orders";  // offsets.stream to watch
    bool orders = false;            // also watch every stored order
    std::chrono::milliseconds period{25};
  };
  explicit MonotonicChecker(Options options);
  ~MonotonicChecker();
  MonotonicChecker(const MonotonicChecker&) = delete;
  MonotonicChecker& operator=(const MonotonicChecker&) = delete;

  // Ends the sampling thread (idempotent); the figures below are final afterwards.
  void stop();
  // One line per regression seen (the first 12), e.g.
  // "offsets orders[3]: next_offset 1200 -> 950 at sample 412".
  std::vector<std::string> regressions() const;
  std::size_t regression_count() const;
  long samples() const { return samples_; }              // taken
  long failed_samples() const { return failed_; }        // database down or schema missing
  long order_updates() const { return order_updates_; }  // version/offset changes seen
  std::string summary() const;

 private:
  void loop();
  bool sample(void* connection);  // PGconn*
  void record(std::string what);

  struct OrderState {
    long long version = 0;
    int partition = -1;
    long long offset = -1;
  };

  Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<long> samples_{0};
  std::atomic<long> failed_{0};
  std::atomic<long> order_updates_{0};
  std::map<int, long long> positions_;
  std::map<std::string, OrderState> orders_;
  mutable std::mutex mutex_;
  std::vector<std::string> regressions_;
  std::size_t regression_count_ = 0;
  std::thread thread_;
};

}  // namespace sluice::test
