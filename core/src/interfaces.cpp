// Out-of-line destructors and default methods of the plugin interfaces: their vtables and
// type info live here, in libsluice_core, once for every plugin.
#include "sluice/plugin.hpp"

namespace sluice {

Host::~Host() = default;
Plugin::~Plugin() = default;
void Source::close() {}
void Source::fenced(const std::vector<Position>&) {}
void Sink::close() {}
Status Sink::migrate() { return Status::ok(); }
Store* Sink::store() { return nullptr; }
PositionStore* Sink::position_store() { return nullptr; }

Store::~Store() = default;
void Store::fill(std::string_view, std::string_view) {}
Status Store::recent(std::size_t, std::vector<std::string>&) {
  return Status::fatal("this store does not list recent keys");
}
std::int64_t Store::size() const { return -1; }
PositionStore::~PositionStore() = default;

}  // namespace sluice
