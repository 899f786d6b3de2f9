// `file` sink: appends one line per record and fsyncs each batch, so a batch is on disk
// before the source commits it. Usable as the dead-letter route with `format: json`.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "file_settings.hpp"
#include "record_format.hpp"
#include "sluice/plugin.hpp"

namespace sluice::file_plugin {

class FileSink final : public Sink {
 public:
  static constexpr const char* plugin_description = "Appends records to a file, one line each, fsynced per batch";
  static const ConfigMap<FileSinkSettings>& config_map() { return file_sink_config_map(); }

  FileSink(const Config& config, Host& host) : FileSink(file_sink_config_map().parse(config), host) {}

  FileSink(const FileSinkSettings& settings, Host&)
      : path_(settings.path), format_(parse_format(settings.format)), fsync_(settings.fsync) {
    if (path_.empty()) throw ConfigError("path", "must not be empty");
  }

  ~FileSink() override { FileSink::close(); }

  Status open() override {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::fatal("cannot open '" + path_ + "': " + std::strerror(errno));
    return Status::ok();
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
  std::string path_;
  RecordFormat format_;
  bool fsync_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace sluice::file_plugin

