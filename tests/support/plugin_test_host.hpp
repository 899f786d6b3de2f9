// A host for tests that create plugin objects directly (linking the plugin's class, not
// loading the module): its own metrics and health, a quiet logger, stores registered by id,
// and data files taken from the source tree. Like the runtime's, it is every kind's host.
#pragma once

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

// Every kind's host, and what the hosts hand out (tests of any plugin use them).
#include "sluice/admin.hpp"
#include "sluice/api.hpp"
#include "sluice/position_store.hpp"
#include "sluice/sink.hpp"
#include "sluice/source.hpp"
#include "sluice/store.hpp"
#include "support/process.hpp"

namespace sluice::test {

class PluginTestHost final : public SourceHost, public SinkHost, public ApiHost {
 public:
  explicit PluginTestHost(const std::string& name = "test")
      : logger_(std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stderr_sink_mt>())) {
    logger_->set_level(spdlog::level::warn);
  }

  spdlog::logger& log() override { return *logger_; }
  Metrics& metrics() override { return metrics_; }
  Health& health() override { return health_; }
  Store* store(std::string_view id) override {
    auto it = stores_.find(std::string(id));
    return it == stores_.end() ? nullptr : it->second;
  }
  StoreReader* store_reader(std::string_view id) override { return store(id); }
  PositionStore* position_store() override { return positions_; }
  bool drain(std::chrono::milliseconds) override { return true; }
  void abandon_in_flight() override {}
  void report_lag(const std::string& stream, std::int32_t partition, std::optional<std::int64_t> lag) override {
    std::lock_guard lock(lags_mutex_);
    if (lag) {
      lags_[{stream, partition}] = *lag;
    } else {
      lags_.erase({stream, partition});
    }
  }
  // The last lag reported for `stream`/`partition` (report_lag), or nothing.
  std::optional<std::int64_t> reported_lag(const std::string& stream, std::int32_t partition) {
    std::lock_guard lock(lags_mutex_);
    auto it = lags_.find({stream, partition});
    return it == lags_.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
  }
  std::filesystem::path data_path(std::string_view relative) override { return source_dir() / relative; }
  bool stopping() const override { return stopping_; }
  Admin* admin() override { return admin_; }
  std::optional<std::int64_t> source_end_offset(const std::string& stream, std::int32_t partition,
                                                std::chrono::milliseconds timeout) override {
    std::function<std::optional<std::int64_t>(const std::string&, std::int32_t, std::chrono::milliseconds)> end;
    {
      std::lock_guard lock(source_end_mutex_);
      end = source_end_;
    }
    return end ? end(stream, partition, timeout) : std::nullopt;
  }
  // What source_end_offset() answers (thread-safe); unset: unknown, like a source that cannot say.
  void set_source_end(
      std::function<std::optional<std::int64_t>(const std::string&, std::int32_t, std::chrono::milliseconds)> end) {
    std::lock_guard lock(source_end_mutex_);
    source_end_ = std::move(end);
  }
  // What admin() returns (an API plugin's operator endpoints); null: none.
  void set_admin(Admin* admin) { admin_ = admin; }

  void add_store(const std::string& id, Store* store) { stores_[id] = store; }
  void set_position_store(PositionStore* positions) { positions_ = positions; }
  void request_stop() { stopping_ = true; }
  spdlog::logger& logger() { return *logger_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  Metrics metrics_;
  Health health_;
  std::map<std::string, Store*> stores_;
  PositionStore* positions_ = nullptr;
  std::atomic<bool> stopping_{false};
  Admin* admin_ = nullptr;
  std::mutex lags_mutex_;
  std::map<PartitionKey, std::int64_t> lags_;
  std::mutex source_end_mutex_;
  std::function<std::optional<std::int64_t>(const std::string&, std::int32_t, std::chrono::milliseconds)> source_end_;
};

}  // namespace sluice::test
