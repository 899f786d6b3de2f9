// `file` sink: appends one line per record and fsyncs each batch, so a batch is on disk
// before the source commits it. Usable as the dead-letter route with `format: json`.
#pragma once
#include <fcntl.h>
#include <spdlog/logger.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "file_settings.hpp"
#include "record_format.hpp"
#include "sluice/sink.hpp"

namespace sluice::file_plugin {

class FileSink final : public Sink {
 public:
  static constexpr const char* plugin_description = "Appends records to a file, one line each, fsynced per batch";
  static const ConfigMap<FileSinkSettings>& config_map() { return file_sink_config_map(); }

  FileSink(const Config& config, SinkHost& host) : FileSink(file_sink_config_map().parse(config), host) {}

  FileSink(const FileSinkSettings& settings, SinkHost& host)
      : host_(host), path_(settings.path), format_(parse_format(settings.format)), fsync_(settings.fsync) {
    if (path_.empty()) throw ConfigError("path", "must not be empty");
  }

  ~FileSink() override { FileSink::close(); }

  Status open() override {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::fatal("cannot open '" + path_ + "': " + std::strerror(errno));
    return cut_unfinished_line();
  }

  Status write(Batch& batch, Outcome&) override {
    buffer_.clear();
    for (const auto& r : batch.records) append_line(buffer_, r, format_);
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      // A short write leaves a partial batch; the source redelivers it (at-least-once).
      if (n < 0) return Status::retry("write to '" + path_ + "' failed: " + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    if (fsync_ && ::fsync(fd_) != 0) return Status::retry("fsync of '" + path_ + "' failed: " + std::strerror(errno));
    return Status::ok();
  }

  void close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  // A crash (kill -9) during write() can leave part of a batch behind: the kernel may stop
  // between pages, so the last line can be cut short. That batch was never committed and comes
  // again; its unfinished line would be glued to the first line written next. So the file is
  // cut back to its last complete line (regular files only: a pipe or terminal has no tail).
  Status cut_unfinished_line() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return Status::ok();
    int reader = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (reader < 0) return Status::ok();  // write-only for us: nothing we can check
    off_t complete = 0;
    std::array<char, 4096> chunk{};
    for (off_t end = st.st_size; end > 0;) {
      off_t start = std::max<off_t>(0, end - static_cast<off_t>(chunk.size()));
      ssize_t n = ::pread(reader, chunk.data(), static_cast<std::size_t>(end - start), start);
      if (n != end - start) {
        ::close(reader);
        return Status::retry("reading the end of '" + path_ + "' failed: " + std::strerror(errno));
      }
      const auto newline = std::string_view(chunk.data(), static_cast<std::size_t>(n)).rfind('\n');
      if (newline != std::string_view::npos) {
        complete = start + static_cast<off_t>(newline) + 1;
        break;
      }
      end = start;
    }
    ::close(reader);
    if (complete == st.st_size) return Status::ok();
    if (::ftruncate(fd_, complete) != 0) {
      return Status::retry("cutting the unfinished last line of '" + path_ + "' failed: " + std::strerror(errno));
    }
    host_.log().warn(
        "'{}' ended in an unfinished line ({} bytes, left by a crash during a write): cut; "
        "its batch was not committed and comes again",
        path_, st.st_size - complete);
    return Status::ok();
  }

  SinkHost& host_;
  std::string path_;
  RecordFormat format_;
  bool fsync_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace sluice::file_plugin
