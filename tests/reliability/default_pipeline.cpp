#include "default_pipeline.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace sluice::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A configured librdkafka consumer handle that never subscribes: only metadata, watermark
// and committed-offset queries go through it.
struct KafkaClient {
  rd_kafka_t* handle = nullptr;
  KafkaClient(const std::string& brokers, const std::string& group) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[512];
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "group.id", group.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);  // refused connections in outages: expected
    rd_kafka_conf_set(conf, "socket.timeout.ms", "5000", error, sizeof error);
    handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (!handle) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("rd_kafka_new: ") + error);
    }
  }
  ~KafkaClient() {
    if (handle) {
      rd_kafka_destroy_flags(handle, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
  }
  KafkaClient(const KafkaClient&) = delete;
  KafkaClient& operator=(const KafkaClient&) = delete;
};

std::string tail(const std::string& text, std::size_t n) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

std::optional<long long> to_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

HttpReply http_get(int port, const std::string& target, std::chrono::milliseconds timeout,
                   const std::map<std::string, std::string>& request_headers) {
  HttpReply reply;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
  };
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return reply;
  }
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t len = sizeof error;
  if (poll(&p, 1, remaining_ms()) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    ::close(fd);
    return reply;
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : request_headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return reply;
  }
  std::string data;
  std::optional<std::size_t> body_at;
  std::optional<std::size_t> content_length;
  std::string head;
  while (true) {
    if (body_at && content_length && data.size() >= *body_at + *content_length) break;
    pollfd in{fd, POLLIN, 0};
    if (poll(&in, 1, remaining_ms()) != 1) break;
    char buffer[16384];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    if (!body_at) {
      auto end = data.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      body_at = end + 4;
      head = data.substr(0, end);
      std::string lower = head;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto cl = lower.find("\r\ncontent-length:");
      if (cl != std::string::npos) content_length = std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
    }
  }
  ::close(fd);
  if (!body_at || data.rfind("HTTP/1.", 0) != 0 || data.size() < 12) return reply;
  if (content_length && data.size() < *body_at + *content_length) return reply;  // cut short
  reply.status = std::atoi(data.c_str() + 9);
  // Header lines after the status line: "Name: value".
  for (std::size_t at = head.find("\r\n"); at != std::string::npos;) {
    std::size_t next = head.find("\r\n", at + 2);
    std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value_at = line.find_first_not_of(' ', colon + 1);
      reply.headers[name] = value_at == std::string::npos ? std::string() : line.substr(value_at);
    }
    at = next;
  }
  reply.body = data.substr(*body_at, content_length ? *content_length : std::string::npos);
  return reply;
}

std::mt19937_64 seeded_rng() {
  std::uint64_t seed = 0;
  if (const char* given = std::getenv("SLUICE_TEST_SEED")) {
    seed = std::strtoull(given, nullptr, 10);
  } else {
    std::random_device entropy;
    seed = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
  }
  std::cout << "random seed " << seed << " (replay with SLUICE_TEST_SEED=" << seed << ")" << std::endl;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return std::mt19937_64(seed);
}

DefaultPipeline::DefaultPipeline(Options options) : options_(std::move(options)) {
  dir_ = scratch_dir(options_.name);
  group_ = "sluice-" + options_.name;
  http_port_ = free_port();
  // A server of its own: the tests stop it, and count every `sluice` session in it.
  db_ = std::make_unique<PostgresCluster>(options_.name + "-db", "orders_db", PostgresCluster::Server::own);
  broker_ = std::make_unique<Broker>(Broker::Options{{topic_ + ":" + std::to_string(options_.partitions)}, 1});
  pipeline_file_ = source_dir() / "config/pipeline.yaml";
  if (options_.own_pipeline_file && options_.source_config.empty()) {
    const std::filesystem::path copy = dir_ / "pipeline.yaml";
    write_file(copy, read_file(pipeline_file_));
    pipeline_file_ = copy;
  }
  if (!options_.source_config.empty()) {
    // The source's config keys are indented by four spaces and heartbeat_interval_ms is one
    // of them: the extra keys go right after it.
    std::string text = read_file(pipeline_file_);
    const std::string anchor = "\n    heartbeat_interval_ms:";
    auto at = text.find(anchor);
    if (at == std::string::npos) throw std::runtime_error("config/pipeline.yaml: no kafka heartbeat_interval_ms key");
    at = text.find('\n', at + 1);
    std::string extra;
    for (const auto& [key, value] : options_.source_config) extra += "\n    " + key + ": " + value;
    text.insert(at, extra);
    pipeline_file_ = dir_ / "pipeline.yaml";
    write_file(pipeline_file_, text);
  }
}

DefaultPipeline::~DefaultPipeline() {
  // Whatever still runs is killed by pid: the Process destructors SIGKILL their child.
  for (auto& run : runs_) {
    if (run->running()) run->kill();
  }
  broker_.reset();
  db_.reset();
}

Process::Options DefaultPipeline::run_options(int port, const std::map<std::string, std::string>& extra_env) const {
  Process::Options options;
  options.env = {
      {"KAFKA_BROKERS", broker_->address()},
      // `sluice broker` holds every idle fetch for the whole wait (the demo sets the same).
      {"KAFKA_FETCH_WAIT_MAX_MS", "10"},
      {"KAFKA_TOPIC", topic_},
      {"KAFKA_GROUP", group_},
      {"DATABASE_URL", db_->dsn()},
      {"HTTP_LISTEN", "127.0.0.1:" + std::to_string(port)},
      // Orders by id without a token, as the demo serves them (on loopback).
      {"READ_AUTH", "open"},
  };
  if (options_.session_timeout_ms) {
    options.env["KAFKA_SESSION_TIMEOUT_MS"] = std::to_string(*options_.session_timeout_ms);
    options.env["KAFKA_HEARTBEAT_INTERVAL_MS"] = std::to_string(options_.heartbeat_interval_ms);
  }
  for (const auto& [key, value] : options_.env) options.env[key] = value;
  for (const auto& [key, value] : extra_env) options.env[key] = value;
  // The repository root, where the shipped pipeline's relative folders (web/, sql/) are.
  options.cwd = source_dir();
  return options;
}

Process& DefaultPipeline::launch(int port, const std::map<std::string, std::string>& extra_env) {
  runs_.push_back(
      std::make_unique<Process>(std::vector<std::string>{sluice_binary().string(), "run", pipeline_file_.string()},
                                run_options(port, extra_env)));
  ports_.push_back(port);
  return *runs_.back();
}

RunResult DefaultPipeline::cli(std::vector<std::string> args, const std::map<std::string, std::string>& env) {
  args.insert(args.begin(), sluice_binary().string());
  args.push_back(pipeline_file_.string());
  return run(std::move(args), 60s, run_options(free_port(), env));
}

bool DefaultPipeline::start() {
  if (running()) throw std::logic_error("DefaultPipeline::start while the previous run is still running");
  Process& p = launch(http_port_, {});
  return static_cast<bool>(wait_while_running(
      p, [&] { return http_get(http_port_, "/healthz", 1s).status != 0; }, 60s, 50ms));
}

std::optional<std::size_t> DefaultPipeline::start_member(const std::map<std::string, std::string>& env) {
  const int port = free_port();
  Process& p = launch(port, env);
  const std::size_t index = runs_.size() - 1;
  const bool up = static_cast<bool>(wait_while_running(
      p, [&] { return http_get(port, "/healthz", 1s).status != 0; }, 60s, 50ms));
  return up ? std::optional<std::size_t>(index) : std::nullopt;
}

void DefaultPipeline::kill9() {
  if (!runs_.empty()) runs_.back()->kill();
}

std::optional<int> DefaultPipeline::terminate(std::chrono::milliseconds timeout) {
  if (runs_.empty()) return std::nullopt;
  runs_.back()->signal(SIGTERM);
  return runs_.back()->wait(timeout);
}

std::string DefaultPipeline::logs() const {
  std::string text;
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    text += "\n--- sluice run #" + std::to_string(i + 1) + " (pid " + std::to_string(runs_[i]->pid()) +
            ") stderr ---\n" + tail(runs_[i]->err(), 6000);
  }
  return text;
}

std::unique_ptr<Process> DefaultPipeline::publish(int count, const std::string& prefix, int rate, int version) {
  std::vector<std::string> argv{
      sluice_binary().string(), "publish",  "--brokers", broker_->address(), "--topic", topic_, "--count",
      std::to_string(count),    "--prefix", prefix,      "--timeout",        "180"};
  if (rate > 0) {
    argv.push_back("--rate");
    argv.push_back(std::to_string(rate));
  }
  if (version > 0) {
    argv.push_back("--order-version");
    argv.push_back(std::to_string(version));
  }
  return std::make_unique<Process>(std::move(argv));
}

std::string DefaultPipeline::order_version_sql() {
  return "coalesce((substring(orders.track_number from '-v([0-9]+)$'))::bigint, 0)";
}

std::optional<long long> DefaultPipeline::stored() {
  try {
    return to_number(db_->scalar("SELECT count(*) FROM orders"));
  } catch (const std::exception&) {
    return std::nullopt;  // down, or the schema not there yet
  }
}

std::optional<Offsets> DefaultPipeline::stored_offsets() {
  try {
    Offsets out;
    for (const auto& row : db_->query("SELECT partition, next_offset FROM offsets WHERE stream = '" + topic_ + "'")) {
      out[static_cast<std::int32_t>(std::stoi(row.at(0)))] = std::stoll(row.at(1));
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<Offsets> DefaultPipeline::end_offsets() {
  KafkaClient client(broker_->address(), group_ + "-observer");
  Offsets out;
  for (std::int32_t p = 0; p < options_.partitions; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(client.handle, topic_.c_str(), p, &low, &high, 5000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return std::nullopt;
    }
    out[p] = high;
  }
  return out;
}

std::optional<Offsets> DefaultPipeline::committed_offsets() {
  KafkaClient client(broker_->address(), group_);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(options_.partitions);
  for (std::int32_t p = 0; p < options_.partitions; ++p) rd_kafka_topic_partition_list_add(list, topic_.c_str(), p);
  std::optional<Offsets> out;
  if (rd_kafka_committed(client.handle, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    out.emplace();
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].err) {
        out.reset();
        break;
      }
      (*out)[list->elems[i].partition] = list->elems[i].offset;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

long long DefaultPipeline::replaced_orders() {
  // A backend flushes its statistics when it exits; sessions of a killed client end when the
  // server notices the closed socket.
  wait_until(
      [&] {
        try {
          return db_->scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluice'") == "0";
        } catch (const std::exception&) {
          return false;
        }
      },
      30s, 100ms);
  return to_number(db_->scalar("SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'orders'")).value_or(-1);
}

bool DefaultPipeline::wait_caught_up(long long n, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto count = stored();
        if (!count || *count < n) return false;
        auto mine = stored_offsets();
        auto ends = end_offsets();
        return mine && ends && *mine == *ends;
      },
      timeout, 250ms);
}

long long DefaultPipeline::items_per_order() {
  static const long long n = static_cast<long long>(
      nlohmann::json::parse(read_file(source_dir() / "tests/fixtures/model.json")).at("items").size());
  return n;
}

void DefaultPipeline::expect_exactly_once(const std::string& prefix, long long n) {
  const std::string N = std::to_string(n);
  auto& db = *db_;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM orders"), N) << logs();
  EXPECT_EQ(db.scalar("SELECT count(DISTINCT order_uid) FROM orders"), N);
  // Exactly PREFIX-1 .. PREFIX-N: nothing lost, nothing foreign.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM orders o JOIN generate_series(1, " + N + ") g ON o.order_uid = '" + prefix +
                      "-' || g"),
            N);
  // Every order complete: its delivery, payment and all its items (no partial transaction).
  EXPECT_EQ(db.scalar("SELECT count(*) FROM deliveries"), N);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM payments"), N);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM items"), std::to_string(n * items_per_order()));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE "
                      "d.order_uid = o.order_uid) OR NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_uid = "
                      "o.order_uid) OR (SELECT count(*) FROM items i WHERE i.order_uid = o.order_uid) <> "
                      "json_array_length(o.document -> 'items')"),
            "0");
  // Positions kept with the data have reached the end of every partition.
  auto mine = stored_offsets();
  auto ends = end_offsets();
  ASSERT_TRUE(mine && ends);
  EXPECT_EQ(*mine, *ends) << "stored offsets (partition -> next) differ from the broker's end offsets";
  EXPECT_GE(sum(*ends), n) << "fewer messages in the topic than orders published";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM dead_letters"), "0");
}

long long sum(const Offsets& offsets) {
  long long total = 0;
  for (const auto& [partition, offset] : offsets) total += offset;
  return total;
}

}  // namespace sluice::test
