// Reads lines from a file descriptor without blocking on a partial last line, so a file
// that is still being written (follow mode) never yields half a line.
#pragma once

#include <string>

namespace sluice::file_plugin {

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  enum class Result { line, would_wait, end };
  // `final_partial`: at end of input, hand out a last line that has no newline.
  Result next(std::string& line, bool final_partial);

 private:
  bool fill();
  int fd_;
  std::string buffer_;
  std::size_t start_ = 0;
  bool eof_ = false;
};

}  // namespace sluice::file_plugin
