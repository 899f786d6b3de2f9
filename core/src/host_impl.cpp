#include "host_impl.hpp"

#include <spdlog/spdlog.h>

#include "log_setup.hpp"
#include "paths.hpp"

namespace sluice {

HostImpl::HostImpl(std::string name, SharedState& shared) : logger_(make_logger(name)), shared_(shared) {}

void* HostImpl::for_kind(int kind) {
  switch (kind) {
    case sluice_kind_source:
      return static_cast<SourceHost*>(this);
    case sluice_kind_sink:
      return static_cast<SinkHost*>(this);
    case sluice_kind_api:
      return static_cast<ApiHost*>(this);
    default:
      return static_cast<Host*>(this);  // transforms
  }
}

spdlog::logger& HostImpl::log() { return *logger_; }

Store* HostImpl::store(std::string_view id) {
  looked_up_.emplace(id);
  auto it = shared_.sinks.find(id);
  return it == shared_.sinks.end() ? nullptr : it->second->store();
}

bool HostImpl::drain(std::chrono::milliseconds limit) { return !shared_.drain || shared_.drain(limit); }

void HostImpl::abandon_in_flight() {
  if (shared_.abandon_in_flight) shared_.abandon_in_flight();
}

std::filesystem::path HostImpl::data_path(std::string_view relative) { return sluice::data_path(relative); }

}  // namespace sluice
