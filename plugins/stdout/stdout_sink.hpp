// `stdout` sink: prints records, to watch a pipeline or pipe it into other tools.
#pragma once
#include <cstdio>

#include "record_format.hpp"
#include "sluice/sink.hpp"
#include "stdout_settings.hpp"

namespace sluice::stdout_plugin {

class StdoutSink final : public Sink {
 public:
  static constexpr const char* plugin_description = "Prints each record on standard output, one line each";
  // A tap: what it printed before a crash is nobody's record of truth, so it may follow the
  // sink that keeps positions.
  static constexpr std::uint32_t plugin_flags = sluice_flag_volatile;
  static const ConfigMap<StdoutSettings>& config_map() { return stdout_config_map(); }

  StdoutSink(const Config& config, SinkHost&)
      : format_(file_plugin::parse_format(stdout_config_map().parse(config).format)) {}

  Status open() override { return Status::ok(); }

  Status write(Batch& batch, Outcome&) override {
    buffer_.clear();
    for (const auto& r : batch.records) file_plugin::append_line(buffer_, r, format_);
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), stdout) != buffer_.size() || std::fflush(stdout) != 0) {
      return Status::fatal("cannot write to stdout");
    }
    return Status::ok();
  }

 private:
  file_plugin::RecordFormat format_;
  std::string buffer_;
};

}  // namespace sluice::stdout_plugin
