#include "offline_stages.hpp"

namespace sluice {

OfflineStages::OfflineStages(const PipelinePlan& plan) {
  for (const PlannedStage* s : plan.of(Role::sink)) {
    if (!(s->plugin->descriptor->flags & sluice_flag_positions)) continue;
    sinks_.push_back(std::make_unique<PluginInstance>(*s, std::make_unique<HostImpl>(s->spec.id, shared_)));
    Sink* sink = sinks_.back()->as<Sink>();
    shared_.sinks[s->spec.id] = sink;
    if (!shared_.positions && (shared_.positions = sink->position_store())) positions_id_ = s->spec.id;
  }
  const PlannedStage& source = plan.source();
  source_ = std::make_unique<PluginInstance>(source, std::make_unique<HostImpl>(source.spec.id, shared_));
}

// The source goes first: it may hold on to the position store.
OfflineStages::~OfflineStages() {
  source_.reset();
  while (!sinks_.empty()) sinks_.pop_back();
}

}  // namespace sluice
