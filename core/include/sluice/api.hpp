// An API plugin (a front end such as REST): the Api interface and the ApiHost it is given.
// Include this header (not plugin.hpp) in an API; sluice/store.hpp to read the stores it
// looks up, sluice/admin.hpp to serve the operators' side.
#pragma once

#include <boost/config.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/plugin.hpp"

namespace sluice {

class StoreReader;  // sluice/store.hpp
class Admin;        // sluice/admin.hpp

// What the runtime offers an API: the base Host, the stores to read, the operators' side and
// where the running source ends.
class BOOST_SYMBOL_VISIBLE ApiHost : public virtual Host {
 public:
  // The reading side of the sink declared with `id` if it is a store, else nullptr.
  virtual StoreReader* store_reader(std::string_view id) = 0;
  // The operators' side of the running pipeline (from start() on); nullptr when there is
  // none (`sluice migrate`, tests).
  virtual Admin* admin() = 0;
  // Where the running source's `stream`/`partition` ends now (Source::end_offset), or nothing
  // when unknown: no source open (starting, reloading, stopping), a source that cannot say,
  // or no answer within `timeout`. Thread-safe; never reaches a closed source.
  virtual std::optional<std::int64_t> source_end_offset(const std::string& stream, std::int32_t partition,
                                                        std::chrono::milliseconds timeout) = 0;
};

// A front end (REST). Runs its own threads between start() and stop().
// Constructor: CLASS(const sluice::Config&, sluice::ApiHost&).
class BOOST_SYMBOL_VISIBLE Api : public Plugin {
 public:
  virtual Status start() = 0;
  virtual void stop() = 0;
  // At every reload (SIGHUP, `sluice reload`, POST /admin/reload) that keeps this API running,
  // even when the pipeline file did not change: re-read what the API reads from outside the
  // file (the rest plugin: its tokens, so they rotate without a restart). An error leaves the
  // API as it was; the reload reports it. The default does nothing.
  virtual Status refresh();
};

}  // namespace sluice
