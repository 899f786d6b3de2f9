#include "support/broker.hpp"

#include <signal.h>

#include <stdexcept>

#include "support/text.hpp"

namespace sluice::test {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Broker::Broker(Options options) {
  auto dir = scratch_dir("broker");
  auto addr_file = dir / "address";
  std::vector<std::string> argv{sluice_binary().string(), "broker",         "--addr-file",
                                addr_file.string(),       "--broker-count", std::to_string(options.broker_count)};
  for (const auto& t : options.topics) {
    argv.push_back("--topic");
    argv.push_back(t);
  }
  process_ = std::make_unique<Process>(std::move(argv));
  // The file appears complete (written, then renamed) once the cluster listens.
  auto up = wait_while_running(
      *process_,
      [&] {
        std::error_code ec;
        if (!std::filesystem::exists(addr_file, ec)) return false;
        address_ = trim(read_file(addr_file));
        return !address_.empty();
      },
      20s);
  if (!up) {
    std::string why = up.message();
    stop();
    throw std::runtime_error("sluice broker did not start: " + why);
  }
}

Broker::~Broker() { stop(); }

pid_t Broker::pid() const { return process_ ? process_->pid() : -1; }

bool Broker::running() { return process_ && process_->running(); }

bool Broker::toggle(int sig, const std::string& confirmation, int& count) {
  if (!running()) return false;
  ++count;
  process_->signal(sig);
  return wait_until([&] { return occurrences(process_->err(), confirmation) >= static_cast<std::size_t>(count); }, 10s);
}

bool Broker::set_down() { return toggle(SIGUSR1, "brokers down", downs_); }
bool Broker::set_up() { return toggle(SIGUSR2, "brokers up", ups_); }

void Broker::stop() {
  if (!process_ || !process_->running()) return;
  process_->signal(SIGTERM);
  if (!process_->wait(10s)) process_->kill();
}

std::string Broker::log() const { return process_ ? process_->err() : std::string(); }

}  // namespace sluice::test
