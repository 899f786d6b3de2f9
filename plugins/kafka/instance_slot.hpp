// A stable, per-host-unique `group.instance.id` for static group membership (KIP-345).
//
// A member killed with kill -9 never leaves its group. With a static id, the restarted process
// takes the dead member's place at once (real Kafka maps the id to the old member), instead of
// waiting a whole session timeout for the coordinator to evict it. The id must therefore be
// the same after a restart, yet differ between processes of one group on one host: two live
// members with one id fence each other (FENCED_INSTANCE_ID, fatal).
//
// Derived ids are `<host>-<group>-<slot>`: the slot is the lowest number whose lock file
// (`<dir>/sluice-kafka-<group>.<slot>.lock`) this process can flock(). The kernel releases the
// lock when the process dies, even on kill -9, so a restart claims the same slot again while
// the others' slots stay held.
//
// The holder also stamps the file's modification time while it runs (stamp_alive) and sets it
// to the epoch once it left its group cleanly (mark_left). So the next holder knows when a
// predecessor that did not leave was last alive: it may still be a member of the group, and
// on a coordinator that does not map static ids to members (`sluice broker`) joining too soon
// costs a second rebalance (README.md, "Crashes, restarts and the consumer group").
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace sluice::kafka {

// A lock path holds something we did not put there: a FIFO, socket or device (opening a FIFO
// would block), a symbolic link, or another user's file. Its message names the path.
class UnsafeLockFile : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InstanceSlot {
 public:
  // Claims the lowest free slot for `group` in `dir` (created if missing); nullopt when no
  // slot below `max_slots` can be locked (the reason in `error`). Throws UnsafeLockFile, at
  // once, when a lock path holds anything but a regular file this user owns.
  static std::optional<InstanceSlot> claim(const std::filesystem::path& dir, const std::string& group,
                                           std::string& error, int max_slots = 256);

  InstanceSlot(InstanceSlot&& other) noexcept;
  InstanceSlot& operator=(InstanceSlot&& other) noexcept;
  InstanceSlot(const InstanceSlot&) = delete;
  InstanceSlot& operator=(const InstanceSlot&) = delete;
  ~InstanceSlot();  // releases the lock

  int slot() const { return slot_; }
  const std::filesystem::path& path() const { return path_; }

  // When the slot's previous holder was last alive, if it stopped without leaving its group
  // (killed, or closed with leave_on_close off); nullopt for a new slot or a clean leave.
  std::optional<std::chrono::system_clock::time_point> predecessor_alive_at() const { return predecessor_alive_at_; }
  // Records "alive now" in the file (cheap: one futimens).
  void stamp_alive();
  // Records that this holder left its group: the next holder need not wait for it.
  void mark_left();

 private:
  InstanceSlot(int fd, int slot, std::filesystem::path path) : fd_(fd), slot_(slot), path_(std::move(path)) {}
  int fd_ = -1;
  int slot_ = -1;
  std::filesystem::path path_;
  std::optional<std::chrono::system_clock::time_point> predecessor_alive_at_;
};

// Where lock files live when the `lock_dir` key is empty: /run/sluice when this process may
// write it, else /tmp. Both are the host's, shared by every user (a per-user folder such as
// $XDG_RUNTIME_DIR would let two users' processes of one group claim the same id).
std::filesystem::path default_lock_dir();

// `<host>-<group>-<slot>` with every character Kafka refuses in an id ([A-Za-z0-9._-] only)
// replaced by '_', at most 249 characters.
std::string derived_instance_id(const std::string& host, const std::string& group, int slot);

// gethostname(), "localhost" if it fails.
std::string host_name();

}  // namespace sluice::kafka
