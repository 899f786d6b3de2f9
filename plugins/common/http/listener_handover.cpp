#include "listener_handover.hpp"

#include <dirent.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>

#include "sluice/listen_ports.hpp"

namespace sluice::http {

namespace {

std::uint16_t local_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return 0;
}

// The listening TCP sockets of this process on `port`. Pistache keeps its socket to itself;
// the one a new endpoint opened is the one that was not there before it started.
std::set<int> listening_sockets(std::uint16_t port) {
  std::set<int> found;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return found;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
    struct stat info {};
    if (::fstat(static_cast<int>(fd), &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    int listening = 0;
    socklen_t size = sizeof listening;
    if (::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening) continue;
    if (local_port(static_cast<int>(fd)) == port) found.insert(static_cast<int>(fd));
  }
  ::closedir(dir);
  return found;
}

// Whether a socket without SO_REUSEPORT could bind `address` now: false when any socket (of
// this process or another) holds it. Without this check SO_REUSEPORT would let the new listener
// share a port with another process of the same user (a second Sluice started by mistake).
void refuse_address_in_use(const ListenAddress& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (::getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(), port.c_str(), &hints, &found) != 0) {
    return;  // Pistache's bind reports the name
  }
  int error = 0;
  // The first address a socket can be made for: the one Pistache binds (it takes the first
  // that binds, and with SO_REUSEPORT a held one may bind).
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the listener: TIME_WAIT is no holder
    error = ::bind(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    ::close(fd);
    break;
  }
  ::freeaddrinfo(found);
  if (error == EADDRINUSE) throw std::runtime_error(std::strerror(EADDRINUSE));
}

// A classic BPF reuseport program answering index 1: the socket that joined the port's group
// second, which is the new listener (the old one, alone before, is index 0). When the old one
// closes the new one becomes index 0, 1 is out of range and the kernel picks by hash among
// the one left, so the program may stay.
void steer_new_connections_to(int fd) {
  sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, 1}};
  sock_fprog program{1, code};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program) != 0) {
    throw std::runtime_error(std::string("cannot steer connections to the new listener: ") + std::strerror(errno));
  }
}

}  // namespace

ListenerHandover::ListenerHandover(const ListenAddress& address, std::string owner) : address_(address) {
  std::string holder;
  claim_ = ListenPorts::claim(address.port, owner, &holder);
  if (claim_ == 0) {
    throw std::runtime_error("port " + std::to_string(address.port) + " is the listen address of api '" + holder +
                             "' already");
  }
  try {
    if (address.port != 0 && !ListenPorts::held_before(address.port, claim_)) refuse_address_in_use(address);
  } catch (...) {
    ListenPorts::release(address_.port, claim_);
    throw;
  }
}

ListenerHandover::~ListenerHandover() { ListenPorts::release(address_.port, claim_); }

void ListenerHandover::serve(Pistache::Http::Endpoint& endpoint) {
  const bool replacing = address_.port != 0 && ListenPorts::held_before(address_.port, claim_);
  const std::set<int> before = replacing ? listening_sockets(address_.port) : std::set<int>{};
  endpoint.serveThreaded();
  if (!replacing) return;
  for (int fd : listening_sockets(address_.port)) {
    if (!before.count(fd)) steer_new_connections_to(fd);
  }
}

bool ListenerHandover::taken_over() const {
  return address_.port != 0 && ListenPorts::superseded(address_.port, claim_);
}

}  // namespace sluice::http
