// sluice publish: sends orders to a Kafka topic (the built-in sample, an NDJSON file, or N
// generated distinct orders), optionally rate-limited. Prints the position of every message
// delivered on stdout (one per line, `orders/3@1234`, or JSON with --json): that is the
// read-your-writes token GET /order accepts in Sluice-Min-Position. Progress and the summary
// go to stderr, so `pos=$(sluice publish ... | tail -1)` captures a token and nothing else.
// Exits non-zero if any message failed.
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kafka_orders.hpp"
#include "kafka_publisher.hpp"

namespace sluice::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct PublishOptions {
  std::string brokers;
  std::string topic = "orders";
  bool sample = false;
  std::string file;
  std::uint64_t count = 0;
  std::string prefix;
  std::uint64_t version = 0;  // 0: no version marker
  double rate = 0;  // messages per second, 0: as fast as possible
  int timeout_s = 60;
  std::vector<std::string> properties;  // KEY=VALUE
  bool json = false;                     // positions as JSON lines
};

// One stdout line per delivered message. The token form is what Sluice-Min-Position takes:
// stream/partition@offset with the message's own offset.
void print_delivery(const Delivery& d, bool json) {
  std::string position = std::string(d.topic) + '/' + std::to_string(d.partition) + '@' + std::to_string(d.offset);
  if (json) {
    nlohmann::ordered_json line{{"topic", d.topic}, {"partition", d.partition}, {"offset", d.offset},
                        {"key", d.key}, {"position", position}};
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cout << position << '\n';
  }
}

// Produces the messages to send one at a time; nullopt when there are no more.
using MessageSource = std::function<std::optional<KeyedMessage>()>;

MessageSource file_source(std::istream& in) {
  return [&in]() -> std::optional<KeyedMessage> {
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
      // Keyed by order_uid when the line is an order, so the partition follows the order.
      return KeyedMessage{order_key(line).value_or(""), std::move(line)};
    }
    return std::nullopt;
  };
}

class Progress {
 public:
  explicit Progress(std::optional<std::uint64_t> total) : total_(total) {}
  // Prints at most once a second, and only once the run has lasted a second.
  void maybe_print(const Publisher& publisher) {
    auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    std::cerr << "sluice publish: sent " << publisher.sent();
    if (total_) std::cerr << '/' << *total_;
    std::cerr << ", delivered " << publisher.delivered() << ", failed " << publisher.failed() << std::endl;
  }

 private:
  std::optional<std::uint64_t> total_;
  Clock::time_point last_ = Clock::now();
};

int run_publish(const PublishOptions& o) {
  if (!o.prefix.empty() && !valid_order_prefix(o.prefix)) {
    std::cerr << "sluice publish: --prefix must be 1.." << max_order_prefix << " characters of [A-Za-z0-9_-]\n";
    return exit_usage;
  }
  Publisher::Options po;
  po.brokers = o.brokers;
  po.topic = o.topic;
  po.delivery_timeout = std::chrono::seconds(o.timeout_s);
  po.on_delivered = [json = o.json](const Delivery& d) { print_delivery(d, json); };
  for (const auto& kv : o.properties) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "sluice publish: --property expects KEY=VALUE, got '" << kv << "'\n";
      return exit_usage;
    }
    po.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
  }

  std::ifstream file_stream;
  std::optional<OrderGenerator> generator;
  std::optional<std::uint64_t> total;
  MessageSource next;
  if (o.sample) {
    total = 1;
    next = [done = false]() mutable -> std::optional<KeyedMessage> {
      if (done) return std::nullopt;
      done = true;
      return sample_order_message();
    };
  } else if (!o.file.empty()) {
    if (o.file == "-") {
      next = file_source(std::cin);
    } else {
      file_stream.open(o.file);
      if (!file_stream) {
        std::cerr << "sluice publish: cannot read " << o.file << '\n';
        return exit_failure;
      }
      next = file_source(file_stream);
    }
  } else {
    total = o.count;
    std::string prefix = o.prefix.empty() ? random_order_prefix() : o.prefix;
    generator.emplace(prefix, o.version ? std::optional<std::uint64_t>(o.version) : std::nullopt);
    next = [&generator, &o]() -> std::optional<KeyedMessage> {
      if (generator->generated() >= o.count) return std::nullopt;
      return generator->next();
    };
    std::cerr << "sluice publish: " << o.count << " order(s), order_uid " << prefix << "-1 to " << prefix << "-"
              << o.count;
    if (o.version) std::cerr << ", version " << o.version;
    std::cerr << std::endl;
  }

  std::unique_ptr<Publisher> publisher;
  try {
    publisher = std::make_unique<Publisher>(po);
  } catch (const std::exception& e) {
    std::cerr << "sluice publish: " << e.what() << '\n';
    return exit_usage;
  }

  Progress progress(total);
  const auto start = Clock::now();
  std::uint64_t refused = 0;
  std::string refusal;
  while (auto message = next()) {
    if (o.rate > 0) {
      // Paced against the start, so a slow moment is caught up and the average holds.
      auto due = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(static_cast<double>(publisher->sent() + refused) / o.rate));
      while (Clock::now() < due) {
        // Rounded up: a sub-millisecond wait truncated to 0 would spin a whole core.
        publisher->serve(std::chrono::ceil<std::chrono::milliseconds>(due - Clock::now()));
      }
    }
    std::string error;
    if (!publisher->send(*message, error)) {
      ++refused;
      if (refusal.empty()) refusal = error;
    }
    progress.maybe_print(*publisher);
  }
  // Delivery reports for everything still queued; the delivery timeout bounds the wait.
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s) + std::chrono::seconds(5);
  while (publisher->outstanding() > 0 && Clock::now() < deadline) {
    publisher->flush_until(std::min(deadline, Clock::now() + std::chrono::seconds(1)));
    progress.maybe_print(*publisher);
  }

  const std::uint64_t attempted = publisher->sent() + refused;
  const std::uint64_t failed = attempted - publisher->delivered();
  std::cout.flush();  // every position before the summary, for anyone reading both streams
  std::cerr << "sluice publish: delivered " << publisher->delivered() << " of " << attempted << " message(s) to "
            << o.topic << std::endl;
  if (failed > 0) {
    std::string why = !publisher->first_error().empty() ? publisher->first_error()
                      : !refusal.empty()                ? refusal
                                                        : "no delivery report before the timeout";
    std::cerr << "sluice publish: " << failed << " message(s) not delivered: " << why << '\n';
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace

Command add_publish_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("publish",
                                 "Publish orders to Kafka: the built-in sample, an NDJSON file, or N generated "
                                 "distinct orders. Prints each delivered message's position (topic/partition@offset, the "
                                 "token GET /order accepts in Sluice-Min-Position) on stdout, one a line; progress "
                                 "and the summary on stderr. Exits 1 if any failed.");
  auto o = std::make_shared<PublishOptions>();
  const char* env_brokers = std::getenv("KAFKA_BROKERS");
  o->brokers = env_brokers && *env_brokers ? env_brokers : "localhost:9092";
  cmd->add_option("--brokers", o->brokers, "Bootstrap servers (default: $KAFKA_BROKERS or localhost:9092)")
      ->capture_default_str();
  cmd->add_option("--topic", o->topic, "Topic to publish to")->capture_default_str();
  auto* what = cmd->add_option_group("message source", "What to publish (exactly one)");
  what->add_flag("--sample", o->sample, "The canonical sample order (order_uid b563feb7b2b84b6test)");
  what->add_option("--file", o->file, "NDJSON file, one message per line ('-' reads stdin); orders are keyed "
                                      "by order_uid");
  what->add_option("--count", o->count, "N distinct valid orders generated from the sample, keyed by order_uid")
      ->check(CLI::PositiveNumber);
  what->require_option(1);
  cmd->add_option("--prefix", o->prefix,
                  "order_uid prefix for --count (uids are PREFIX-1..PREFIX-N; default: a fresh random prefix)");
  cmd->add_option("--order-version", o->version,
                  "With --count: mark the orders as version V of their order_uid (track_number gets \"-vV\"); "
                  "publish the same --prefix again with a higher V for newer versions of the same orders")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rate", o->rate, "Messages per second (0: as fast as the broker takes them)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout", o->timeout_s, "Seconds a message may wait for delivery before it counts as failed")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--property", o->properties, "Extra librdkafka producer setting KEY=VALUE (repeatable)");
  cmd->add_flag("--json", o->json,
                "Print each delivered message as a JSON line: "
                "{\"topic\",\"partition\",\"offset\",\"key\",\"position\"}");
  return {cmd, [o] { return run_publish(*o); }};
}

}  // namespace sluice::cli
