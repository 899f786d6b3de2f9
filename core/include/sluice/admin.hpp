// What the runtime offers an API plugin's operator endpoints (ApiHost::admin()): the running
// pipeline's status, a reload, the dead letters and their replay through the current
// transforms and sinks, and a live tap of the records passing a stage.
#pragma once

#include <boost/config.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sluice/dead_letters.hpp"
#include "sluice/record.hpp"
#include "sluice/status.hpp"

namespace sluice {

struct ReloadReport {
  // applied | rejected | rolled_back; unavailable: this process cannot reload (it was not
  // started from a pipeline file); timeout: not taken within the wait (it may still apply).
  std::string result;
  int number = 0;                     // the reload's number in this process (the log's "reload #N")
  std::vector<std::string> messages;  // what changed, or why it was refused (file:line:col)
};

struct ReplayOptions {
  DeadLetterQuery query;            // which letters; query.limit 0 = every match
  bool dry_run = false;             // only count and list what would be replayed
  std::size_t batch_records = 500;  // letters per batch through the pipeline
};

struct ReplayReport {
  std::size_t matched = 0;   // letters selected
  std::size_t replayed = 0;  // stored by every sink, and retired from the dead letters
  std::size_t failed = 0;    // refused again: still dead letters, attempts + 1, the new reason
  std::size_t skipped = 0;   // not replayable: only part of the payload was kept
  // The ids of each kind, at most max_listed_ids each (the counts above are complete).
  static constexpr std::size_t max_listed_ids = 1000;
  std::vector<std::int64_t> replayed_ids, failed_ids, skipped_ids;
  std::string error;  // why the replay stopped early ("" = it went through every match)
};

struct TapLimits {
  std::size_t limit = 100;                        // records, then the tap ends
  std::size_t max_per_second = 200;               // more are skipped (counted in dropped())
  std::size_t max_value_bytes = 4096;             // longer values are cut (TapRecord::value_bytes)
  std::chrono::milliseconds max_duration{30000};  // then the tap ends, whatever it saw
};

struct TapRecord {
  std::string stage;                // the tap point: "source", a transform or sink id, or "dead_letter"
  std::int64_t time_ms = 0;         // Unix time, milliseconds, when it passed
  Record record;                    // value cut to max_value_bytes; rejection set at "dead_letter"
  std::size_t value_bytes = 0;      // the value's size before the cut
  std::int64_t dead_letter_id = 0;  // a replayed record: the letter it replays (replay.hpp); else 0
};

// A running tap: records are copied to it as they pass its stage, until it ends.
class BOOST_SYMBOL_VISIBLE Tap {
 public:
  virtual ~Tap();  // detaches from the stage
  // The next record (true), or false at `deadline` or once the tap has ended.
  virtual bool next(TapRecord& out, std::chrono::steady_clock::time_point deadline) = 0;
  // The limit was reached or max_duration passed (records still queued are returned first).
  virtual bool ended() const = 0;
  // Records skipped because of the rate limit.
  virtual std::size_t dropped() const = 0;
};

// Thread-safe; every method may block (I/O, waiting for the pipeline): call from API threads.
class BOOST_SYMBOL_VISIBLE Admin {
 public:
  virtual ~Admin();
  // Pipeline name, config hash, stages (plugin file, version), positions committed per
  // partition with lag where the source reports it, readiness, the last reload.
  virtual nlohmann::json status() = 0;
  // Reads the pipeline file again and applies it as SIGHUP would; waits up to `wait` for the
  // outcome.
  virtual ReloadReport reload(std::chrono::milliseconds wait) = 0;
  // The dead-letter store, or nullptr when the pipeline's dead-letter sink cannot list.
  virtual DeadLetterStore* dead_letters() = 0;
  // Sends the selected letters' raw records through the current transforms and sinks, batch
  // by batch, and retires each one every sink stored. Blocks until done or stopped.
  virtual Status replay(const ReplayOptions& options, ReplayReport& report) = 0;
  // The stage names a tap may follow, in pipeline order.
  virtual std::vector<std::string> tap_points() = 0;
  // nullptr (with `error` set) for an unknown stage or too many taps at once.
  virtual std::unique_ptr<Tap> tap(const std::string& stage, const TapLimits& limits, std::string& error) = 0;
};

}  // namespace sluice
