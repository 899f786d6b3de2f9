// The running source as API threads may ask it where its streams end (ApiHost::source_end_offset,
// Source::end_offset), kept apart from the source thread's own use of it: the runtime
// publishes the source once it opened and retracts it before closing it, at a stop or a
// reload that replaces it. Retracting waits for the questions already asked (each bounded by
// its timeout) and turns later ones away, so no question ever reaches a closed source.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace sluice {

class Source;

class SourceEnds {
 public:
  // Source thread, after source->open() succeeded.
  void publish(Source* source);
  // Source thread, before source->close(): from now on nothing is known; returns once no
  // question is running in the source any more.
  void retract();
  // Any thread: the published source's answer, or nothing (none published, it cannot say,
  // it threw).
  std::optional<std::int64_t> end_offset(const std::string& stream, std::int32_t partition,
                                         std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  Source* source_ = nullptr;
  int asking_ = 0;  // questions running in source_
};

}  // namespace sluice
