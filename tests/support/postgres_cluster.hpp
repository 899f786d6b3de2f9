// A throwaway PostgreSQL 15 cluster for one test: initdb into a scratch folder, run as the
// `postgres` user (tests run as root, and PostgreSQL refuses root), listening on a free TCP
// port on 127.0.0.1 and on a socket inside the folder. Nothing depends on a server someone
// left running, and nothing outlives the test: the destructor stops it by its pid.
//
// Shared mode: under ctest, the storage tests that never stop the server nor look beyond their
// own database find SLUICE_TEST_POSTGRES set (the state file of the server the run shares,
// tests/support/tools/shared_postgres.cpp). They then get a database of their own in that
// server, dropped by the destructor, instead of an initdb each.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sluice::test {

class PostgresCluster {
 public:
  using Row = std::vector<std::string>;
  // own: a server of this object's own (a test that stops it, or counts every session).
  // shared_if_available: the run's shared server when SLUICE_TEST_POSTGRES names one.
  enum class Server { shared_if_available, own };

  // Creates and starts the cluster (or joins the shared one) and creates a database named
  // after `database` (exactly `database` in an own server; made unique in a shared one).
  explicit PostgresCluster(const std::string& name = "postgres", const std::string& database = "sluice_test",
                           Server server = Server::shared_if_available);
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // postgresql://postgres@127.0.0.1:PORT/DATABASE (trust authentication).
  std::string dsn() const;
  int port() const { return port_; }
  const std::string& database() const { return database_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Runs one statement with psql; returns its rows (NULL as ""). Throws std::runtime_error
  // with psql's message when the statement fails.
  std::vector<Row> query(const std::string& sql) const { return query_in(database_, sql); }
  // The same in another database of this cluster.
  std::vector<Row> query_in(const std::string& database, const std::string& sql) const;
  // The first column of the first row ("" if none).
  std::string scalar(const std::string& sql) const;

  // A name for another database of this test in the same server ("<database>_<suffix>"):
  // unique in a shared server too, and dropped with this object's.
  std::string database_name(const std::string& suffix) const { return database_ + "_" + suffix; }

  // Stops the server (immediate: like a crash, no checkpoint) and starts it again on the
  // same port and data. Only an own server (std::logic_error otherwise).
  void stop(bool immediate = true);
  void start();
  bool running() const;

  // The destructor leaves the server running and its folder in place (the shared server's
  // start command); stop_server() ends it later.
  void detach() { detached_ = true; }
  // Ends the server of the cluster folder `dir` by its pid and removes the folder.
  static void stop_server(const std::filesystem::path& dir);
  struct SharedState {
    int port = 0;
    std::filesystem::path dir;
  };
  static std::optional<SharedState> read_shared_state(const std::filesystem::path& file);

 private:
  void start_own(const std::string& name);
  void join_shared(const SharedState& state);
  void require_own(const char* what) const;
  void run_as_postgres(const std::vector<std::string>& argv, const std::string& what) const;
  int postmaster_pid() const;

  std::filesystem::path dir_;
  std::filesystem::path data_;
  std::filesystem::path socket_dir_;
  std::string database_;
  int port_ = 0;
  bool shared_ = false;
  bool detached_ = false;
};

}  // namespace sluice::test
