#include "operator/operator_admin.hpp"

#include <algorithm>

#include "operator/operator_side.hpp"

namespace sluice {

namespace {

Counter& replay_outcome(Metrics& m, const char* outcome) {
  return m.counter("sluice_replay_records_total",
                   "Dead letters replayed through the pipeline, by outcome (replayed: stored by every "
                   "sink and retired; failed: refused again; skipped: payload kept only in part)",
                   {{"outcome", outcome}});
}

nlohmann::json positions_json(const std::map<PartitionKey, std::int64_t>& committed, const SourceLag& source_lag) {
  nlohmann::json positions = nlohmann::json::array();
  for (const auto& [key, offset] : committed) {
    nlohmann::json p{{"stream", key.stream}, {"partition", key.partition}, {"committed", offset}};
    // Where the source reports its lag per partition; other sources have none.
    auto lag = source_lag ? source_lag(key) : std::nullopt;
    p["lag"] = lag ? nlohmann::json(*lag) : nlohmann::json(nullptr);
    positions.push_back(std::move(p));
  }
  return positions;
}

}  // namespace

OperatorAdmin::OperatorAdmin(OperatorSide& side, std::chrono::milliseconds replay_deadline)
    : side_(side),
      replay_deadline_(replay_deadline),
      replayed_(replay_outcome(side.inputs().metrics, "replayed")),
      replay_failed_(replay_outcome(side.inputs().metrics, "failed")),
      replay_skipped_(replay_outcome(side.inputs().metrics, "skipped")),
      retired_(side.inputs().metrics.counter("sluice_dead_letters_retired_total",
                                             "Dead letters retired by replays (stored by every sink, "
                                             "then deleted from the dead letters)")) {}

nlohmann::json OperatorAdmin::status() {
  const OperatorInputs& in = side_.inputs();
  nlohmann::json out = side_.plan_json();
  out["last_reload"] = side_.last_reload().to_json();
  out["positions"] = positions_json(side_.committed(), in.source_lag);
  // Names only: the reasons can hold hosts, users and server messages (they are in the log).
  nlohmann::json not_ready = nlohmann::json::array();
  for (const auto& [name, state] : in.health.snapshot()) {
    if (!state.first) not_ready.push_back(name);
  }
  out["ready"] = not_ready.empty();
  out["not_ready"] = std::move(not_ready);
  out["stopping"] = in.stopping ? in.stopping() : false;
  out["records"] = {{"consumed", in.metrics.counter("sluice_records_consumed_total", "").value()},
                    {"stored", in.metrics.counter("sluice_records_stored_total", "").value()}};
  return out;
}

ReloadReport OperatorAdmin::reload(std::chrono::milliseconds wait) {
  auto trigger = side_.reload_trigger();
  if (!trigger) return {"unavailable", 0, {"this process was not started from a pipeline file"}};
  const int before = side_.inputs().reloads_so_far();
  trigger();
  auto report = side_.last_reload().wait_past(before, wait);
  if (!report)
    return {"timeout", before + 1, {"not applied within " + std::to_string(wait.count()) + " ms; it may still be"}};
  if (report->result == "released") return {"timeout", before + 1, report->messages};
  return *report;
}

DeadLetterStore* OperatorAdmin::dead_letters() {
  return side_.dead_letters().available() ? &side_.dead_letters() : nullptr;
}

std::vector<std::string> OperatorAdmin::tap_points() { return side_.tap_points(); }

std::unique_ptr<Tap> OperatorAdmin::tap(const std::string& stage, const TapLimits& limits, std::string& error) {
  auto points = tap_points();
  if (std::find(points.begin(), points.end(), stage) == points.end()) {
    error = "no stage '" + stage + "' to tap";
    return nullptr;
  }
  return side_.tap_hub().open(stage, limits, error);
}

}  // namespace sluice
