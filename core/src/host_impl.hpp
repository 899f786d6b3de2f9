// The Host each plugin instance talks to, backed by state the whole pipeline shares.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "sluice/plugin.hpp"
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
  SourceEnds source_ends;  // the open source, for Host::source_end_offset
};

class HostImpl final : public Host {
 public:
  HostImpl(std::string name, SharedState& shared);
  spdlog::logger& log() override;
  Metrics& metrics() override { return shared_.metrics; }
  Health& health() override { return shared_.health; }
  Store* store(std::string_view id) override;
  PositionStore* position_store() override { return shared_.positions; }
  bool drain(std::chrono::milliseconds limit) override;
  void abandon_in_flight() override;
  std::filesystem::path data_path(std::string_view relative) override;
  bool stopping() const override { return shared_.stopping.load(); }
  Admin* admin() override { return shared_.admin; }
  std::optional<std::int64_t> source_end_offset(const std::string& stream, std::int32_t partition,
                                                std::chrono::milliseconds timeout) override {
    return shared_.source_ends.end_offset(stream, partition, timeout);
  }
  // The ids this plugin asked store() for: it may hold pointers to them, so a reload that
  // replaces one of them restarts this plugin too.
  const std::set<std::string, std::less<>>& looked_up() const { return looked_up_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  SharedState& shared_;
  std::set<std::string, std::less<>> looked_up_;
};

}  // namespace sluice
