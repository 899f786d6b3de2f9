// How long a restarted static member waits before it joins its group, when the previous holder
// of its instance slot stopped without leaving (instance_slot.hpp).
//
// Real Kafka maps a static id to the old member and needs no wait (KIP-345). A coordinator that
// ignores static ids (librdkafka's mock, i.e. `sluice broker`) keeps the dead member until its
// session ends, checking once a second, and every join opens a window of session - 1 s: if the
// dead member is still there when the window closes, it is assigned partitions, the group waits
// for it to sync, and its eviction starts a second window (about 11 s after a kill -9 in all).
// Joining at least 2 s after the dead member's last heartbeat puts its eviction inside the first
// window: about 7 s (README.md, "Crashes, restarts and the consumer group").
#pragma once

#include <chrono>
#include <optional>

namespace sluice::kafka {

// How often a running holder stamps its slot (InstanceSlot::stamp_alive).
constexpr std::chrono::milliseconds slot_stamp_interval{200};

// The wait before joining, given when the predecessor was last alive (nullopt: none, or it
// left cleanly) and the group's session timeout. Never more than about 2.5 s.
std::chrono::milliseconds rejoin_delay(std::optional<std::chrono::system_clock::time_point> predecessor_alive_at,
                                       std::chrono::system_clock::time_point now,
                                       std::chrono::milliseconds session_timeout);

}  // namespace sluice::kafka
