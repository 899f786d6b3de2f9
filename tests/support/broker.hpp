// A throwaway `sluice broker` (librdkafka's in-memory Kafka cluster) for tests: started as a
// child process, ready once its address is known, stopped when the object goes away.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sluice::test {

class Broker {
 public:
  struct Options {
    std::vector<std::string> topics{"orders:4"};  // NAME:PARTITIONS
    int broker_count = 1;
  };
  // Starts the broker and waits (up to 20 s) for its address; throws std::runtime_error
  // with the broker's stderr if it does not come up.
  explicit Broker(Options options);
  Broker() : Broker(Options{}) {}
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Bootstrap servers, "127.0.0.1:PORT[,...]".
  const std::string& address() const { return address_; }
  pid_t pid() const;
  bool running();

  // Fault injection (SIGUSR1 / SIGUSR2): every broker refuses connections / accepts them
  // again. Returns once the broker confirmed the change (false if it did not within 10 s).
  bool set_down();
  bool set_up();

  // SIGTERM and wait; SIGKILL if it does not exit within 10 s. Idempotent.
  void stop();
  std::string log() const;  // the broker's stderr

 private:
  bool toggle(int signal, const std::string& confirmation, int& count);

  std::unique_ptr<Process> process_;
  std::string address_;
  int downs_ = 0;
  int ups_ = 0;
};

}  // namespace sluice::test
