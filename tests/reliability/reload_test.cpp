// Live reload under load (README.md, "Live reload", and "Tests", Live reload), with the real
// processes: `sluice run` of the default pipeline (a copy of config/pipeline.yaml the test
// rewrites), `sluice broker` and a PostgreSQL cluster of the test's own.
//
// 1. A steady stream of orders while the pipeline file is edited and SIGHUP sent ten times
//    (a stdout sink added and removed, order_validate's max_bytes and runtime.batch_max
//    changed back and forth), and a client asks the REST api for an order and /healthz every
//    10 ms throughout. Required: no refused connection and no 5xx, every order exactly once
//    in PostgreSQL, the cache warmed once and the partitions assigned once (kept stages were
//    really kept: no re-warm, no rebalance), every reload counted as applied.
// 2. A reload whose new sink cannot open is rolled back and the pipeline runs on: the
//    dead-letter sink moved to a port nobody listens on (answered "retry" until the 10 s
//    open limit), and an added file sink whose folder does not exist (fatal at once). Not a
//    second postgres sink: the planner refuses one (each keeps the source's positions, and a
//    durable sink may not follow the one that does).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "coherent_reads.hpp"
#include "default_pipeline.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// 60 s of traffic was asked for; 30 s keeps the CI run short and still spreads the ten
// reloads over a stream that never pauses.
constexpr auto kStreamDuration = 30s;
constexpr int kOrdersPerSecond = 1000;
constexpr int kReloads = 10;
constexpr auto kPollEvery = 10ms;

// What the test varies in the pipeline file; everything else stays as shipped.
struct Edit {
  bool watch = false;        // a `watch` stdout sink after the cache
  long max_bytes = 1048576;  // order_validate's max_bytes (shipped: 1048576)
  int batch_max = 1000;      // runtime.batch_max (shipped: 5000)
  // Another durable sink line, verbatim, put first: only volatile sinks may follow 'db' (the
  // one keeping the positions), so a durable one goes before it.
  std::string first_sink;
  std::string dead_letter_dsn;  // non-empty: the dead-letter sink's dsn (shipped: $DATABASE_URL)
  int fetch_wait_ms = 0;        // non-zero: the kafka source's fetch.wait.max.ms (shipped: from the environment)
  int rest_threads = 0;         // non-zero: the rest API's threads (shipped: the default)
};

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) {
    throw std::runtime_error("config/pipeline.yaml: expected exactly one '" + from + "'");
  }
  text.replace(at, from.size(), to);
}

// The shipped pipeline's text with `edit` applied.
std::string pipeline_text(const std::string& shipped, const Edit& edit) {
  std::string text = shipped;
  replace_once(text, "\n  batch_max: 5000\n", "\n  batch_max: " + std::to_string(edit.batch_max) + "\n");
  replace_once(text, "\n      max_bytes: 1048576\n", "\n      max_bytes: " + std::to_string(edit.max_bytes) + "\n");
  std::string sinks;
  // The stdout sink prints every record; the run's stdout goes to a file (Process).
  if (edit.watch) sinks += "  - { id: watch, plugin: stdout }\n";
  replace_once(text, "\ndead_letter:\n", "\n" + sinks + "dead_letter:\n");
  replace_once(text, "\nsinks:\n", "\nsinks:\n" + edit.first_sink);
  if (edit.fetch_wait_ms != 0) {
    replace_once(text, "fetch.wait.max.ms: \"${KAFKA_FETCH_WAIT_MAX_MS:-500}\"",
                 "fetch.wait.max.ms: \"" + std::to_string(edit.fetch_wait_ms) + "\"");
  }
  if (edit.rest_threads != 0) {
    replace_once(text, "\n      lookup: [cache, db]\n",
                 "\n      lookup: [cache, db]\n      threads: " + std::to_string(edit.rest_threads) + "\n");
  }
  if (!edit.dead_letter_dsn.empty()) {
    const std::string block = "\ndead_letter:\n  plugin: postgres_dead_letter\n  config:\n    dsn: ";
    auto at = text.find(block);
    if (at == std::string::npos) throw std::runtime_error("config/pipeline.yaml: no postgres_dead_letter dsn");
    at += block.size();
    text.replace(at, text.find('\n', at) - at, "\"" + edit.dead_letter_dsn + "\"");
  }
  return text;
}

// Waits for the outcome of reload #n; "applied", "rejected", "rolled back", or "" if none came.
std::string reload_outcome(const Process& p, int n, std::chrono::milliseconds timeout) {
  const std::string tag = "reload #" + std::to_string(n) + " ";
  std::string outcome;
  wait_until(
      [&] {
        const std::string err = p.err();
        for (const char* result : {"applied", "rejected", "rolled back"}) {
          if (err.find(tag + result) != std::string::npos) {
            outcome = result;
            return true;
          }
        }
        return false;
      },
      timeout, 20ms);
  return outcome;
}

// GET /order/<uid> and /healthz on fresh connections every kPollEvery until stopped; counts
// what a client of a pipeline that is never restarted must not see.
class Poller {
 public:
  Poller(int port, std::string order_target) : port_(port), order_(std::move(order_target)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Poller() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long long requests() const { return requests_; }
  long long unanswered() const { return unanswered_; }  // refused, or no reply within 3 s
  long long server_errors() const { return server_errors_; }
  long long order_not_200() const { return order_not_200_; }
  std::string samples() {
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  void run() {
    const auto started = Clock::now();
    while (!stop_) {
      for (const std::string& target : {order_, std::string("/healthz")}) {
        HttpReply reply = http_get(port_, target);
        ++requests_;
        bool bad = false;
        if (reply.status == 0) {
          ++unanswered_;
          bad = true;
        } else if (reply.status >= 500) {
          ++server_errors_;
          bad = true;
        }
        if (target == order_ && reply.status != 200) {
          ++order_not_200_;
          bad = true;
        }
        if (bad) note(ms_since(started), target, reply);
      }
      std::this_thread::sleep_for(kPollEvery);  // the client's pace, not synchronisation
    }
  }
  void note(long long at_ms, const std::string& target, const HttpReply& reply) {
    std::lock_guard lock(mutex_);
    if (++noted_ > 20) return;
    samples_ += "\n  +" + std::to_string(at_ms) + " ms GET " + target + " -> " +
                (reply.status == 0 ? std::string("no answer") : std::to_string(reply.status) + " " + reply.body);
  }

  int port_;
  std::string order_;
  std::thread thread_;
  std::atomic<bool> stop_ = false;
  std::atomic<long long> requests_ = 0, unanswered_ = 0, server_errors_ = 0, order_not_200_ = 0;
  std::mutex mutex_;
  std::string samples_;
  int noted_ = 0;
};

TEST(LiveReload, TenReloadsUnderASteadyStreamLoseNothingAndRestartNothing) {
  DefaultPipeline p({.name = "reload-load", .own_pipeline_file = true});
  const std::string shipped = read_file(source_dir() / "config/pipeline.yaml");
  Edit state;
  write_file(p.pipeline_file(), pipeline_text(shipped, state));
  ASSERT_TRUE(p.start()) << p.logs();

  const long long N = kOrdersPerSecond * std::chrono::duration_cast<std::chrono::seconds>(kStreamDuration).count();
  const std::string prefix = "steady";
  const auto stream_started = Clock::now();
  auto publisher = p.publish(static_cast<int>(N), prefix, kOrdersPerSecond);
  // The first order of the stream is the one the client asks for.
  const std::string known = "/order/" + prefix + "-1";
  ASSERT_TRUE(p.wait_for([&] { return http_get(p.http_port(), known).status == 200; }, 60s, 20ms)) << p.logs();
  Poller poller(p.http_port(), known);

  // The reloads, spread over the stream: add/remove the stdout sink, max_bytes, batch_max.
  const auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(kStreamDuration) / (kReloads + 2);
  int stages = 7;  // source, validate, db, cache, dead letter, rest, admin
  for (int n = 1; n <= kReloads; ++n) {
    std::this_thread::sleep_for(pause);  // pacing only: each reload waits for the previous one's log line
    Edit next = state;
    std::string changes;
    int kept = 0;
    switch ((n - 1) % 3) {
      case 0:
        next.watch = !state.watch;
        changes = next.watch ? "sinks +watch(stdout)" : "sinks -watch(stdout)";
        kept = next.watch ? stages : stages - 1;
        break;
      case 1:
        next.max_bytes = state.max_bytes == 1048576 ? 2097152 : 1048576;
        changes = "validate.max_bytes " + std::to_string(state.max_bytes) + " -> " + std::to_string(next.max_bytes);
        kept = stages - 1;
        break;
      case 2:
        next.batch_max = state.batch_max == 1000 ? 500 : 1000;
        changes = "runtime.batch_max " + std::to_string(state.batch_max) + " -> " + std::to_string(next.batch_max);
        kept = stages;
        break;
    }
    write_file(p.pipeline_file(), pipeline_text(shipped, next));
    const auto sent = Clock::now();
    p.process().signal(SIGHUP);
    const std::string outcome = reload_outcome(p.process(), n, 60s);
    ASSERT_EQ(outcome, "applied") << "reload #" << n << " (" << changes << ")" << p.logs();
    const std::string line =
        "reload #" + std::to_string(n) + " applied: " + changes + "; " + std::to_string(kept) + " stage(s) kept";
    EXPECT_NE(p.process().err().find(line), std::string::npos) << "expected: " << line << p.logs();
    std::cout << "reload #" << n << " at +" << ms_since(stream_started) << " ms (" << changes << "): applied "
              << ms_since(sent) << " ms after SIGHUP" << std::endl;
    state = next;
    stages = 7 + (state.watch ? 1 : 0);
  }
  const long long reloads_done_ms = ms_since(stream_started);

  ASSERT_EQ(publisher->wait(180s), 0) << publisher->err();
  std::cout << "published " << N << " orders in " << ms_since(stream_started) << " ms; the reloads ended at +"
            << reloads_done_ms << " ms" << std::endl;
  EXPECT_LT(reloads_done_ms, ms_since(stream_started)) << "the reloads did not all happen during the stream";
  ASSERT_TRUE(p.wait_caught_up(N, 120s)) << "stored " << p.stored().value_or(-1) << " of " << N << p.logs();
  poller.stop();
  std::cout << "client: " << poller.requests() << " requests, " << poller.unanswered() << " unanswered, "
            << poller.server_errors() << " 5xx, " << poller.order_not_200() << " order lookups not 200" << std::endl;
  EXPECT_GT(poller.requests(), 1000);
  EXPECT_EQ(poller.unanswered(), 0) << "refused or unanswered requests:" << poller.samples() << p.logs();
  EXPECT_EQ(poller.server_errors(), 0) << "5xx answers:" << poller.samples() << p.logs();
  EXPECT_EQ(poller.order_not_200(), 0) << "the known order was not served:" << poller.samples() << p.logs();

  const HttpReply metrics = http_get(p.http_port(), "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string applied = "sluice_reloads_total{result=\"applied\"}";
  ASSERT_NE(metrics.body.find("\n" + applied + " "), std::string::npos) << metrics.body;
  EXPECT_EQ(metric_value(metrics.body, applied), kReloads) << metrics.body;
  EXPECT_EQ(metric_value(metrics.body, "sluice_reloads_total{result=\"rejected\"}"), 0);
  EXPECT_EQ(metric_value(metrics.body, "sluice_reloads_total{result=\"rolled_back\"}"), 0);
  EXPECT_EQ(occurrences(metrics.body, "\nsluice_config_info{hash="), 1u) << metrics.body;

  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  const std::string err = p.process().err();
  EXPECT_EQ(occurrences(err, "[cache] warming up from db"), 1u) << "the cache was warmed again" << p.logs();
  EXPECT_EQ(occurrences(err, "kafka: assigned"), 1u) << "the unchanged source was reassigned" << p.logs();
  EXPECT_EQ(occurrences(err, "restarts too"), 0u) << p.logs();
  EXPECT_EQ(occurrences(err, "is running"), 1u) << "the pipeline restarted" << p.logs();
  p.expect_exactly_once(prefix, N);
  // The watch sink printed records while it was there (the stream went through it).
  EXPECT_GT(occurrences(p.process().out(), "\n"), 0u);
}

// Reload #1 applies `broken`, whose new sink `failing_id` cannot open, while a stream of
// orders runs through it: rolled back, counted, and the previous pipeline runs on.
// `stream_seconds`: how long the stream of 100 orders/s runs, so that it goes on for several
// seconds after the rollback (which the retried open puts off by its ~10 s limit).
void expect_rolled_back(const std::string& name, const Edit& broken, const std::string& failing_id,
                        int stream_seconds) {
  DefaultPipeline p({.name = name, .own_pipeline_file = true});
  const std::string shipped = read_file(source_dir() / "config/pipeline.yaml");
  Edit state;
  write_file(p.pipeline_file(), pipeline_text(shipped, state));
  ASSERT_TRUE(p.start()) << p.logs();

  const long long N = 100LL * stream_seconds;
  const std::string prefix = "rollback";
  auto publisher = p.publish(static_cast<int>(N), prefix, 100);
  ASSERT_TRUE(p.wait_for([&] { return p.stored().value_or(0) >= 200; }, 60s, 50ms)) << p.logs();

  write_file(p.pipeline_file(), pipeline_text(shipped, broken));
  const auto sent = Clock::now();
  p.process().signal(SIGHUP);
  const std::string outcome = reload_outcome(p.process(), 1, 60s);
  ASSERT_EQ(outcome, "rolled back") << p.logs();
  std::cout << "reload #1 rolled back " << ms_since(sent) << " ms after SIGHUP" << std::endl;
  EXPECT_NE(p.process().err().find("reload #1 rolled back: sink '" + failing_id + "' could not open"),
            std::string::npos)
      << p.logs();
  ASSERT_TRUE(p.running()) << p.logs();
  const bool publishing = publisher->running();
  const long long at_rollback = p.stored().value_or(0);
  EXPECT_TRUE(publishing) << "the stream ended before the rollback: no order was published after it";

  EXPECT_EQ(http_get(p.http_port(), "/healthz").status, 200) << p.logs();
  EXPECT_TRUE(wait_until([&] { return http_get(p.http_port(), "/readyz").status == 200; }, 10s, 100ms))
      << http_get(p.http_port(), "/readyz").body << p.logs();
  // The previous pipeline runs on: orders published after the rollback are stored.
  EXPECT_TRUE(wait_until([&] { return p.stored().value_or(0) > at_rollback + 100; }, 30s, 100ms))
      << "stored " << p.stored().value_or(-1) << ", " << at_rollback << " at the rollback" << p.logs();

  ASSERT_EQ(publisher->wait(120s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 120s)) << "stored " << p.stored().value_or(-1) << " of " << N << p.logs();
  const HttpReply metrics = http_get(p.http_port(), "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string rolled_back = "sluice_reloads_total{result=\"rolled_back\"}";
  ASSERT_NE(metrics.body.find("\n" + rolled_back + " "), std::string::npos) << metrics.body;
  EXPECT_EQ(metric_value(metrics.body, rolled_back), 1) << metrics.body;
  EXPECT_EQ(metric_value(metrics.body, "sluice_reloads_total{result=\"applied\"}"), 0) << metrics.body;
  EXPECT_EQ(http_get(p.http_port(), "/healthz").status, 200) << p.logs();
  // Still ready at the end, long after the rollback (a stale "not ready" would take a
  // healthy instance out of a load balancer for good).
  const HttpReply ready = http_get(p.http_port(), "/readyz");
  std::cout << "/readyz " << ms_since(sent) << " ms after the SIGHUP: " << ready.status << " " << ready.body
            << std::endl;
  EXPECT_EQ(ready.status, 200) << ready.body;

  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  const std::string err = p.process().err();
  EXPECT_EQ(occurrences(err, "[cache] warming up from db"), 1u) << p.logs();
  EXPECT_EQ(occurrences(err, "kafka: assigned"), 1u) << p.logs();
  EXPECT_EQ(occurrences(err, "is running"), 1u) << p.logs();
  p.expect_exactly_once(prefix, N);
}

// The dead letters moved to a database nobody answers for: the new dead-letter sink's opens
// are refused and answered "retry" until the next attempt would pass the 10 s open limit.
TEST(LiveReload, ADeadLetterSinkThatKeepsRetryingIsRolledBackAfterTheOpenLimit) {
  Edit broken;
  broken.dead_letter_dsn = "postgresql://order_user:order_pass@127.0.0.1:" + std::to_string(free_port()) + "/orders_db";
  expect_rolled_back("reload-rollback-retry", broken, "postgres_dead_letter", 25);
}

// A sink added before 'db' (a durable sink may not follow the one keeping the positions) whose
// folder does not exist: a fatal open, rolled back at once. (A second postgres sink cannot be
// planned at all: it would keep positions too.)
TEST(LiveReload, AnAddedSinkThatFailsToOpenIsRolledBack) {
  Edit broken;
  broken.first_sink = "  - { id: mirror, plugin: file, config: { path: /nonexistent-sluice-dir/mirror.ndjson } }\n";
  expect_rolled_back("reload-rollback-fatal", broken, "mirror", 12);
}

// The source and the REST API changed together, twice, under a stream of 1000 orders/s and a
// client: the Kafka consumer closes and joins again (a rebalance each time), the REST listener
// is replaced make before break. Required: both applied, no refused request and no 5xx, the
// stream consumed again after each, every order exactly once.
TEST(LiveReload, ChangingTheKafkaSourceAndTheRestApiUnderAStreamLosesNothing) {
  DefaultPipeline p({.name = "reload-source", .own_pipeline_file = true});
  const std::string shipped = read_file(source_dir() / "config/pipeline.yaml");
  write_file(p.pipeline_file(), pipeline_text(shipped, Edit{}));
  ASSERT_TRUE(p.start()) << p.logs();

  const long long N = 15000;
  const std::string prefix = "switch";
  auto publisher = p.publish(static_cast<int>(N), prefix, 1000);
  const std::string known = "/order/" + prefix + "-1";
  ASSERT_TRUE(p.wait_for([&] { return http_get(p.http_port(), known).status == 200; }, 60s, 20ms)) << p.logs();
  Poller poller(p.http_port(), known);

  Edit changed;
  changed.fetch_wait_ms = 20;
  changed.rest_threads = 2;
  for (int n = 1; n <= 2; ++n) {
    write_file(p.pipeline_file(), pipeline_text(shipped, n == 1 ? changed : Edit{}));
    const auto sent = Clock::now();
    p.process().signal(SIGHUP);
    ASSERT_EQ(reload_outcome(p.process(), n, 60s), "applied") << p.logs();
    const long long applied_ms = ms_since(sent);
    // Consuming again: a thousand more orders stored (one second of the stream).
    const long long at_apply = p.stored().value_or(0);
    const bool consuming =
        p.wait_for([&] { return p.stored().value_or(0) >= std::min(at_apply + 1000, N); }, 60s, 20ms);
    ASSERT_TRUE(consuming) << "stored " << p.stored().value_or(-1) << ", " << at_apply << " at the reload" << p.logs();
    std::cout << "reload #" << n << " (source and rest changed): applied " << applied_ms
              << " ms after SIGHUP, 1000 more orders stored " << ms_since(sent) << " ms after it" << std::endl;
  }
  EXPECT_NE(p.process().err().find("reload #2: kafka.properties changed, rest.threads 2 -> 0"), std::string::npos)
      << "the source was not changed" << p.logs();

  ASSERT_EQ(publisher->wait(120s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 120s)) << "stored " << p.stored().value_or(-1) << " of " << N << p.logs();
  poller.stop();
  std::cout << "client: " << poller.requests() << " requests, " << poller.unanswered() << " unanswered, "
            << poller.server_errors() << " 5xx" << std::endl;
  EXPECT_EQ(poller.unanswered(), 0) << "refused or unanswered requests:" << poller.samples() << p.logs();
  EXPECT_EQ(poller.server_errors(), 0) << "5xx answers:" << poller.samples() << p.logs();
  EXPECT_EQ(poller.order_not_200(), 0) << "the known order was not served:" << poller.samples() << p.logs();
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  const std::string err = p.process().err();
  EXPECT_EQ(occurrences(err, "[cache] warming up from db"), 1u) << "the cache was warmed again" << p.logs();
  EXPECT_EQ(occurrences(err, "is running"), 1u) << "the pipeline restarted" << p.logs();
  p.expect_exactly_once(prefix, N);
}

}  // namespace
}  // namespace sluice::test
