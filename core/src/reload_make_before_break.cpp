// Step 4 of a live reload, after the sinks (reload_steps.hpp; README.md, "Live reload", Make
// before break): a changed source is switched and the new APIs start while everything can
// still be rolled back, and what a roll back or the switch does with the two sources.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "reload_steps.hpp"

namespace sluice {

// Make before break: a new API binds and serves (the same address too: the listeners share it,
// plugins/common/http/listener_handover.hpp) while the one it replaces still runs; the old one
// stops at the switch. One that cannot start rolls the reload back, the old APIs untouched.
bool ReloadSteps::start_new_apis() {
  for (const PlannedStage* s : next_->of(Role::api)) {
    if (keep_.count(s)) continue;
    PluginInstance& api = *fresh_[s];
    Status status = runtime_.guarded(api.id(), [&] { return api.as<Api>()->start(); });
    if (!status.is_ok()) {
      failure_ = "api '" + api.id() + "' could not start: " + status.message();
      return false;
    }
    new_apis_.push_back(&api);
  }
  return true;
}

namespace {
bool opens_beside(const PlannedStage& stage) {
  return stage.plugin && (stage.plugin->descriptor->flags & sluice_flag_opens_beside);
}
}  // namespace

// A changed source, before the new APIs start (so that an API that fails never took
// connections over only to drop them). When both plugins allow it (sluice_flag_opens_beside: a
// file), the new one opens beside the old one, from the stored positions (the drain committed
// the old one's last batch), and the old one closes only at the switch: a roll back finds it
// untouched. Otherwise (two consumers of one Kafka group with the same static member id
// cannot both be open) the old one closes first, and a roll back opens its config again, from
// the same stored positions. A new source that does not open within kReloadOpenLimit rolls
// the reload back.
bool ReloadSteps::switch_source() {
  if (source_kept_ || !runtime_.source_opened_) return true;
  PluginInstance& old_source = runtime_.source();
  const PlannedStage* next_stage = next_->of(Role::source).front();
  const bool beside = opens_beside(old_source.planned()) && opens_beside(*next_stage);
  if (!beside) {
    close_running_source();
    old_source_closed_ = true;
  }
  SharedState& shared = runtime_.shared_;
  // The new source resumes from the positions the new plan keeps them in.
  shared.positions = nullptr;
  for (const PlannedStage* s : next_->of(Role::sink)) {
    if ((shared.positions = instance(s)->as<Sink>()->position_store())) break;
  }
  PluginInstance& src = *instance(next_stage);
  log_.info("reload #{}: opening source '{}' ({}){}", n_, src.id(), src.origin(),
            beside ? " beside the running one" : "");
  new_source_open_ = open_within_limit(src.id(), [&src] { return src.as<Source>()->open(); });
  runtime_.set_position_store();  // the running plan's, until the switch
  if (!new_source_open_) failure_ = "source '" + src.id() + "' could not open";
  return new_source_open_;
}

// Roll back: the new source (if it opened) closes, and the previous one runs on; opened again
// when it had to close first.
void ReloadSteps::restore_previous_source() {
  if (new_source_open_) {
    PluginInstance& src = *instance(next_->of(Role::source).front());
    runtime_.guarded(src.id(), [&] {
      src.as<Source>()->close();
      return Status::ok();
    });
    new_source_open_ = false;
  }
  if (old_source_closed_) reopen_previous_source();
}

// Switch: the old source closes now if the new one opened beside it.
void ReloadSteps::retire_previous_source() {
  if (source_kept_ || !new_source_open_) return;
  if (!old_source_closed_) close_running_source();
  runtime_.source_opened_ = true;  // the new one, which takes the old one's place
}

void ReloadSteps::close_running_source() {
  PluginInstance& source = runtime_.source();
  runtime_.shared_.source_ends.retract();  // APIs keep running and may be asking it
  runtime_.guarded(source.id(), [&] {
    source.as<Source>()->close();
    return Status::ok();
  });
  runtime_.source_opened_ = false;
}

// The previous source's config, as a new object (the closed one goes), opened from the stored
// positions as at a start; it opened before, so it is retried for as long as it takes.
void ReloadSteps::reopen_previous_source() {
  auto& instances = runtime_.instances_;
  auto it =
      std::find_if(instances.begin(), instances.end(), [&](const auto& i) { return i.get() == &runtime_.source(); });
  *it = runtime_.create((*it)->planned());
  PluginInstance& src = **it;
  log_.info("reload #{}: opening the previous source '{}' again", n_, src.id());
  runtime_.source_opened_ = runtime_.open_with_retry(src.id(), [&src] { return src.as<Source>()->open(); });
  if (!runtime_.source_opened_) return;  // open_with_retry reported the failure: the pipeline stops
  runtime_.shared_.source_ends.publish(src.as<Source>());
  runtime_.shared_.health.set(stage_health(src.id()), true);
}

}  // namespace sluice
