// `file` source: NDJSON lines from a file or stdin. The position is the line number; with
// `position_file` a restarted pipeline resumes after the last line every sink accepted.
#pragma once
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "file_settings.hpp"
#include "json_member.hpp"
#include "line_reader.hpp"
#include "sluice/source.hpp"

namespace sluice::file_plugin {

class FileSource final : public Source {
 public:
  static constexpr const char* plugin_description = "Reads records from an NDJSON file or stdin, one per line";
  // Two readers of one file do not disturb each other: a reload opens the new one first.
  static constexpr std::uint32_t plugin_flags = sluice_flag_opens_beside;
  static const ConfigMap<FileSourceSettings>& config_map() { return file_source_config_map(); }

  FileSource(const Config& config, SourceHost& host) : FileSource(file_source_config_map().parse(config), host) {}

  FileSource(const FileSourceSettings& settings, SourceHost& host)
      : host_(host),
        path_(settings.path),
        position_file_(settings.position_file.value_or("")),
        follow_(settings.follow),
        key_field_(settings.key_field.value_or("")),
        stream_(settings.stream ? *settings.stream
                                : (path_ == "-" ? "stdin" : std::filesystem::path(path_).filename().string())) {
    if (path_.empty()) throw ConfigError("path", "must not be empty");
  }

  ~FileSource() override {
    if (fd_ > 0) ::close(fd_);
  }

  Status open() override {
    fd_ = path_ == "-" ? 0 : ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return Status::fatal("cannot open '" + path_ + "': " + std::strerror(errno));
    reader_.emplace(fd_);
    std::int64_t resume = read_position();
    std::string skipped;
    while (next_line_ < resume) {
      if (reader_->next(skipped, true) != LineReader::Result::line) break;
      ++next_line_;
    }
    if (resume > 0) host_.log().info("resuming '{}' after line {}", path_, next_line_);
    return Status::ok();
  }

  Status poll(Batch& out, const PollLimits& limits) override {
    auto deadline = std::chrono::steady_clock::now() + limits.max_wait;
    std::string line;
    std::size_t bytes = 0;
    while (out.records.size() < limits.max_records && bytes < limits.max_bytes) {
      auto r = reader_->next(line, !follow_);
      if (r == LineReader::Result::line) {
        Record rec;
        rec.value = std::move(line);
        if (!key_field_.empty()) rec.key = json_string_member(rec.value, key_field_).value_or("");
        rec.stream = stream_;
        rec.offset = next_line_++;
        bytes += rec.value.size();
        out.records.push_back(std::move(rec));
        continue;
      }
      if (r == LineReader::Result::end) {
        finish(out);
        return Status::end_of_input();
      }
      if (!out.records.empty() || std::chrono::steady_clock::now() >= deadline || host_.stopping()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // following a file: wait for the writer
    }
    finish(out);
    return Status::ok();
  }

  Status idle(std::chrono::milliseconds) override { return Status::ok(); }

  Status commit(const std::vector<Position>& positions) override {
    if (position_file_.empty()) return Status::ok();
    for (const auto& p : positions) {
      if (p.stream != stream_) continue;
      // Write-then-rename so a crash leaves the old or the new position, never half of one.
      std::string tmp = position_file_ + ".tmp";
      {
        std::ofstream out(tmp, std::ios::trunc);
        out << p.offset << "\n";
        out.flush();
        if (!out) return Status::retry("cannot write '" + tmp + "'");
      }
      int fd = ::open(tmp.c_str(), O_RDONLY);
      if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
      if (std::rename(tmp.c_str(), position_file_.c_str()) != 0) {
        return Status::retry("cannot replace '" + position_file_ + "': " + std::strerror(errno));
      }
    }
    return Status::ok();
  }

 private:
  void finish(Batch& out) const {
    if (!out.records.empty()) out.positions.push_back({stream_, 0, next_line_});
  }

  std::int64_t read_position() const {
    if (position_file_.empty()) return 0;
    std::ifstream in(position_file_);
    std::int64_t n = 0;
    return (in >> n) ? n : 0;
  }

  SourceHost& host_;
  std::string path_;
  std::string position_file_;
  bool follow_;
  std::string key_field_;
  std::string stream_;
  int fd_ = -1;
  std::optional<LineReader> reader_;
  std::int64_t next_line_ = 0;
};

}  // namespace sluice::file_plugin
