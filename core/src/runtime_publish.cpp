// What the runtime publishes to its operator side (operator/operator_side.hpp): the view of
// the running plan and its dead-letter store, after start and every reload; the source lag
// the status shows; the CLI's reload trigger; and the replay batches it takes back at a batch
// boundary. README.md, "Architecture", The operator side.
#include "runtime.hpp"

namespace sluice {

// Source thread (start, and after every reload): the plan and instances change only there.
void Runtime::publish_status() {
  PlanView view{plan_->spec.name, plan_->spec.file, config_hash_, {}};
  for (Role role : kRoles) {
    for (auto* i : of(role)) {
      const LoadedPlugin& p = *i->planned().plugin;
      view.stages.push_back({role, i->id(), i->plugin_name(), p.path.string(),
                             p.descriptor->version ? p.descriptor->version : "", p.generation});
    }
  }
  operator_side_.publish_plan(std::move(view));
  auto dead_letter = of(Role::dead_letter);
  operator_side_.set_dead_letter_store(dead_letter.empty() ? nullptr
                                                           : dead_letter.front()->as<Sink>()->dead_letter_store());
}

// Any thread (an admin status): what the source reported (SourceHost::report_lag), if anything.
std::optional<std::int64_t> Runtime::source_lag(const PartitionKey& key) const { return shared_.lags.lag(key); }

void Runtime::set_reload_trigger(std::function<void()> trigger) {
  operator_side_.set_reload_trigger(std::move(trigger));
}

// Source thread, at a batch boundary.
void Runtime::dispatch_replays() {
  for (auto& [batch, done] : operator_side_.take_replays()) pipeline_->dispatch(std::move(batch), std::move(done));
}

}  // namespace sluice
