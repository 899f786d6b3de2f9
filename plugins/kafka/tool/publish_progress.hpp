// `sluice publish`'s progress on stderr (README, CLI). On a terminal: one line redrawn in place
// (carriage return) at most once a second. Anywhere else (a pipe, a file, a CI log): a whole
// line every few seconds. Either way every line leaves in one write(2), so another writer to
// the same stderr (the log) can never cut one in two, and the summary comes last.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::cli {

// Writes all of `text` to stderr in as few write(2) calls as the kernel allows (one, for a line).
void write_stderr(std::string_view text);

class PublishProgress {
 public:
  PublishProgress(std::optional<std::uint64_t> total, bool terminal);
  // True when stderr is a terminal (isatty): the in-place line is for a person watching.
  static bool stderr_is_terminal();

  // The number of messages to send, once known (nullopt: a file or stdin, not counted ahead).
  void set_total(std::optional<std::uint64_t> total) { total_ = total; }
  // Shows the counts, if the last showing is old enough (1 s on a terminal, 5 s elsewhere).
  void update(std::uint64_t sent, std::uint64_t delivered, std::uint64_t failed);
  // `text` as a line of its own (a warning, the summary), after ending a shown progress line.
  void line(const std::string& text);
  // Ends a progress line the terminal shows, before something else writes to it (stdout).
  void clear();

 private:
  std::optional<std::uint64_t> total_;
  bool terminal_;
  bool showing_ = false;  // a terminal shows a progress line with no newline yet
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace sluice::cli
