// A throwaway PostgreSQL 15 cluster for one test: initdb into a scratch folder, run as the
// `postgres` user (tests run as root, and PostgreSQL refuses root), listening on a free TCP
// port on 127.0.0.1 and on a socket inside the folder. Nothing depends on a server someone
// left running, and nothing outlives the test: the destructor stops it by its pid.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sluice::test {

class PostgresCluster {
 public:
  using Row = std::vector<std::string>;

  // Creates and starts the cluster in scratch_dir(name) and creates `database`.
  explicit PostgresCluster(const std::string& name = "postgres",
                           const std::string& database = "sluice_test");
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

  // Stops the server (immediate: like a crash, no checkpoint) and starts it again on the
  // same port and data.
  void stop(bool immediate = true);
  void start();
  bool running() const;

 private:
  void run_as_postgres(const std::vector<std::string>& argv, const std::string& what) const;
  int postmaster_pid() const;

  std::filesystem::path dir_;
  std::filesystem::path data_;
  std::filesystem::path socket_dir_;
  std::string database_;
  int port_ = 0;
};

}  // namespace sluice::test
