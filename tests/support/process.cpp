#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/text.hpp"

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

Process::Process(std::vector<std::string> argv, Options options) : name_(fs::path(argv.at(0)).filename().string()) {
  dir_ = test_scratch_root() / "processes" / (std::to_string(process_counter++) + "-" + name_);
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

Process::Process(Process&& other) noexcept
    : pid_(other.pid_), status_(other.status_), dir_(std::move(other.dir_)), name_(std::move(other.name_)) {
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

std::optional<int> Process::exit_status() {
  running();
  return status_;
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
  wait_until(
      [&] {
        std::string text = out();
        auto nl = text.find('\n');
        if (nl == std::string::npos) return false;
        line = text.substr(0, nl);
        return true;
      },
      timeout);
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

namespace {

// "sluice (pid 123) exited with status 1; the end of its stderr: ..." for failure messages.
std::string describe_exit(Process& process) {
  auto status = process.exit_status();
  std::string how = !status         ? "is still running"
                    : *status > 128 ? "was killed by signal " + std::to_string(*status - 128)
                                    : "exited with status " + std::to_string(*status);
  return process.name() + " (pid " + std::to_string(process.pid()) + ") " + how + "; the end of its stderr:\n" +
         tail_lines(process.err(), 30);
}

}  // namespace

::testing::AssertionResult wait_while_running(Process& process, const std::function<bool()>& condition,
                                              std::chrono::milliseconds timeout, std::chrono::milliseconds step) {
  bool exited = false;
  bool held = wait_until(
      [&] {
        if (condition()) return true;
        exited = !process.running();
        return exited;
      },
      timeout, step);
  if (held && !exited) return ::testing::AssertionSuccess();
  if (exited && condition()) return ::testing::AssertionSuccess();  // its last act was the awaited one
  if (exited) return ::testing::AssertionFailure() << "while waiting, " << describe_exit(process);
  return ::testing::AssertionFailure() << "not within " << timeout.count() << " ms (" << process.name()
                                       << " still runs)";
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

namespace {

// Ports the tests hand out: below the kernel's ephemeral range (ip_local_port_range starts
// at 32768 on Debian), which the connections of every process on the machine draw from.
constexpr int kFirstTestPort = 20000;
constexpr int kTestPorts = 12000;

bool bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// An exclusive claim on `port` among the test processes of this machine, held until this
// process ends (the kernel drops a flock with its last descriptor, also on kill -9).
bool claim(int port) {
  static const fs::path claims = [] {
    fs::path dir = fs::temp_directory_path() / "sluice-test-ports";
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::all | fs::perms::sticky_bit, fs::perm_options::replace);
    return dir;
  }();
  int fd = ::open((claims / std::to_string(port)).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  if (!bindable(port)) {
    ::close(fd);
    return false;
  }
  return true;  // the descriptor stays open, and with it the claim
}

}  // namespace

int free_port() {
  static std::mutex mutex;
  static std::set<int> mine;
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  std::lock_guard lock(mutex);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = kFirstTestPort + static_cast<int>(rng() % kTestPorts);
    if (mine.count(port)) continue;
    if (claim(port)) {
      mine.insert(port);
      return port;
    }
  }
  throw std::runtime_error("free_port: no free port in 20000-31999 after 1000 tries");
}

fs::path test_scratch_root() {
  std::string test = "main";
  const auto* unit = ::testing::UnitTest::GetInstance();
  if (const auto* info = unit->current_test_info()) {
    test = std::string(info->test_suite_name()) + "." + info->name();
  } else if (const auto* suite = unit->current_test_suite()) {
    // A suite's set-up runs in every process that runs one of its tests, and ctest runs each
    // test in a process of its own, several at once: a folder named after the suite alone
    // would be shared, and emptied by one process under the other's PostgreSQL cluster. The
    // first test this process runs names it.
    test = suite->name();
    for (int i = 0; i < suite->total_test_count(); ++i) {
      const auto* info = suite->GetTestInfo(i);
      if (info->should_run()) {
        test += std::string(".") + info->name() + ".setup";
        break;
      }
    }
  }
  for (char& c : test) {
    if (c == '/') c = '_';  // parameterised names: Suite/Param.Case/0
  }
  fs::path root = scratch_root() / program_invocation_short_name / test;
  static std::mutex mutex;
  static std::set<fs::path> emptied;
  std::lock_guard lock(mutex);
  if (emptied.insert(root).second) {
    fs::remove_all(root);
    fs::create_directories(root);
  }
  return root;
}

fs::path scratch_dir(const std::string& name) {
  fs::path dir = test_scratch_root() / name;
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
