#include "source_ends.hpp"

#include "sluice/source.hpp"

namespace sluice {

void SourceEnds::publish(Source* source) {
  std::lock_guard lock(mutex_);
  source_ = source;
}

void SourceEnds::retract() {
  std::unique_lock lock(mutex_);
  source_ = nullptr;
  // A plain mutex and a count, not a shared_mutex: a steady stream of questions cannot keep a
  // stop or a reload waiting, since new ones already see no source.
  idle_.wait(lock, [this] { return asking_ == 0; });
}

std::optional<std::int64_t> SourceEnds::end_offset(const std::string& stream, std::int32_t partition,
                                                   std::chrono::milliseconds timeout) {
  Source* source = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!source_) return std::nullopt;
    source = source_;
    ++asking_;
  }
  std::optional<std::int64_t> end;
  try {
    end = source->end_offset(stream, partition, timeout);
  } catch (...) {
    end.reset();  // a source that cannot say is unknown, never an error for the asker
  }
  {
    std::lock_guard lock(mutex_);
    if (--asking_ == 0) idle_.notify_all();
  }
  return end;
}

}  // namespace sluice
