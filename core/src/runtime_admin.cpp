#include "runtime_admin.hpp"

#include <algorithm>

#include "runtime.hpp"

namespace sluice {

namespace {

const char* role_label(Role role) {
  switch (role) {
    case Role::source: return "source";
    case Role::transform: return "transform";
    case Role::sink: return "sink";
    case Role::dead_letter: return "dead_letter";
    case Role::api: return "api";
  }
  return "?";
}

}  // namespace

// Source thread (start, and after every reload).
void Runtime::publish_status() {
  nlohmann::json stages = nlohmann::json::array();
  std::vector<std::string> points{"source"};
  for (Role role : kRoles) {
    for (auto* i : of(role)) {
      const LoadedPlugin& p = *i->planned().plugin;
      stages.push_back({{"role", role_label(role)},
                        {"id", i->id()},
                        {"plugin", i->plugin_name()},
                        {"file", p.path.string()},
                        {"version", p.descriptor->version ? p.descriptor->version : ""},
                        {"generation", p.generation}});
      if (role == Role::transform || role == Role::sink) points.push_back(i->id());
    }
  }
  points.push_back("dead_letter");
  auto dead_letter = of(Role::dead_letter);
  std::lock_guard lock(status_mutex_);
  status_ = {{"pipeline", plan_->spec.name},
             {"file", plan_->spec.file},
             {"config_hash", config_hash_},
             {"stages", std::move(stages)}};
  tap_points_ = std::move(points);
  dead_letters_ = dead_letter.empty() ? nullptr : dead_letter.front()->as<Sink>()->dead_letter_store();
}

void Runtime::set_reload_trigger(std::function<void()> trigger) { reload_trigger_ = std::move(trigger); }

// Source thread, at a batch boundary.
void Runtime::dispatch_replays() {
  for (auto& [batch, done] : replays_.take()) pipeline_->dispatch(std::move(batch), std::move(done));
}

namespace {

Counter& replay_outcome(Metrics& m, const char* outcome) {
  return m.counter("sluice_replay_records_total",
                   "Dead letters replayed through the pipeline, by outcome (replayed: stored by every "
                   "sink and retired; failed: refused again; skipped: payload kept only in part)",
                   {{"outcome", outcome}});
}

}  // namespace

RuntimeAdmin::RuntimeAdmin(Runtime& runtime, std::chrono::milliseconds replay_deadline)
    : runtime_(runtime),
      replay_deadline_(replay_deadline),
      dead_letters_(runtime),
      replayed_(replay_outcome(runtime.shared_.metrics, "replayed")),
      replay_failed_(replay_outcome(runtime.shared_.metrics, "failed")),
      replay_skipped_(replay_outcome(runtime.shared_.metrics, "skipped")),
      retired_(runtime.shared_.metrics.counter("sluice_dead_letters_retired_total",
                                               "Dead letters retired by replays (stored by every sink, "
                                               "then deleted from the dead letters)")) {}

nlohmann::json RuntimeAdmin::status() {
  Runtime& r = runtime_;
  nlohmann::json out;
  std::map<PartitionKey, std::int64_t> committed;
  {
    std::lock_guard lock(r.status_mutex_);
    out = r.status_;
    committed = r.committed_;
    if (r.last_reload_.number > 0) {
      out["last_reload"] = {{"number", r.last_reload_.number},
                            {"result", r.last_reload_.result},
                            {"at_ms", r.last_reload_ms_},
                            {"messages", r.last_reload_.messages}};
    } else {
      out["last_reload"] = nullptr;
    }
  }
  nlohmann::json positions = nlohmann::json::array();
  for (const auto& [key, offset] : committed) {
    nlohmann::json p{{"stream", key.stream}, {"partition", key.partition}, {"committed", offset}};
    // The kafka source reports its lag per partition; other sources have none.
    auto lag = r.shared_.lags.lag(key);
    p["lag"] = lag ? nlohmann::json(static_cast<std::int64_t>(*lag)) : nlohmann::json(nullptr);
    positions.push_back(std::move(p));
  }
  out["positions"] = std::move(positions);
  // Names only: the reasons can hold hosts, users and server messages (they are in the log).
  nlohmann::json not_ready = nlohmann::json::array();
  for (const auto& [name, state] : r.shared_.health.snapshot()) {
    if (!state.first) not_ready.push_back(name);
  }
  out["ready"] = not_ready.empty();
  out["not_ready"] = std::move(not_ready);
  out["stopping"] = r.shared_.stopping.load();
  auto& m = r.shared_.metrics;
  out["records"] = {{"consumed", m.counter("sluice_records_consumed_total", "").value()},
                    {"stored", m.counter("sluice_records_stored_total", "").value()}};
  return out;
}

ReloadReport RuntimeAdmin::reload(std::chrono::milliseconds wait) {
  Runtime& r = runtime_;
  if (!r.reload_trigger_) return {"unavailable", 0, {"this process was not started from a pipeline file"}};
  int before;
  {
    std::lock_guard lock(r.mutex_);
    before = r.reloads_;
  }
  r.reload_trigger_();
  std::unique_lock lock(r.status_mutex_);
  const bool recorded = r.reload_recorded_.wait_for(lock, wait, [&] { return r.last_reload_.number > before; });
  if (!recorded) return {"timeout", before + 1, {"not applied within " + std::to_string(wait.count()) + " ms; it may still be"}};
  return r.last_reload_;
}

DeadLetterStore* RuntimeAdmin::dead_letters() {
  std::lock_guard lock(runtime_.status_mutex_);
  return runtime_.dead_letters_ ? &dead_letters_ : nullptr;
}

template <typename Call>
Status CurrentDeadLetters::with_store(Call&& call) const {
  std::shared_lock use(runtime_.dead_letters_use_);
  DeadLetterStore* store;
  {
    std::lock_guard lock(runtime_.status_mutex_);
    store = runtime_.dead_letters_;
  }
  if (!store) return Status::retry("the dead-letter sink is being replaced");
  try {
    return call(*store);
  } catch (const std::exception& e) {
    return Status::fatal(std::string("dead-letter store threw an exception: ") + e.what());
  }
}

Status CurrentDeadLetters::list(const DeadLetterQuery& query, bool with_payload, std::vector<DeadLetter>& out) {
  return with_store([&](DeadLetterStore& s) { return s.list(query, with_payload, out); });
}
Status CurrentDeadLetters::get(std::int64_t id, DeadLetter& out, bool& found) {
  return with_store([&](DeadLetterStore& s) { return s.get(id, out, found); });
}
Status CurrentDeadLetters::reasons(std::vector<ReasonCount>& out) {
  return with_store([&](DeadLetterStore& s) { return s.reasons(out); });
}
Status CurrentDeadLetters::discard(const DeadLetterQuery& query, std::int64_t& discarded) {
  return with_store([&](DeadLetterStore& s) { return s.discard(query, discarded); });
}
Status CurrentDeadLetters::retire(const std::vector<std::int64_t>& ids) {
  return with_store([&](DeadLetterStore& s) { return s.retire(ids); });
}
std::string CurrentDeadLetters::location() const {
  std::string out;
  with_store([&](DeadLetterStore& s) {
    out = s.location();
    return Status::ok();
  });
  return out;
}

std::vector<std::string> RuntimeAdmin::tap_points() {
  std::lock_guard lock(runtime_.status_mutex_);
  return runtime_.tap_points_;
}

std::unique_ptr<Tap> RuntimeAdmin::tap(const std::string& stage, const TapLimits& limits, std::string& error) {
  auto points = tap_points();
  if (std::find(points.begin(), points.end(), stage) == points.end()) {
    error = "no stage '" + stage + "' to tap";
    return nullptr;
  }
  return runtime_.taps_.open(stage, limits, error);
}

}  // namespace sluice
