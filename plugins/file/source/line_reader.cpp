#include "line_reader.hpp"

#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace sluice::file_plugin {

bool LineReader::fill() {
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  char chunk[65536];
  ssize_t n;
  do {
    n = ::read(fd_, chunk, sizeof chunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw std::system_error(errno, std::generic_category(), "read");
  if (n == 0) {
    eof_ = true;
    return false;
  }
  eof_ = false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

LineReader::Result LineReader::next(std::string& line, bool final_partial) {
  while (true) {
    auto nl = buffer_.find('\n', start_);
    if (nl != std::string::npos) {
      line.assign(buffer_, start_, nl - start_);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      start_ = nl + 1;
      return Result::line;
    }
    if (fill()) continue;
    if (final_partial && start_ < buffer_.size()) {
      line.assign(buffer_, start_, std::string::npos);
      start_ = buffer_.size();
      return Result::line;
    }
    return final_partial ? Result::end : Result::would_wait;
  }
}

}  // namespace sluice::file_plugin
