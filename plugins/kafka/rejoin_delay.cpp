#include "rejoin_delay.hpp"

#include <algorithm>

namespace sluice::kafka {
namespace {

// The mock checks sessions once a second and opens a join window of session - 1 s; a join
// 2 s after the dead member's last sign of life sees it evicted inside that window. The
// quarter second is for the two processes' clocks and the time the join takes to arrive.
constexpr std::chrono::milliseconds after_last_alive{2250};
constexpr std::chrono::milliseconds eviction_check{1000};

}  // namespace

std::chrono::milliseconds rejoin_delay(std::optional<std::chrono::system_clock::time_point> predecessor_alive_at,
                                       std::chrono::system_clock::time_point now,
                                       std::chrono::milliseconds session_timeout) {
  using std::chrono::milliseconds;
  if (!predecessor_alive_at) return milliseconds(0);
  // It died before its next stamp was due.
  const auto died_by = *predecessor_alive_at + slot_stamp_interval;
  if (died_by + session_timeout + eviction_check <= now) return milliseconds(0);  // evicted already
  const auto wait = std::chrono::duration_cast<milliseconds>(died_by + after_last_alive - now);
  // A stamp in the future (a clock set back, a file touched by hand) waits no longer than this.
  return std::clamp(wait, milliseconds(0), slot_stamp_interval + after_last_alive);
}

}  // namespace sluice::kafka
