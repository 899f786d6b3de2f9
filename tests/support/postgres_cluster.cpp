#include "support/postgres_cluster.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"

namespace sluice::test {

namespace fs = std::filesystem;

namespace {

const fs::path bin_dir = "/usr/lib/postgresql/15/bin";

void give_to_postgres(const fs::path& path) {
  passwd* user = getpwnam("postgres");
  if (!user) throw std::runtime_error("there is no `postgres` user (install the postgresql package)");
  if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
    throw std::runtime_error("cannot chown " + path.string() + " to postgres");
  }
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace);
}

// The cluster's folder. The postgres user must reach it, and the build tree may sit below a
// folder only root can enter (a clone in `mktemp -d`, a home directory), so clusters live
// under /tmp, one folder per build tree, test and cluster name (tests running at the same
// time never share one), emptied before each use.
fs::path cluster_dir(const std::string& name) {
  fs::path base = fs::temp_directory_path() / "sluice-test-pg";
  fs::create_directories(base);
  fs::permissions(base, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::replace);
  const std::string owner = test_scratch_root().string();
  fs::path dir = base / (std::to_string(std::hash<std::string>{}(owner)) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

bool process_alive(int pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

int postmaster_pid_in(const fs::path& data) {
  std::ifstream in(data / "postmaster.pid");
  int pid = -1;
  in >> pid;
  return in ? pid : -1;
}

// A database name of this process's own in a shared server: PostgreSQL folds and limits
// names (63 bytes), and two test processes may ask for the same one at the same time.
std::string unique_database(const std::string& wanted) {
  static std::atomic<int> counter{0};
  std::string base;
  for (char c : wanted.substr(0, 36)) base += std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '_';
  return base + "_p" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

}  // namespace

PostgresCluster::PostgresCluster(const std::string& name, const std::string& database, Server server)
    : database_(database) {
  const char* shared_state = std::getenv("SLUICE_TEST_POSTGRES");
  if (server == Server::shared_if_available && shared_state && *shared_state) {
    auto state = read_shared_state(shared_state);
    if (!state) throw std::runtime_error(std::string("SLUICE_TEST_POSTGRES names no shared server: ") + shared_state);
    join_shared(*state);
    // From template0, which nobody connects to: CREATE DATABASE from template1 fails while
    // another test's CREATE DATABASE is copying it ("being accessed by other users").
    query_in("postgres", "CREATE DATABASE \"" + database_ + "\" TEMPLATE template0");
    return;
  }
  start_own(name);
  try {
    query_in("postgres", "CREATE DATABASE \"" + database_ + "\"");
  } catch (...) {
    stop_server(dir_);  // no destructor runs for a constructor that throws
    throw;
  }
}

void PostgresCluster::join_shared(const SharedState& state) {
  shared_ = true;
  port_ = state.port;
  dir_ = state.dir;
  data_ = dir_ / "data";
  socket_dir_ = dir_ / "socket";
  database_ = unique_database(database_);
}

void PostgresCluster::start_own(const std::string& name) {
  dir_ = cluster_dir(name);
  data_ = dir_ / "data";
  socket_dir_ = dir_ / "socket";
  // The postgres user must be able to reach its folders through ours.
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::replace);
  fs::create_directories(data_);
  fs::create_directories(socket_dir_);
  give_to_postgres(data_);
  give_to_postgres(socket_dir_);
  port_ = free_port();
  run_as_postgres({(bin_dir / "initdb").string(), "-D", data_.string(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync"},
                  "initdb");
  std::ofstream conf(data_ / "postgresql.conf", std::ios::app);
  conf << "\n# Written by the test's PostgresCluster\n"
       << "port = " << port_ << "\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "unix_socket_directories = '" << socket_dir_.string()
       << "'\n"
       // A shared server serves the storage tests of a parallel ctest run at once.
       << "max_connections = 200\n"
       << "shared_buffers = 32MB\n"
       // Tests stop the server on purpose; fsync buys nothing when the machine stays up.
       << "fsync = off\n"
       << "full_page_writes = off\n"
       << "log_min_messages = warning\n";
  conf.close();
  start();
}

PostgresCluster::~PostgresCluster() {
  if (detached_) return;
  if (shared_) {
    // Its databases go, whoever is still connected to them; the server stays for the others.
    try {
      for (const auto& row : query_in("postgres", "SELECT datname FROM pg_database WHERE datname = '" + database_ +
                                                      "' OR starts_with(datname, '" + database_ + "_')")) {
        query_in("postgres", "DROP DATABASE IF EXISTS \"" + row.at(0) + "\" WITH (FORCE)");
      }
    } catch (const std::exception&) {
      // The run's cleanup removes the whole server anyway.
    }
    return;
  }
  stop_server(dir_);
}

void PostgresCluster::stop_server(const fs::path& dir) {
  // Immediate shutdown by pid (SIGQUIT), then SIGKILL if it lingers: never leave a server.
  int pid = postmaster_pid_in(dir / "data");
  if (process_alive(pid)) {
    ::kill(pid, SIGQUIT);
    if (!wait_until([&] { return !process_alive(pid); }, std::chrono::seconds(10))) ::kill(pid, SIGKILL);
    wait_until([&] { return !process_alive(pid); }, std::chrono::seconds(5));
  }
  // Nor its files: every clone is another build tree, so folders under /tmp would pile up
  // (~150 MB a full run).
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

std::optional<PostgresCluster::SharedState> PostgresCluster::read_shared_state(const fs::path& file) {
  std::ifstream in(file);
  SharedState state;
  std::string dir;
  if (!(in >> state.port) || !(in >> dir) || state.port <= 0) return std::nullopt;
  state.dir = dir;
  return state;
}

void PostgresCluster::require_own(const char* what) const {
  if (shared_) {
    throw std::logic_error(std::string("PostgresCluster::") + what +
                           " on the run's shared server: construct the cluster with Server::own");
  }
}

std::string PostgresCluster::dsn() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database_;
}

void PostgresCluster::run_as_postgres(const std::vector<std::string>& argv, const std::string& what) const {
  std::vector<std::string> full = {"/usr/sbin/runuser", "-u", "postgres", "--"};  // execve: no PATH search
  full.insert(full.end(), argv.begin(), argv.end());
  // Run from the cluster's folder: postgres tools fail when they cannot enter the cwd.
  RunResult result = run(full, std::chrono::seconds(120), {.env = {}, .cwd = dir_, .stdin_text = ""});
  if (result.code != 0) {
    throw std::runtime_error(what + " failed (exit " + std::to_string(result.code) + "): " + result.err + result.out);
  }
}

int PostgresCluster::postmaster_pid() const { return postmaster_pid_in(data_); }

bool PostgresCluster::running() const { return process_alive(postmaster_pid()); }

void PostgresCluster::start() {
  require_own("start");
  run_as_postgres({(bin_dir / "pg_ctl").string(), "-D", data_.string(), "-l", (data_ / "server.log").string(), "-w",
                   "-t", "60", "start"},
                  "pg_ctl start");
}

void PostgresCluster::stop(bool immediate) {
  require_own("stop");
  run_as_postgres({(bin_dir / "pg_ctl").string(), "-D", data_.string(), "-m", immediate ? "immediate" : "fast", "-w",
                   "-t", "60", "stop"},
                  "pg_ctl stop");
}

std::vector<PostgresCluster::Row> PostgresCluster::query_in(const std::string& database, const std::string& sql) const {
  RunResult result = run({(bin_dir / "psql").string(),
                          "-X",
                          "-q",
                          "-A",
                          "-t",
                          "-v",
                          "ON_ERROR_STOP=1",
                          "-F",
                          "\x1f",
                          "-R",
                          "\x1e",
                          "-h",
                          "127.0.0.1",
                          "-p",
                          std::to_string(port_),
                          "-U",
                          "postgres",
                          "-d",
                          database,
                          "-c",
                          sql},
                         std::chrono::seconds(60));
  if (result.code != 0) {
    // CREATE DATABASE runs before the database exists: retry against the maintenance db.
    if (result.err.find("database \"" + database + "\" does not exist") != std::string::npos) {
      result = run({(bin_dir / "psql").string(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                    "-p", std::to_string(port_), "-U", "postgres", "-d", "postgres", "-c", sql},
                   std::chrono::seconds(60));
    }
    if (result.code != 0) throw std::runtime_error("psql: " + sql + ": " + result.err);
  }
  std::string text = result.out;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\x1e')) text.pop_back();
  std::vector<Row> rows;
  if (text.empty()) return rows;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\x1e', start);
    std::string record = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    Row row;
    std::size_t field_start = 0;
    while (true) {
      std::size_t field_end = record.find('\x1f', field_start);
      row.push_back(
          record.substr(field_start, field_end == std::string::npos ? std::string::npos : field_end - field_start));
      if (field_end == std::string::npos) break;
      field_start = field_end + 1;
    }
    rows.push_back(std::move(row));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return rows;
}

std::string PostgresCluster::scalar(const std::string& sql) const {
  auto rows = query(sql);
  return rows.empty() || rows[0].empty() ? std::string() : rows[0][0];
}

}  // namespace sluice::test
