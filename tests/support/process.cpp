#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sluice::test {

namespace fs = std::filesystem;

namespace {

std::atomic<int> process_counter{0};

fs::path scratch_root() { return fs::path(SLUICE_TEST_SCRATCH); }

void redirect(const fs::path& path, int target_fd) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, target_fd);
    ::close(fd);
  }
}

}  // namespace

Process::Process(std::vector<std::string> argv, Options options) {
  dir_ = scratch_root() / "processes" /
         (std::to_string(getpid()) + "-" + std::to_string(process_counter++) + "-" +
          fs::path(argv.at(0)).filename().string());
  fs::create_directories(dir_);
  write_file(dir_ / "stdin", options.stdin_text);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    if (!options.env.count(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);

  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // A fresh process group, so a test can never signal itself by mistake.
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int in = ::open((dir_ / "stdin").c_str(), O_RDONLY);
    if (in >= 0) {
      dup2(in, 0);
      ::close(in);
    }
    redirect(dir_ / "stdout", 1);
    redirect(dir_ / "stderr", 2);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(127);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Process::Process(Process&& other) noexcept : pid_(other.pid_), status_(other.status_), dir_(std::move(other.dir_)) {
  other.pid_ = -1;
}

Process::~Process() {
  if (pid_ > 0 && !status_) kill();
}

bool Process::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

void Process::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  wait_until([&] { return !running(); }, timeout, 10ms);
  return status_;
}

void Process::kill() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
  status_ = 128 + SIGKILL;
}

std::string Process::out() const { return read_file(dir_ / "stdout"); }
std::string Process::err() const { return read_file(dir_ / "stderr"); }

std::optional<std::string> Process::first_line(std::chrono::milliseconds timeout) const {
  std::optional<std::string> line;
  wait_until([&] {
    std::string text = out();
    auto nl = text.find('\n');
    if (nl == std::string::npos) return false;
    line = text.substr(0, nl);
    return true;
  }, timeout);
  return line;
}

bool Process::wait_stderr(const std::string& needle, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return err().find(needle) != std::string::npos; }, timeout);
}

RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout, Process::Options options) {
  Process p(std::move(argv), std::move(options));
  auto code = p.wait(timeout);
  if (!code) p.kill();
  return {code.value_or(-1), p.out(), p.err()};
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const auto candidate = fs::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return name;
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

fs::path scratch_dir(const std::string& name) {
  fs::path dir = scratch_root() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

fs::path sluice_binary() { return SLUICE_BINARY; }
fs::path source_dir() { return SLUICE_SOURCE_DIR; }
fs::path fixture_plugin_dir() { return SLUICE_FIXTURE_PLUGIN_DIR; }

}  // namespace sluice::test
