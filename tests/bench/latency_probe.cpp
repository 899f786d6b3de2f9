// latency_probe: polls GET /order/{PREFIX-k} for every STEP-th k of a `sluice publish --count
// COUNT --rate RATE --prefix PREFIX` run, and prints when each first answered 200.
//
//   latency_probe HOST PORT PREFIX COUNT STEP RATE START_EPOCH_MS POLL_MS TIMEOUT_MS
//
// Order k cannot be published before START + (k-1)/RATE (the publisher paces against its own
// start, which is later than START), so polling starts then and repeats every POLL_MS over
// one keep-alive connection until 200 or TIMEOUT_MS. Output, one line per sampled uid:
//   uid <TAB> epoch microseconds of the first 200 (or -1 on timeout)
// The script joins these with the messages' Kafka timestamps (set at produce time) to get
// publish -> visible. Built by tests/bench/latency.sh with g++ directly (cpp-httplib).
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::system_clock;

long long now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

struct Pending {
  std::string uid;
  long long due_us;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr, "usage: %s HOST PORT PREFIX COUNT STEP RATE START_EPOCH_MS POLL_MS TIMEOUT_MS\n", argv[0]);
    return 2;
  }
  const std::string host = argv[1];
  const int port = std::atoi(argv[2]);
  const std::string prefix = argv[3];
  const long long count = std::atoll(argv[4]);
  const long long step = std::atoll(argv[5]);
  const double rate = std::atof(argv[6]);
  const long long start_us = std::atoll(argv[7]) * 1000;
  const long long poll_us = std::atoll(argv[8]) * 1000;
  const long long timeout_us = std::atoll(argv[9]) * 1000;

  httplib::Client client(host, port);
  client.set_keep_alive(true);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(2, 0);

  auto due_of = [&](long long k) { return start_us + static_cast<long long>((k - 1) * 1e6 / rate); };
  long long next = step;
  std::deque<Pending> pending;
  long long timeouts = 0;
  while (next <= count || !pending.empty()) {
    long long now = now_us();
    while (next <= count && due_of(next) <= now) {
      pending.push_back({prefix + "-" + std::to_string(next), due_of(next)});
      next += step;
    }
    for (auto it = pending.begin(); it != pending.end();) {
      auto res = client.Get(("/order/" + it->uid).c_str());
      long long seen = now_us();
      if (res && res->status == 200) {
        std::printf("%s\t%lld\n", it->uid.c_str(), seen);
        it = pending.erase(it);
      } else if (seen - it->due_us > timeout_us) {
        std::printf("%s\t-1\n", it->uid.c_str());
        ++timeouts;
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    if (pending.empty() && next > count) break;
    // Next round: one poll interval later, or the next uid's due time if that comes first.
    long long wake = pending.empty() ? LLONG_MAX : now_us() + poll_us;
    if (next <= count) wake = std::min(wake, due_of(next));
    long long wait = wake - now_us();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait));
  }
  std::fflush(stdout);
  if (timeouts) std::fprintf(stderr, "latency_probe: %lld uid(s) not visible within the timeout\n", timeouts);
  return 0;
}
