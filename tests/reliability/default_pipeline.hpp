// The default pipeline (config/pipeline.yaml: kafka -> order_validate -> postgres -> memory
// cache -> rest) as the product runs it, for the reliability tests: a throwaway PostgreSQL 15
// cluster, a `sluice broker`, and `sluice run config/pipeline.yaml` with its environment
// (KAFKA_BROKERS, DATABASE_URL, HTTP_LISTEN, KAFKA_GROUP, KAFKA_SESSION_TIMEOUT_MS, ...)
// pointing at them. The pipeline file is the shipped one, unchanged; by default the session
// timeout is shortened through its variable (quick evictions keep the rebalance tests short);
// Options::session_timeout_ms = nullopt leaves it, and the heartbeat, at the shipped defaults.
// (A test may add kafka source keys the file does not expose as variables:
// Options::source_config; the runs then use a copy with those lines.)
// (A live-reload test rewrites the file: Options::own_pipeline_file gives the runs a copy in
// the scratch folder, pipeline_file().)
//
// Besides starting and ending things (always by pid), it answers the questions the tests
// assert on: what PostgreSQL holds, the broker's end offsets (high watermarks) and the
// group's committed offsets (through librdkafka, as any Kafka client would ask).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "support/broker.hpp"
#include "support/postgres_cluster.hpp"
#include "support/process.hpp"

namespace sluice::test {

// One HTTP/1.1 GET on a fresh connection; status 0 when nothing answered within `timeout`.
struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};
HttpReply http_get(int port, const std::string& target, std::chrono::milliseconds timeout = std::chrono::seconds(3),
                   const std::map<std::string, std::string>& request_headers = {});

// Milliseconds since `t`, for the timings the tests print and assert.
inline long long ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}

// A random generator whose seed is printed (and can be set with SLUICE_TEST_SEED), so a
// failing run's "random moments" can be replayed.
std::mt19937_64 seeded_rng();

using Offsets = std::map<std::int32_t, std::int64_t>;  // partition -> offset
// Messages up to these offsets, over all partitions.
long long sum(const Offsets& offsets);

class DefaultPipeline {
 public:
  struct Options {
    std::string name = "default-pipeline";  // scratch folder and group names derive from it
    int partitions = 4;
    // nullopt: KAFKA_SESSION_TIMEOUT_MS and KAFKA_HEARTBEAT_INTERVAL_MS stay unset, so the
    // pipeline runs with the shipped defaults (what a user gets).
    std::optional<int> session_timeout_ms = 4000;
    int heartbeat_interval_ms = 500;
    // Added to the environment of every `sluice run` (e.g. a pipeline variable a test needs).
    std::map<std::string, std::string> env = {};
    // Keys added to the kafka source's config (KEY -> YAML value), for a setting the shipped
    // pipeline does not expose as a variable. Non-empty: the runs use a copy of
    // config/pipeline.yaml with these lines added to the source's config, nothing else changed.
    std::map<std::string, std::string> source_config = {};
    // The runs use a copy of config/pipeline.yaml in the scratch folder (pipeline_file()),
    // which the test may rewrite while they run (live reload: SIGHUP).
    bool own_pipeline_file = false;
  };

  explicit DefaultPipeline(Options options);
  ~DefaultPipeline();
  DefaultPipeline(const DefaultPipeline&) = delete;
  DefaultPipeline& operator=(const DefaultPipeline&) = delete;

  PostgresCluster& db() { return *db_; }
  Broker& broker() { return *broker_; }
  const std::string& topic() const { return topic_; }
  const std::string& group() const { return group_; }
  int http_port() const { return http_port_; }  // of the runs start() makes
  // The pipeline file the runs use: config/pipeline.yaml, or the scratch copy.
  const std::filesystem::path& pipeline_file() const { return pipeline_file_; }

  // Starts a new `sluice run` (a previous one must have ended). Returns once the REST api
  // answers (any status), or false if the process exited or did not get there in 60 s.
  bool start();
  Process& process() { return *runs_.back(); }
  bool running() { return !runs_.empty() && runs_.back()->running(); }
  // Polls `condition` while the latest run lives; fails at once, with its exit status and
  // stderr, when it exits (wait_while_running).
  ::testing::AssertionResult wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                                      std::chrono::milliseconds step = std::chrono::milliseconds(50)) {
    if (runs_.empty()) return ::testing::AssertionFailure() << "no sluice run was started";
    return wait_while_running(*runs_.back(), condition, timeout, step);
  }
  pid_t pid() const { return runs_.empty() ? -1 : runs_.back()->pid(); }
  // SIGKILL by pid and reap.
  void kill9();
  // SIGTERM by pid; the exit code, or nullopt if it did not exit within `timeout` (then it
  // is still running).
  std::optional<int> terminate(std::chrono::milliseconds timeout);
  // Stderr of every `sluice run` so far, oldest first, for failure messages (the last 6000
  // characters of each run).
  std::string logs() const;
  std::size_t runs() const { return runs_.size(); }

  // Scaling out: one more `sluice run` in the same group, on the same broker and database,
  // alongside whatever runs already, with an HTTP port of its own and `env` added to its
  // environment. Returns its run index (for member(), http_port_of()) once its REST api
  // answers, or nullopt if it exited or did not get there in 60 s.
  std::optional<std::size_t> start_member(const std::map<std::string, std::string>& env = {});
  Process& member(std::size_t run) { return *runs_.at(run); }
  int http_port_of(std::size_t run) const { return ports_.at(run); }

  // `sluice ARGS... PIPELINE_FILE` (an operator command such as `positions show`) with the
  // environment the runs get (`env` added), from the repository root; waits at most 60 s.
  RunResult cli(std::vector<std::string> args, const std::map<std::string, std::string>& env = {});

  // `sluice publish --count N --prefix P [--rate R] [--order-version V]` in the background
  // (delivery timeout 180 s, so a broker outage is waited out rather than reported as failed
  // deliveries). Version V > 0 marks the orders' track_number "...-vV": publishing the same
  // prefix with a higher V sends newer versions of the same orders (see order_version()).
  std::unique_ptr<Process> publish(int count, const std::string& prefix, int rate = 0, int version = 0);
  // The SQL expression of a stored order's version (0 when unmarked), over table `orders`.
  static std::string order_version_sql();

  // Orders stored; nullopt while the database does not answer.
  std::optional<long long> stored();
  // offsets table rows for the topic (partition -> next offset to read).
  std::optional<Offsets> stored_offsets();
  // The broker's high watermarks (the end offsets); nullopt if it did not answer.
  std::optional<Offsets> end_offsets();
  // The consumer group's committed offsets (-1001, librdkafka's INVALID, when none).
  std::optional<Offsets> committed_offsets();
  // Orders deleted from `orders` (pg_stat_user_tables.n_tup_del): the postgres sink deletes
  // an order only to replace it, so this counts orders written more than once. Waits until
  // no pipeline session is left, so every backend has flushed its statistics.
  long long replaced_orders();

  // Waits until `n` orders are stored and the stored offsets equal the end offsets.
  bool wait_caught_up(long long n, std::chrono::milliseconds timeout);

  // The end state every case asserts (gtest EXPECTs, with the pipeline's logs on failure):
  // exactly the orders PREFIX-1..PREFIX-N, each once, each with its delivery, payment and
  // item rows; stored offsets = end offsets; nothing dead-lettered.
  void expect_exactly_once(const std::string& prefix, long long n);

  // Items per generated order (those of the sample `sluice publish` builds orders from).
  static long long items_per_order();

 private:
  Options options_;
  std::filesystem::path dir_;
  std::string topic_ = "orders";
  std::string group_;
  int http_port_ = 0;
  std::unique_ptr<PostgresCluster> db_;
  std::unique_ptr<Broker> broker_;
  std::vector<std::unique_ptr<Process>> runs_;
  std::vector<int> ports_;               // HTTP port of each run
  std::filesystem::path pipeline_file_;  // the shipped one, or a copy with source_config

  Process& launch(int port, const std::map<std::string, std::string>& extra_env);
  Process::Options run_options(int port, const std::map<std::string, std::string>& extra_env) const;
};

}  // namespace sluice::test
