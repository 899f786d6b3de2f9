// The Admin (sluice/admin.hpp) API plugins serve, over the operator side's state
// (operator_side.hpp): status from the plan the source thread published and the injected
// inputs; a reload runs the CLI's trigger and waits for its recorded outcome; dead letters
// through the running sink's store; a replay goes through the running stage pipeline as
// batches of its own (runtime_replay.cpp); taps at the published tap points.
#pragma once

#include "sluice/admin.hpp"
#include "sluice/metrics.hpp"

namespace sluice {

class OperatorSide;

class OperatorAdmin final : public Admin {
 public:
  // A replay request ends within `replay_deadline` (runtime_replay.cpp).
  OperatorAdmin(OperatorSide& side, std::chrono::milliseconds replay_deadline);

  nlohmann::json status() override;
  ReloadReport reload(std::chrono::milliseconds wait) override;
  DeadLetterStore* dead_letters() override;
  Status replay(const ReplayOptions& options, ReplayReport& report) override;
  std::vector<std::string> tap_points() override;
  std::unique_ptr<Tap> tap(const std::string& stage, const TapLimits& limits, std::string& error) override;

 private:
  // replay() without the counting: pages of letters through the pipeline.
  Status replay_pages(const ReplayOptions& options, ReplayReport& report);

  OperatorSide& side_;
  const std::chrono::milliseconds replay_deadline_;
  // sluice_replay_records_total{outcome} (not for dry runs) and
  // sluice_dead_letters_retired_total: what replays did, for dashboards and alerts.
  Counter& replayed_;
  Counter& replay_failed_;
  Counter& replay_skipped_;
  Counter& retired_;
};

}  // namespace sluice
