#include "publish_progress.hpp"

#include <unistd.h>

#include <cerrno>

namespace sluice::cli {

void write_stderr(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing better to do with the progress
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

PublishProgress::PublishProgress(std::optional<std::uint64_t> total, bool terminal)
    : total_(total), terminal_(terminal) {}

bool PublishProgress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void PublishProgress::update(std::uint64_t sent, std::uint64_t delivered, std::uint64_t failed) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < (terminal_ ? std::chrono::seconds(1) : std::chrono::seconds(5))) return;
  last_ = now;
  std::string text = "sluice publish: sent " + std::to_string(sent);
  if (total_) text += '/' + std::to_string(*total_);
  text += ", delivered " + std::to_string(delivered) + ", failed " + std::to_string(failed);
  if (terminal_) {
    write_stderr("\r" + text + "\x1b[K");  // erase what a longer line left to the right
    showing_ = true;
  } else {
    write_stderr(text + '\n');
  }
}

void PublishProgress::line(const std::string& text) {
  clear();
  write_stderr(text + '\n');
}

void PublishProgress::clear() {
  if (!showing_) return;
  write_stderr("\r\x1b[K");
  showing_ = false;
}

}  // namespace sluice::cli
