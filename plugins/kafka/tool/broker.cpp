// sluice broker: librdkafka's in-memory Kafka-protocol cluster (rdkafka_mock.h) as a process of
// its own, for demos and tests. Real wire protocol and consumer groups, reachable by any Kafka
// client; in memory only, not durable, about 5 MiB retained per partition (older records are
// dropped). Use real Kafka (compose/) in production.
//
// Fault injection for tests and demos: SIGUSR1 takes every broker down (connections closed,
// new ones refused), SIGUSR2 brings them back. Each change is confirmed on stderr with a
// "brokers down" / "brokers up" line. `--fail-commits N` answers the first N OffsetCommit
// requests with errors, and SIGHUP makes the next 10 fail, each confirmed with a
// "next N offset commits fail" line: a consumer must retry its commits (or rejoin) and a
// pipeline that keeps positions with its data must stay effectively-once.
#include <librdkafka/rdkafka.h>
// rdkafka_mock.h must follow rdkafka.h.
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "kafka_handles.hpp"
#include "tool_commands.hpp"

namespace sluice::cli {
namespace {

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

struct BrokerOptions {
  std::vector<std::string> topics{"orders:4"};
  int broker_count = 1;
  std::string addr_file;
  int fail_commits = 0;
};

// OffsetCommit's Kafka API key; rdkafka_protocol.h (RD_KAFKAP_OffsetCommit) is not installed.
constexpr int16_t api_offset_commit = 8;
// Commit errors real clusters send, in turn: retriable ones (coordinator moved or busy, timeout)
// and group ones that make the consumer rejoin before committing again.
constexpr rd_kafka_resp_err_t commit_errors[] = {
    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
    RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
    RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
    RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
    RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
    RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
};
// Queued on every SIGHUP.
constexpr int commit_errors_per_signal = 10;

std::optional<TopicSpec> parse_topic(const std::string& text) {
  auto colon = text.rfind(':');
  TopicSpec spec;
  spec.name = text.substr(0, colon);
  if (colon != std::string::npos) {
    const char* first = text.data() + colon + 1;
    const char* last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, spec.partitions);
    if (ec != std::errc() || end != last || spec.partitions < 1 || spec.partitions > 1000) return std::nullopt;
  }
  if (spec.name.empty()) return std::nullopt;
  return spec;
}

// Written to a temporary name and renamed, so a reader polling for the file never sees half
// an address.
bool write_address_file(const std::string& path, const std::string& address) {
  std::filesystem::path target(path);
  std::filesystem::path temp = target;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << address << '\n';
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  return !ec;
}

void set_all_brokers(rd_kafka_mock_cluster_t* cluster, int broker_count, bool up) {
  for (int id = 1; id <= broker_count; ++id) {  // the mock numbers its brokers from 1
    if (up) {
      rd_kafka_mock_broker_set_up(cluster, id);
    } else {
      rd_kafka_mock_broker_set_down(cluster, id);
    }
  }
  std::cerr << "sluice broker: brokers " << (up ? "up" : "down") << std::endl;
}

void fail_offset_commits(rd_kafka_mock_cluster_t* cluster, int count) {
  std::vector<rd_kafka_resp_err_t> errors;
  constexpr std::size_t kinds = sizeof commit_errors / sizeof commit_errors[0];
  for (int i = 0; i < count; ++i) errors.push_back(commit_errors[static_cast<std::size_t>(i) % kinds]);
  rd_kafka_mock_push_request_errors_array(cluster, api_offset_commit, errors.size(), errors.data());
  std::cerr << "sluice broker: next " << count << " offset commits fail" << std::endl;
}

int run_broker(const BrokerOptions& options) {
  std::vector<TopicSpec> topics;
  for (const auto& text : options.topics) {
    auto spec = parse_topic(text);
    if (!spec) {
      std::cerr << "sluice broker: --topic expects NAME:PARTITIONS (1..1000), got '" << text << "'\n";
      return exit_usage;
    }
    topics.push_back(*spec);
  }

  // Block the signals before librdkafka starts its threads, so they inherit the mask and
  // sigwait below is the only place they are taken.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP}) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The mock cluster runs on the threads of a client handle; a producer that never produces
  // is the lightest one.
  ConfHandle conf(rd_kafka_conf_new());
  char error[512];
  // Its missing bootstrap.servers is expected here, not worth a notice on every start.
  rd_kafka_conf_set(conf.get(), "log_level", "4", error, sizeof error);
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
  if (!raw) {
    std::cerr << "sluice broker: " << error << '\n';
    return exit_failure;
  }
  conf.release();
  KafkaHandle handle(raw);
  auto destroy_cluster = [](rd_kafka_mock_cluster_t* c) { rd_kafka_mock_cluster_destroy(c); };
  std::unique_ptr<rd_kafka_mock_cluster_t, decltype(destroy_cluster)> cluster(
      rd_kafka_mock_cluster_new(handle.get(), options.broker_count), destroy_cluster);
  if (!cluster) {
    std::cerr << "sluice broker: cannot start the in-memory cluster\n";
    return exit_failure;
  }
  const int replication = std::min(options.broker_count, 3);
  for (const auto& topic : topics) {
    if (rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(cluster.get(), topic.name.c_str(), topic.partitions, replication)) {
      std::cerr << "sluice broker: cannot create topic " << topic.name << ": " << rd_kafka_err2str(err) << '\n';
      return exit_failure;
    }
  }

  if (options.fail_commits > 0) fail_offset_commits(cluster.get(), options.fail_commits);

  const std::string address = rd_kafka_mock_cluster_bootstraps(cluster.get());
  std::cout << address << std::endl;  // first line, flushed: scripts and tests wait for it
  if (!options.addr_file.empty() && !write_address_file(options.addr_file, address)) {
    std::cerr << "sluice broker: cannot write " << options.addr_file << '\n';
    return exit_failure;
  }
  std::cerr << "sluice broker: " << options.broker_count << " in-memory broker(s) at " << address << "; topics:";
  for (const auto& topic : topics) std::cerr << ' ' << topic.name << '(' << topic.partitions << ')';
  std::cerr << ". In memory only, not durable, ~5 MiB kept per partition. SIGUSR1/SIGUSR2: brokers down/up; SIGHUP: "
            << "the next " << commit_errors_per_signal << " offset commits fail." << std::endl;

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      set_all_brokers(cluster.get(), options.broker_count, false);
    } else if (sig == SIGUSR2) {
      set_all_brokers(cluster.get(), options.broker_count, true);
    } else if (sig == SIGHUP) {
      fail_offset_commits(cluster.get(), commit_errors_per_signal);
    } else {
      break;
    }
  }
  std::cerr << "sluice broker: stopping" << std::endl;
  if (!options.addr_file.empty()) std::filesystem::remove(options.addr_file);
  return exit_ok;
}

}  // namespace

Command add_broker_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("broker", std::string(tool_command("broker").summary));
  auto options = std::make_shared<BrokerOptions>();
  cmd->add_option("--topic", options->topics, "Topic to create, NAME:PARTITIONS (repeatable)")->capture_default_str();
  cmd->add_option("--broker-count", options->broker_count, "Number of brokers in the cluster")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  cmd->add_option("--addr-file", options->addr_file, "Also write the bootstrap address to this file");
  cmd->add_option("--fail-commits", options->fail_commits,
                  "Fault injection: answer the first N OffsetCommit requests with errors (request timed "
                  "out, not coordinator, coordinator loading, rebalance in progress, coordinator not "
                  "available, unknown member id, in turn); SIGHUP queues 10 more")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  return {cmd, [options] { return run_broker(*options); }};
}

}  // namespace sluice::cli
