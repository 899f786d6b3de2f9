// Live taps (GET /admin/tap, `sluice tap`): copies of the records passing a stage, for an
// operator watching what flows. The stage pipeline offers every batch at each tap point;
// with no tap open that costs one atomic load. A tap takes at most its limit, at most
// max_per_second (the rest are counted as dropped, never queued), with values cut to
// max_value_bytes, and ends after max_duration: a forgotten tap can neither slow the
// pipeline down nor hold memory.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/admin.hpp"
#include "sluice/metrics.hpp"
#include "sluice/record.hpp"
#include "sluice/replay.hpp"

namespace sluice {

class TapHub {
 public:
  static constexpr std::size_t kMaxTaps = 8;

  TapHub();
  ~TapHub();
  TapHub(const TapHub&) = delete;
  TapHub& operator=(const TapHub&) = delete;
  // Keeps `gauge` (sluice_taps_open) equal to the number of open taps, until the hub goes.
  void count_open_in(Gauge& gauge);
  // A tap on `stage` (the caller checked the name); nullptr with `error` when kMaxTaps are open.
  std::unique_ptr<Tap> open(const std::string& stage, const TapLimits& limits, std::string& error);
  // Ends every open tap now (the process stops, or an API that may be streaming one does):
  // their readers return what is queued, then see the end.
  void end_all();
  // Stage threads: copies what open taps on `stage` still want.
  // `replay`: the batch's replay (its dead-letter ids, parallel to `records`), or null.
  void offer(std::string_view stage, const std::vector<Record>& records, const ReplayBatch* replay = nullptr) {
    if (state_->open.load(std::memory_order_relaxed) > 0) offer_slow(stage, records, replay);
  }

  struct TapState;
  struct State {
    std::mutex mutex;
    std::vector<std::shared_ptr<TapState>> taps;
    std::atomic<int> open{0};
    Gauge* open_gauge = nullptr;  // under mutex; null once the hub is gone

    // Under mutex, after `open` changed.
    void publish_open() {
      if (open_gauge) open_gauge->set(open.load());
    }
  };

 private:
  void offer_slow(std::string_view stage, const std::vector<Record>& records, const ReplayBatch* replay);
  // Shared with every tap, so a tap may outlive the hub (an API thread still holding it).
  std::shared_ptr<State> state_;
};

}  // namespace sluice
