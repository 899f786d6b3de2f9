#include "static_files.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <utility>

#include "hex_digit.hpp"

namespace sluice::http {

namespace {

constexpr std::array<std::pair<std::string_view, const char*>, 16> mime_types{{
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff2", "font/woff2"},
}};

bool iequals_suffix(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  text.remove_prefix(text.size() - suffix.size());
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

// realpath() instead of std::filesystem::canonical: no exceptions, one syscall chain.
bool real_path(const std::string& path, std::string& out) {
  std::unique_ptr<char, decltype(&::free)> resolved(::realpath(path.c_str(), nullptr), &::free);
  if (!resolved) return false;
  out = resolved.get();
  return true;
}

}  // namespace

const char* content_type_for(std::string_view filename) {
  for (const auto& [extension, type] : mime_types) {
    if (iequals_suffix(filename, extension)) return type;
  }
  return "application/octet-stream";
}

StaticResult relative_static_path(std::string_view target, std::string& relative) {
  relative.clear();
  if (target.empty() || target.front() != '/') return StaticResult::bad_request;
  // Decode first, then judge segments: "%2e%2e" must count as "..". An encoded '/' or '\'
  // would let one segment hide another, so it is refused outright rather than decoded.
  std::string decoded;
  decoded.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return StaticResult::bad_request;
      int hi = hex_value(target[i + 1]);
      int lo = hex_value(target[i + 2]);
      if (hi < 0 || lo < 0) return StaticResult::bad_request;
      c = static_cast<char>(hi * 16 + lo);
      if (c == '/' || c == '\\' || c == '\0') return StaticResult::bad_request;
      i += 2;
    } else if (c == '\\' || c == '\0') {
      return StaticResult::bad_request;
    }
    decoded.push_back(c);
  }

  std::size_t pos = 1;  // after the leading '/'
  while (pos <= decoded.size()) {
    std::size_t end = decoded.find('/', pos);
    if (end == std::string::npos) end = decoded.size();
    std::string_view segment(decoded.data() + pos, end - pos);
    if (segment == "." || segment == "..") return StaticResult::bad_request;
    if (!segment.empty()) {
      if (segment.front() == '.') return StaticResult::not_found;  // .git, .env ...
      if (!relative.empty()) relative.push_back('/');
      relative.append(segment);
    }
    pos = end + 1;
  }
  if (relative.empty()) relative = "index.html";
  return StaticResult::ok;
}

bool StaticFiles::open(const std::filesystem::path& folder, std::string* error) {
  std::string resolved;
  struct stat info {};
  if (!real_path(folder.string(), resolved) || ::stat(resolved.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    if (error) *error = "static_dir " + folder.string() + " is not a readable directory";
    root_.clear();
    root_prefix_.clear();
    return false;
  }
  root_ = resolved;
  root_prefix_ = resolved == "/" ? resolved : resolved + '/';
  return true;
}

StaticResult StaticFiles::read(std::string_view target, std::string& body, const char*& content_type) const {
  std::string relative;
  StaticResult verdict = relative_static_path(target, relative);
  if (verdict != StaticResult::ok) return verdict;
  if (root_prefix_.empty()) return StaticResult::not_found;
  if (!hidden_prefix_.empty() && relative.starts_with(hidden_prefix_)) return StaticResult::not_found;

  // The lexical checks above already keep ".." out; resolving symlinks and comparing the
  // prefix is what keeps a link inside the folder from pointing elsewhere.
  std::string real;
  if (!real_path(root_prefix_ + relative, real)) return StaticResult::not_found;
  if (real.compare(0, root_prefix_.size(), root_prefix_) != 0) return StaticResult::not_found;

  // O_NONBLOCK: opening a FIFO found in the folder would wait for a writer, on the event loop
  // thread; the fstat below then refuses anything but a regular file.
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return StaticResult::not_found;
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return StaticResult::not_found;
  }
  body.resize(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < body.size()) {
    ssize_t n = ::read(fd, body.data() + done, body.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  body.resize(done);
  content_type = content_type_for(real);
  return StaticResult::ok;
}

}  // namespace sluice::http
