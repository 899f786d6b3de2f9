// Memory is bounded in bytes, whatever the message size (README.md, "Delivery guarantees"): a
// backlog of 1 MiB messages behind a sink that does not take them keeps `sluice run` under its
// budget.
//
// The real binary runs file -> file, the output file being a FIFO that the test opens but
// never reads: the sink's first write blocks once the pipe's 64 KiB are full, exactly like a
// sink whose database hangs, and the source meets backpressure. The process's peak resident
// set (VmHWM) is read from /proc once it has stopped growing. Counted in records alone
// (4 batches in flight of up to 1000 records), the 512 MiB backlog would all be in memory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support/process.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMiB = std::size_t{1} << 20;

// "VmHWM:   123456 kB" from /proc/PID/status, in bytes; 0 when unreadable.
std::size_t status_bytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

TEST(MemoryBound, BacklogOfOneMebibyteMessagesStaysUnderTheByteBudget) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's shadow memory and quarantine make resident sizes meaningless";
#endif
  auto dir = scratch_dir("memory_bound");
  {
    std::ofstream in(dir / "in.ndjson", std::ios::binary);
    std::string value(kMiB - 16, 'x');
    for (int i = 0; i < 512; ++i) in << "{\"n\":" << i << ",\"pad\":\"" << value << "\"}\n";
  }
  ASSERT_EQ(::mkfifo((dir / "out.fifo").c_str(), 0600), 0);
  // Opened for reading (without blocking) so the sink's open for writing succeeds; never read.
  int reader = ::open((dir / "out.fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  // The shipped defaults: max_in_flight 4, max_in_flight_bytes 128 MiB; batch_max 1000 so a
  // record count alone would allow the whole file in flight.
  write_file(dir / "p.yaml",
             "name: backlog\nsource: { plugin: file, config: { path: in.ndjson } }\n"
             "sinks:\n  - { id: out, plugin: file, config: { path: out.fifo, fsync: false } }\n"
             "runtime: { batch_max: 1000 }\n");
  Process p({sluice_binary().string(), "run", (dir / "p.yaml").string()}, {.env = {}, .cwd = dir, .stdin_text = ""});

  // Wait until the resident size has not grown for 2 s (the source is held back), at most 60 s.
  std::size_t last = 0;
  auto still_since = std::chrono::steady_clock::now();
  bool settled = wait_until(
      [&] {
        std::size_t now = status_bytes(p.pid(), "VmRSS");
        if (now > last + kMiB) {
          last = now;
          still_since = std::chrono::steady_clock::now();
        }
        return last > 0 && std::chrono::steady_clock::now() - still_since > 2s;
      },
      60s, 100ms);
  std::size_t peak = status_bytes(p.pid(), "VmHWM");
  ::close(reader);
  p.kill();
  ASSERT_TRUE(settled) << "the resident size kept growing";
  std::cout << "peak resident set with a 512 MiB backlog of 1 MiB messages: " << peak / kMiB << " MiB\n";
  // 128 MiB in flight, one batch being read (32 MiB) and the sink's copy of the batch it is
  // stuck on, plus the process itself: well under 512 MiB, the budget README.md, "Delivery guarantees",
  // states.
  EXPECT_LT(peak, 384 * kMiB);
}

}  // namespace
}  // namespace sluice::test
