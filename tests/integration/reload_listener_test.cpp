// A reload never stops the pipeline (README.md, "Live reload", Make before break), against a
// real `sluice run` (operator_cli.hpp: file source -> order_validate -> memory_cache, rest and
// admin APIs):
// 1. Reloads that restart the REST listener, on the same address and on a new one, while a
//    client asks for an order and /healthz on fresh connections: no connection refused or
//    reset, no request unanswered or failed.
// 2. A reload whose new REST listener cannot bind (the test holds its new address) is rolled
//    back: the old listener answers on, status and metrics say so, orders keep coming in.
// 3. A reload whose new source cannot open is rolled back: the old source, opened beside the
//    new one and never closed, reads on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "operator_cli.hpp"

namespace sluice::test {
namespace {

// One GET; the status, 0 when the connection was refused or reset or no whole answer came.
struct Get {
  bool connected = false;
  int status = 0;
  std::string body;
  bool server_closes = false;  // the answer said Connection: close
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One request and its answer on the connection `fd`, which stays open.
Get exchange(int fd, int port, const std::string& target, bool keep_alive, const std::string& header = "") {
  Get result;
  result.connected = true;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n" +
                              header + (keep_alive ? "\r\n" : "Connection: close\r\n\r\n");
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return result;
  // Read until the whole answer came (Pistache leaves the connection open after it); a reset,
  // an early close or the 5 s timeout leaves it short.
  std::string answer;
  char buffer[4096];
  std::size_t head_end = std::string::npos;
  std::size_t length = 0;
  while (head_end == std::string::npos || answer.size() < head_end + 4 + length) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
    if (head_end == std::string::npos && (head_end = answer.find("\r\n\r\n")) != std::string::npos) {
      const auto length_at = answer.find("Content-Length: ");
      if (length_at == std::string::npos || length_at > head_end) break;
      length = std::stoul(answer.substr(length_at + 16));
    }
  }
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return result;
  result.body = answer.substr(head_end + 4);
  if (result.body.size() != length) return result;
  result.status = std::stoi(answer.substr(9, 3));
  std::string head = answer.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  result.server_closes = head.find("\r\nconnection: close") != std::string::npos;
  return result;
}

// One GET on a fresh connection, closed after.
Get get_on(int fd, int port, const std::string& target) {
  Get got = exchange(fd, port, target, false);
  ::close(fd);
  return got;
}

// Asks for `order` and /healthz in turn until stopped, and counts every answer that is not
// 200. Each request on a fresh connection, or (keep_alive) on one kept open for as long as the
// server allows (it says Connection: close, or ends it). Uses `port` until the test names a
// next one; from then on it tries the next port first and keeps to it once it connects (a
// refused connection there is not counted: the client is looking for it), so a gap between
// the old listener's stop and the new one's start shows as a refused connection on the old port.
class Client {
 public:
  // `header`: a header line ("Name: value\r\n") every request carries.
  Client(int port, std::string order, bool keep_alive = false, std::string header = "",
         std::string other_target = "/healthz")
      : port_(port),
        order_(std::move(order)),
        keep_alive_(keep_alive),
        header_(std::move(header)),
        other_target_(std::move(other_target)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Client() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void move_to(int port) { next_port_ = port; }
  long long requests() const { return requests_; }
  long long failures() const { return failures_; }
  long long connections() const { return connections_; }
  bool moved() const { return moved_; }
  std::string samples() {
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  void run() {
    int fd = -1;
    int port = port_;
    for (int i = 0; !stop_; ++i) {
      const std::string target = i % 2 ? other_target_ : order_;
      if (fd < 0 && !moved_ && next_port_ != 0) {
        fd = connect_to(next_port_);
        if (fd >= 0) {
          moved_ = true;
          port_ = next_port_.load();
        }
      }
      if (fd < 0) {
        port = port_;
        fd = connect_to(port);
        if (fd >= 0) ++connections_;
      }
      const Get got = fd < 0 ? Get{} : exchange(fd, port, target, keep_alive_, header_);
      if (fd >= 0 && (!keep_alive_ || got.server_closes || got.status == 0)) {
        ::close(fd);
        fd = -1;
      }
      ++requests_;
      if (got.status != 200) {
        ++failures_;
        std::lock_guard lock(mutex_);
        if (samples_.size() < 2000) {
          samples_ += "\n  GET :" + std::to_string(port) + target + " -> " +
                      (!got.connected    ? std::string("refused")
                       : got.status == 0 ? std::string("no answer")
                                         : std::to_string(got.status) + " " + got.body);
        }
      }
      std::this_thread::sleep_for(4ms);  // the client's pace (~200 requests/s), not synchronisation
    }
    if (fd >= 0) ::close(fd);
  }

  std::atomic<int> port_;
  std::string order_;
  bool keep_alive_;
  std::string header_;
  std::string other_target_;
  std::atomic<int> next_port_ = 0;
  std::atomic<bool> moved_ = false;
  std::thread thread_;
  std::atomic<bool> stop_ = false;
  std::atomic<long long> requests_ = 0, failures_ = 0, connections_ = 0;
  std::mutex mutex_;
  std::string samples_;
};

// The value of the sample `name` (with its labels) in a Prometheus text page; -1 if absent.
double sample(const std::string& page, const std::string& name) {
  const auto at = page.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(page.substr(at + name.size() + 2));
}

class ReloadMakeBeforeBreak : public OperatorCli {
 protected:
  // Starts the pipeline and stores one order; returns its /order target.
  std::string start_with_an_order() {
    start();
    append({order("known")});
    const std::string target = "/order/known";
    EXPECT_TRUE(wait_until(
        [&] {
          const int fd = connect_to(listen_port_);
          return fd >= 0 && get_on(fd, listen_port_, target).status == 200;
        },
        30s));
    return target;
  }
  bool served(int port, const std::string& uid) {
    return wait_until(
        [&] {
          const int fd = connect_to(port);
          return fd >= 0 && get_on(fd, port, "/order/" + uid).status == 200;
        },
        30s);
  }
  std::string metrics() {
    const int fd = connect_to(listen_port_);
    return fd < 0 ? std::string() : get_on(fd, listen_port_, "/metrics").body;
  }
  // Waits until the client made `more` requests after now.
  void let_requests_pass(const Client& client, long long more) {
    const long long from = client.requests();
    EXPECT_TRUE(wait_until([&] { return client.requests() >= from + more; }, 20s));
  }
};

// Two clients at ~200 requests/s each, one on fresh connections, one keeping its connection
// open, so that a gap of a few milliseconds between the old listener's stop and the new one's
// start is seen in most runs of the ten reloads.
TEST_F(ReloadMakeBeforeBreak, RestartingTheRestListenerRefusesNoConnectionAndFailsNoRequest) {
  const std::string target = start_with_an_order();
  Client client(listen_port_, target);
  // A keep-alive client: a replaced listener's answers tell it to reconnect, to the new one.
  Client other(listen_port_, target, true);
  let_requests_pass(client, 50);
  // Same address, new threads, then back: the listener restarts each time.
  const int same_address_reloads = 10;
  for (int n = 1; n <= same_address_reloads; ++n) {
    const std::string threads = n % 2 ? "      threads: 2\n" : "      threads: 1\n";
    write_file(dir_ / "p.yaml", pipeline({.max_bytes = "1048576", .rest_extra = threads, .admin_extra = ""}));
    auto reload = cli({"reload"});
    ASSERT_EQ(reload.code, 0) << reload.out << reload.err;
    ASSERT_NE(reload.out.find("reload #" + std::to_string(n) + ": applied"), std::string::npos) << reload.out;
    let_requests_pass(client, 30);
  }
  // A new address: the clients move there once it answers.
  const int old_port = listen_port_;
  listen_port_ = free_port();
  while (listen_port_ == old_port || listen_port_ == admin_port_) listen_port_ = free_port();
  client.move_to(listen_port_);
  other.move_to(listen_port_);
  write_file(dir_ / "p.yaml", pipeline());
  auto reload = cli({"reload"});
  ASSERT_EQ(reload.code, 0) << reload.out << reload.err;
  ASSERT_NE(reload.out.find("reload #" + std::to_string(same_address_reloads + 1) + ": applied"), std::string::npos)
      << reload.out;
  EXPECT_TRUE(wait_until([&] { return client.moved() && other.moved(); }, 10s));
  let_requests_pass(client, 50);
  client.stop();
  other.stop();
  std::cout << "clients: " << client.requests() + other.requests() << " requests, "
            << client.failures() + other.failures() << " failed" << std::endl;
  EXPECT_EQ(client.failures(), 0) << client.samples() << "\n" << run_->err();
  EXPECT_EQ(other.failures(), 0) << other.samples() << "\n" << run_->err();
  EXPECT_GT(client.requests() + other.requests(), 600);
  EXPECT_GT(other.connections(), 1) << "the keep-alive client was never told to reconnect";
  EXPECT_LT(other.connections(), other.requests() / 4) << "the keep-alive client did not keep its connections";
  const int old_listener = connect_to(old_port);
  if (old_listener >= 0) ::close(old_listener);
  EXPECT_EQ(old_listener, -1) << "the old address still listens";
  EXPECT_EQ(sample(metrics(), "sluice_reloads_total{result=\"applied\"}"), same_address_reloads + 1);
}

// The admin API restarted by reloads asked for through itself (`sluice reload`), while an
// operator's client asks for the status on fresh connections and another on a kept one: every
// reload answered, no request refused or failed.
TEST_F(ReloadMakeBeforeBreak, RestartingTheAdminListenerThroughItselfFailsNoRequest) {
  start_with_an_order();
  const std::string bearer = "Authorization: Bearer " + kAdminToken + "\r\n";
  Client fresh(admin_port_, "/admin/status", false, bearer, "/admin/status");
  Client kept(admin_port_, "/admin/status", true, bearer, "/admin/status");
  let_requests_pass(fresh, 20);
  for (int n = 1; n <= 6; ++n) {
    const std::string threads = n % 2 ? "  threads: 3\n" : "  threads: 2\n";
    write_file(dir_ / "p.yaml", pipeline({.max_bytes = "1048576", .rest_extra = "", .admin_extra = threads}));
    auto reload = cli({"reload"});
    ASSERT_EQ(reload.code, 0) << reload.out << reload.err << run_->err();
    ASSERT_NE(reload.out.find("reload #" + std::to_string(n) + ": applied"), std::string::npos) << reload.out;
    let_requests_pass(fresh, 20);
  }
  fresh.stop();
  kept.stop();
  EXPECT_EQ(fresh.failures(), 0) << fresh.samples() << "\n" << run_->err();
  EXPECT_EQ(kept.failures(), 0) << kept.samples() << "\n" << run_->err();
  EXPECT_GT(fresh.requests() + kept.requests(), 200);
}

// One reload that changes the source (another file), the REST API and the admin API at once,
// under the two clients and a stream into the old file: no request fails, and both files'
// orders are served.
TEST_F(ReloadMakeBeforeBreak, ChangingTheSourceAndBothApisAtOnceUnderLoadFailsNoRequest) {
  const std::string target = start_with_an_order();
  Client client(listen_port_, target);
  Client other(listen_port_, target, true);
  start_writer([](int i) { return order("old-file-" + std::to_string(i)); });
  let_requests_pass(client, 50);
  write_file(dir_ / "in2.ndjson", order("new-file") + "\n");
  std::string text =
      pipeline({.max_bytes = "1048576", .rest_extra = "      threads: 2\n", .admin_extra = "  threads: 3\n"});
  const std::string from = "path: in.ndjson, position_file: in.pos";
  text.replace(text.find(from), from.size(), "path: in2.ndjson, position_file: in2.pos");
  write_file(dir_ / "p.yaml", text);
  auto reload = cli({"reload"});
  stop_writer();
  ASSERT_EQ(reload.code, 0) << reload.out << reload.err << run_->err();
  ASSERT_NE(reload.out.find("reload #1: applied"), std::string::npos) << reload.out;
  EXPECT_TRUE(served(listen_port_, "new-file")) << run_->err();
  let_requests_pass(client, 50);
  client.stop();
  other.stop();
  EXPECT_EQ(client.failures(), 0) << client.samples() << "\n" << run_->err();
  EXPECT_EQ(other.failures(), 0) << other.samples() << "\n" << run_->err();
  EXPECT_GT(written_, 0);
  EXPECT_TRUE(served(listen_port_, "old-file-0")) << run_->err();
  EXPECT_EQ(sample(metrics(), "sluice_reloads_total{result=\"applied\"}"), 1);
}

// A socket of the test's own, listening where the reload moves the REST API.
class HeldPort {
 public:
  // `reuse_port`: as another Sluice (of the same user) would hold it.
  explicit HeldPort(bool reuse_port = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    if (reuse_port) ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot hold a port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~HeldPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// SO_REUSEPORT on the listeners must not let a reload's new listener join a socket of another
// process that set it too: refused all the same, before binding.
TEST_F(ReloadMakeBeforeBreak, AnAddressAnotherProcessHoldsWithReusePortIsRefusedToo) {
  start_with_an_order();
  HeldPort held(true);
  const int old_port = listen_port_;
  listen_port_ = held.port();
  write_file(dir_ / "p.yaml", pipeline());
  listen_port_ = old_port;
  auto reload = cli({"reload"});
  EXPECT_NE(reload.out.find("reload #1: rolled_back"), std::string::npos) << reload.out << reload.err;
  EXPECT_NE(run_->err().find("reload #1 rolled back: api 'rest' could not start: rest: cannot listen on 127.0.0.1:" +
                             std::to_string(held.port()) + ": Address already in use"),
            std::string::npos)
      << run_->err();
  EXPECT_TRUE(served(old_port, "known")) << run_->err();
}

TEST_F(ReloadMakeBeforeBreak, ANewListenerThatCannotBindIsRolledBackAndTheOldOneServesOn) {
  const std::string target = start_with_an_order();
  Client client(listen_port_, target);
  let_requests_pass(client, 20);
  HeldPort held;
  const int old_port = listen_port_;
  listen_port_ = held.port();
  write_file(dir_ / "p.yaml", pipeline());
  listen_port_ = old_port;
  auto reload = cli({"reload"});
  EXPECT_EQ(reload.code, 1) << reload.out << reload.err;
  EXPECT_NE(reload.out.find("reload #1: rolled_back"), std::string::npos) << reload.out << reload.err;
  EXPECT_NE(run_->err().find("reload #1 rolled back: api 'rest' could not start"), std::string::npos) << run_->err();
  let_requests_pass(client, 20);
  client.stop();
  EXPECT_EQ(client.failures(), 0) << client.samples() << "\n" << run_->err();
  ASSERT_TRUE(run_->running()) << run_->err();
  auto status = cli({"status"});
  EXPECT_NE(status.out.find("last reload: #1 rolled_back"), std::string::npos) << status.out;
  EXPECT_EQ(sample(metrics(), "sluice_reloads_total{result=\"rolled_back\"}"), 1);
  // The pipeline consumes on: an order written after the roll back is stored and served.
  append({order("after-rollback")});
  EXPECT_TRUE(served(old_port, "after-rollback")) << run_->err();
}

TEST_F(ReloadMakeBeforeBreak, ANewSourceThatCannotOpenIsRolledBackAndTheOldOneReadsOn) {
  start_with_an_order();
  std::string text = pipeline();
  const std::string from = "path: in.ndjson";
  text.replace(text.find(from), from.size(), "path: missing/in.ndjson");
  write_file(dir_ / "p.yaml", text);
  auto reload = cli({"reload"});
  EXPECT_EQ(reload.code, 1) << reload.out << reload.err;
  EXPECT_NE(reload.out.find("reload #1: rolled_back"), std::string::npos) << reload.out << reload.err;
  EXPECT_NE(run_->err().find("reload #1 rolled back: source 'file' could not open"), std::string::npos) << run_->err();
  // A file source opens beside the running one (sluice_flag_opens_beside): the old one was
  // never closed, so nothing had to be opened again.
  EXPECT_NE(run_->err().find(") beside the running one"), std::string::npos) << run_->err();
  EXPECT_EQ(run_->err().find("opening the previous source"), std::string::npos) << run_->err();
  ASSERT_TRUE(run_->running()) << run_->err();
  EXPECT_EQ(sample(metrics(), "sluice_reloads_total{result=\"rolled_back\"}"), 1);
  // The old source reads on from where it was: each order once.
  append({order("after-rollback")});
  EXPECT_TRUE(served(listen_port_, "after-rollback")) << run_->err();
  auto status = cli({"status"});
  EXPECT_NE(status.out.find("last reload: #1 rolled_back"), std::string::npos) << status.out;
}

}  // namespace
}  // namespace sluice::test

namespace sluice::test {
namespace {

// SO_REUSEPORT would let two APIs of one pipeline share a port by mistake; before it, the
// second failed to bind, and it still does, naming the API that holds the port.
TEST_F(ReloadMakeBeforeBreak, TwoApisOnOnePortAreStillRefused) {
  admin_port_ = listen_port_;
  write_file(dir_ / "p.yaml", pipeline());
  Process run(
      {sluice_binary().string(), "--plugin-dir", fixture_plugin_dir().string(), "run", (dir_ / "p.yaml").string()},
      {.env = {{"SLUICE_API_TOKENS", "admin:" + kAdminToken + ",read:" + kReadToken}}, .cwd = dir_, .stdin_text = ""});
  EXPECT_EQ(run.wait(30s), 1) << run.err();
  EXPECT_NE(run.err().find("is the listen address of api 'rest' already"), std::string::npos) << run.err();
}

}  // namespace
}  // namespace sluice::test
