// The host each plugin instance talks to, backed by state the whole pipeline shares. One
// HostImpl implements every kind's host (Host is their virtual base); a plugin is handed only
// its kind's (for_kind()).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "partition_lags.hpp"
#include "sluice/api.hpp"
#include "sluice/sink.hpp"
#include "sluice/source.hpp"
#include "sluice/store.hpp"
#include "source_ends.hpp"

namespace sluice {

struct SharedState {
  Metrics metrics;
  Health health;
  std::map<std::string, Sink*, std::less<>> sinks;  // by id
  PositionStore* positions = nullptr;
  // Set by the runtime before the source opens.
  std::function<bool(std::chrono::milliseconds)> drain;
  std::function<void()> abandon_in_flight;
  std::atomic<bool> stopping{false};
  Admin* admin = nullptr;  // the runtime's, for API plugins
  SourceEnds source_ends;  // the open source, for ApiHost::source_end_offset
  PartitionLags lags;      // what the source reported (SourceHost::report_lag), for the admin status
};

class HostImpl final : public SourceHost, public SinkHost, public ApiHost {
 public:
  HostImpl(std::string name, SharedState& shared);
  // What a plugin of `kind` (sluice_kind_*) is given, as descriptor create() expects it: a
  // pointer to exactly that kind's host type, converted to void* only from it.
  void* for_kind(int kind);

  spdlog::logger& log() override;
  Metrics& metrics() override { return shared_.metrics; }
  Health& health() override { return shared_.health; }
  std::filesystem::path data_path(std::string_view relative) override;
  bool stopping() const override { return shared_.stopping.load(); }

  PositionStore* position_store() override { return shared_.positions; }
  bool drain(std::chrono::milliseconds limit) override;
  void abandon_in_flight() override;
  void report_lag(const std::string& stream, std::int32_t partition, std::optional<std::int64_t> lag) override {
    shared_.lags.report({stream, partition}, lag);
  }

  Store* store(std::string_view id) override;

  StoreReader* store_reader(std::string_view id) override { return store(id); }
  Admin* admin() override { return shared_.admin; }
  std::optional<std::int64_t> source_end_offset(const std::string& stream, std::int32_t partition,
                                                std::chrono::milliseconds timeout) override {
    return shared_.source_ends.end_offset(stream, partition, timeout);
  }
  // The ids this plugin asked for a store: it may hold pointers to them, so a reload that
  // replaces one of them restarts this plugin too.
  const std::set<std::string, std::less<>>& looked_up() const { return looked_up_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  SharedState& shared_;
  std::set<std::string, std::less<>> looked_up_;
};

}  // namespace sluice
