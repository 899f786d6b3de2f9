// A deliberately dumb HTTP/1.x client over one TCP socket: sends the exact bytes a test
// writes (no path normalisation, unlike real clients) and reads one response at a time, so
// tests can see traversal attempts, keep-alive and limits exactly as a server would.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace sluice::test {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Reads one response (Content-Length bodies); nullopt on timeout or a closed connection.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True once the server has closed its side (read returns 0) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout);
  // The local port of this socket: the same value across requests proves one connection.
  int local_port() const;

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection: "GET <target> HTTP/1.1" with Host, nothing else.
std::optional<RawResponse> raw_get(int port, const std::string& target);

}  // namespace sluice::test
