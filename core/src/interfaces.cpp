// Out-of-line destructors and default methods of the plugin interfaces: their vtables and
// type info live here, in libsluice_core, once for every plugin.
#include "sluice/admin.hpp"
#include "sluice/api.hpp"
#include "sluice/change_feed.hpp"
#include "sluice/dead_letters.hpp"
#include "sluice/position_store.hpp"
#include "sluice/sink.hpp"
#include "sluice/source.hpp"
#include "sluice/store.hpp"
#include "sluice/stream_offsets.hpp"
#include "sluice/transform.hpp"

namespace sluice {

Host::~Host() = default;
Admin::~Admin() = default;
Tap::~Tap() = default;
DeadLetterStore::~DeadLetterStore() = default;
std::size_t DeadLetterStore::payload_limit() const { return 0; }
Status DeadLetterStore::write_letters(const Batch&) { return Status::fatal("this dead-letter store cannot write"); }
Plugin::~Plugin() = default;
void Source::close() {}
void Source::fenced(const std::vector<Position>&) {}
std::optional<std::int64_t> Source::end_offset(const std::string&, std::int32_t, std::chrono::milliseconds) {
  return std::nullopt;
}
StreamOffsets* Source::stream_offsets() { return nullptr; }
StreamOffsets::~StreamOffsets() = default;
void Sink::close() {}
Status Api::refresh() { return Status::ok(); }
Status Sink::migrate() { return Status::ok(); }
Store* Sink::store() { return nullptr; }
PositionStore* Sink::position_store() { return nullptr; }
DeadLetterStore* Sink::dead_letter_store() { return nullptr; }

StoreReader::~StoreReader() = default;
WarmSource::~WarmSource() = default;
Lookup StoreReader::get(std::string_view key, std::string& value) {
  std::int64_t version = 0;
  return get(key, value, version);
}
bool StoreReader::answers_from_memory() const { return false; }
Status Store::get_many(const std::vector<std::string>& keys, const FoundVisitor& visit) {
  std::string value;
  for (const auto& key : keys) {
    std::int64_t version = 0;
    switch (get(key, value, version)) {
      case Lookup::found:
        visit(key, value, version);
        break;
      case Lookup::unavailable:
        return Status::retry("store unavailable");
      default:
        break;
    }
  }
  return Status::ok();
}
void StoreReader::fill(std::string_view, std::string_view, std::int64_t) {}
void StoreReader::fill_absent(std::string_view) {}
Status WarmSource::follow(ChangeFollower&) { return Status::fatal("this store has no change feed"); }
void WarmSource::unfollow(ChangeFollower&) {}
Reach StoreReader::wait_for(const Position&, std::chrono::steady_clock::time_point) { return Reach::unknown; }
ChangeFollower::~ChangeFollower() = default;
Status StoreReader::recent(std::size_t, std::vector<std::string>&) {
  return Status::fatal("this store does not list recent keys");
}
std::int64_t StoreReader::size() const { return -1; }
PositionStore::~PositionStore() = default;
Status PositionStore::hold(const std::vector<PartitionKey>&) { return Status::ok(); }
void PositionStore::release(const std::vector<PartitionKey>&) {}
Status PositionStore::list(const std::string&, std::vector<Position>&) {
  return Status::fatal("this position store cannot list its positions");
}
Status PositionStore::move(const std::vector<Position>&, std::vector<PartitionKey>&) {
  return Status::fatal("this position store cannot move its positions");
}

}  // namespace sluice
