// The PostgreSQL server that the storage tests of one ctest run share (a ctest fixture:
// tests/CMakeLists.txt). `start STATE` makes a throwaway cluster and writes its port and
// folder to STATE; `stop STATE` ends it by pid and removes its folder. Every test that uses it
// gets a database of its own (PostgresCluster in shared mode), so one initdb serves the run
// instead of one per test case.
#include <iostream>
#include <string>

#include "support/postgres_cluster.hpp"
#include "support/process.hpp"

int main(int argc, char** argv) {
  using sluice::test::PostgresCluster;
  const std::string usage = "usage: sluice_test_postgres start|stop STATE_FILE";
  if (argc != 3) {
    std::cerr << usage << "\n";
    return 2;
  }
  const std::string command = argv[1];
  const std::filesystem::path state = argv[2];
  try {
    if (command == "start") {
      PostgresCluster cluster("shared", "sluice_shared", PostgresCluster::Server::own);
      cluster.detach();  // outlives this process: `stop` ends it
      sluice::test::write_file(state, std::to_string(cluster.port()) + "\n" + cluster.dir().string() + "\n");
      std::cout << "shared PostgreSQL on 127.0.0.1:" << cluster.port() << " in " << cluster.dir().string() << "\n";
      return 0;
    }
    if (command == "stop") {
      auto shared = PostgresCluster::read_shared_state(state);
      if (!shared) {
        std::cout << "no shared PostgreSQL recorded in " << state.string() << "\n";
        return 0;
      }
      PostgresCluster::stop_server(shared->dir);
      std::filesystem::remove(state);
      std::cout << "stopped the shared PostgreSQL in " << shared->dir.string() << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "sluice_test_postgres " << command << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << usage << "\n";
  return 2;
}
