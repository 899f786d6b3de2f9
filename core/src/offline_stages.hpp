// A plan's source and its position-keeping sinks as plugin objects, without running anything:
// for commands that ask them questions outside a run (`sluice positions`). Made the way the
// Runtime makes them (PluginInstance, a HostImpl each, sinks first), but only these: the
// APIs, transforms and other sinks of the file are never created, so their settings (a
// token a REST API needs, say) do not matter here. Nothing is opened.
#pragma once

#include <memory>
#include <vector>

#include "host_impl.hpp"
#include "pipeline_builder.hpp"

namespace sluice {

class OfflineStages {
 public:
  // Throws ValidationError if a plugin refuses its config.
  explicit OfflineStages(const PipelinePlan& plan);
  ~OfflineStages();
  OfflineStages(const OfflineStages&) = delete;
  OfflineStages& operator=(const OfflineStages&) = delete;

  Source& source() const { return *source_->as<Source>(); }
  const std::string& source_id() const { return source_->id(); }
  // The first sink that keeps positions, as the source would get it, or nullptr.
  PositionStore* positions() const { return shared_.positions; }
  // The id of the sink positions() belongs to ("" without one).
  const std::string& positions_id() const { return positions_id_; }

 private:
  SharedState shared_;
  std::vector<std::unique_ptr<PluginInstance>> sinks_;
  std::unique_ptr<PluginInstance> source_;
  std::string positions_id_;
};

}  // namespace sluice
