#include "instance_slot.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sluice::kafka {
namespace {

constexpr const char* kUnsafeAdvice =
    "refusing it as an instance-slot lock; remove it, or set lock_dir to a folder only sluice can write";

std::string sanitized(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    bool legal =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!legal) c = '_';
  }
  return out;
}

// Opens (or creates) a lock file without following another user's file into trouble: /tmp is
// sticky and, with fs.protected_regular, O_CREAT on someone else's existing file fails, so an
// existing file is opened read-only (enough for flock) and only a missing one is created.
// O_NONBLOCK: a FIFO planted at the path would block a plain open until someone writes.
int open_lock_file(const std::filesystem::path& path, bool& created) {
  constexpr int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  for (int attempt = 0; attempt < 2; ++attempt) {
    created = false;
    int fd = ::open(path.c_str(), flags);
    if (fd >= 0 || errno != ENOENT) return fd;
    fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL, 0644);
    created = fd >= 0;
    if (fd >= 0 || errno != EEXIST) return fd;
    // Created by another process between the two calls: open it as an existing file.
  }
  return -1;
}

// Why the open file `fd` at `path` is no lock file of ours ("" when it is one): anything but
// a regular file we own was put there by someone else, on purpose or not.
std::string refusal(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return path.string() + ": " + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return path.string() + " is not a regular file (a FIFO, socket or device planted there?)";
  if (st.st_uid != ::geteuid())
    return path.string() + " belongs to another user (uid " + std::to_string(st.st_uid) + ")";
  return {};
}

// The previous holder's last stamp; nullopt when it left its group (mtime at the epoch).
std::optional<std::chrono::system_clock::time_point> last_alive(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mtim.tv_sec == 0 && st.st_mtim.tv_nsec == 0)) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

}  // namespace

void InstanceSlot::stamp_alive() {
  if (fd_ >= 0) ::futimens(fd_, nullptr);  // the owner may set its own file's times
}

void InstanceSlot::mark_left() {
  const timespec epoch[2] = {{0, 0}, {0, 0}};
  if (fd_ >= 0) ::futimens(fd_, epoch);
}

std::optional<InstanceSlot> InstanceSlot::claim(const std::filesystem::path& dir, const std::string& group,
                                                std::string& error, int max_slots) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string last_error = "every slot is locked by another process";
  for (int slot = 0; slot < max_slots; ++slot) {
    auto path = dir / ("sluice-kafka-" + sanitized(group) + "." + std::to_string(slot) + ".lock");
    bool created = false;
    int fd = open_lock_file(path, created);
    if (fd < 0) {
      if (errno == ELOOP) throw UnsafeLockFile(path.string() + " is a symbolic link; " + kUnsafeAdvice);
      // Not ours to open (another user's file, mode 0600): that slot is someone else's.
      last_error = path.string() + ": " + std::strerror(errno);
      continue;
    }
    if (std::string why = refusal(fd, path); !why.empty()) {
      ::close(fd);
      throw UnsafeLockFile(why + "; " + kUnsafeAdvice);
    }
    // flock locks belong to the open file description, so two claims in one process exclude
    // each other too (as two sources of one group in one process must).
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      InstanceSlot claimed(fd, slot, path);
      if (!created) claimed.predecessor_alive_at_ = last_alive(fd);
      claimed.stamp_alive();
      return claimed;
    }
    ::close(fd);
  }
  error = "no free instance slot in " + dir.string() + " (" + last_error + ")";
  return std::nullopt;
}

InstanceSlot::InstanceSlot(InstanceSlot&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      slot_(other.slot_),
      path_(std::move(other.path_)),
      predecessor_alive_at_(other.predecessor_alive_at_) {}

InstanceSlot& InstanceSlot::operator=(InstanceSlot&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    slot_ = other.slot_;
    path_ = std::move(other.path_);
    predecessor_alive_at_ = other.predecessor_alive_at_;
  }
  return *this;
}

InstanceSlot::~InstanceSlot() {
  // The file stays: removing it could race with another process that just opened it and
  // would then lock an unlinked file while a third creates a new one for the same slot.
  if (fd_ >= 0) ::close(fd_);
}

std::filesystem::path default_lock_dir() {
  // /run/sluice (made by an administrator, or by systemd's RuntimeDirectory=sluice) is the
  // host's, like /tmp, but only the service account can plant files there.
  if (::access("/run/sluice", W_OK | X_OK) == 0) return "/run/sluice";
  return "/tmp";
}

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
