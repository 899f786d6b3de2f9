#include "instance_slot.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sluice::kafka {
namespace {

std::string sanitized(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '_' || c == '-';
    if (!legal) c = '_';
  }
  return out;
}

// Opens (or creates) a lock file without following another user's file into trouble: /tmp is
// sticky and, with fs.protected_regular, O_CREAT on someone else's existing file fails, so an
// existing file is opened read-only (enough for flock) and only a missing one is created.
int open_lock_file(const std::filesystem::path& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 || errno != ENOENT) return fd;
    fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0 || errno != EEXIST) return fd;
    // Created by another process between the two calls: open it as an existing file.
  }
  return -1;
}

}  // namespace

std::optional<InstanceSlot> InstanceSlot::claim(const std::filesystem::path& dir, const std::string& group,
                                                std::string& error, int max_slots) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string last_error = "every slot is locked by another process";
  for (int slot = 0; slot < max_slots; ++slot) {
    auto path = dir / ("sluice-kafka-" + sanitized(group) + "." + std::to_string(slot) + ".lock");
    int fd = open_lock_file(path);
    if (fd < 0) {
      // Not ours to lock (another user's file): that slot is someone else's.
      last_error = path.string() + ": " + std::strerror(errno);
      continue;
    }
    // flock locks belong to the open file description, so two claims in one process exclude
    // each other too (as two sources of one group in one process must).
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return InstanceSlot(fd, slot, path);
    ::close(fd);
  }
  error = "no free instance slot in " + dir.string() + " (" + last_error + ")";
  return std::nullopt;
}

InstanceSlot::InstanceSlot(InstanceSlot&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), slot_(other.slot_), path_(std::move(other.path_)) {}

InstanceSlot& InstanceSlot::operator=(InstanceSlot&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    slot_ = other.slot_;
    path_ = std::move(other.path_);
  }
  return *this;
}

InstanceSlot::~InstanceSlot() {
  // The file stays: removing it could race with another process that just opened it and
  // would then lock an unlinked file while a third creates a new one for the same slot.
  if (fd_ >= 0) ::close(fd_);
}

std::filesystem::path default_lock_dir() { return "/tmp"; }

std::string derived_instance_id(const std::string& host, const std::string& group, int slot) {
  std::string id = sanitized(host + "-" + group + "-" + std::to_string(slot));
  if (id.size() > 249) id.erase(0, id.size() - 249);  // keep the slot number, which tells them apart
  return id;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace sluice::kafka
