// The C++ interfaces a plugin implements, the Host it talks back to, and the one macro that
// turns a class into a loadable plugin.
#pragma once

#include <boost/config.hpp>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/abi.h"
#include "sluice/admin.hpp"
#include "sluice/config.hpp"
#include "sluice/config_map.hpp"
#include "sluice/dead_letters.hpp"
#include "sluice/health.hpp"
#include "sluice/metrics.hpp"
#include "sluice/record.hpp"
#include "sluice/status.hpp"
#include "sluice/store.hpp"
#include "sluice/version.hpp"

namespace spdlog {
class logger;
}

namespace sluice {

// What the runtime offers one plugin instance. Each instance has its own Host, so its log
// lines carry its name.
class BOOST_SYMBOL_VISIBLE Host {
 public:
  virtual ~Host();
  virtual spdlog::logger& log() = 0;
  virtual Metrics& metrics() = 0;
  virtual Health& health() = 0;
  // A sink declared with `id` that is a store, or nullptr.
  virtual Store* store(std::string_view id) = 0;
  // The first sink that keeps positions with its data (for sources), or nullptr.
  virtual PositionStore* position_store() = 0;
  // Sources only, from inside poll()/idle(): blocks until every batch handed out so far is
  // fully handled, then calls commit() with their positions (true). Used on partition
  // revocation. Past `limit` it stops waiting and abandons the batches still in flight
  // (false): they are never acknowledged, and stages that have not run them yet skip them.
  // Their records are read again by whoever owns the partitions next; fencing in the
  // position store makes a write that was already under way harmless.
  virtual bool drain(std::chrono::milliseconds limit) = 0;
  // Sources only: abandons every batch in flight at once, without waiting (an assignment
  // was lost: another member may own the partitions, so nothing more of them should reach
  // the sinks).
  virtual void abandon_in_flight() = 0;
  // Finds a shipped data file or folder (web/, sql/): as given if it exists relative to the
  // working directory or is absolute, else in the installation's or build tree's share dir.
  virtual std::filesystem::path data_path(std::string_view relative) = 0;
  // True once a stop was requested (SIGINT/SIGTERM or a fatal error elsewhere).
  virtual bool stopping() const = 0;
  // The operators' side of the running pipeline (APIs only, from start() on); nullptr when
  // there is none (`sluice migrate`, tests).
  virtual Admin* admin();
  // APIs: where the running source's `stream`/`partition` ends now (Source::end_offset), or
  // nothing when unknown: no source open (starting, reloading, stopping), a source that
  // cannot say, or no answer within `timeout`. Thread-safe; never reaches a closed source.
  virtual std::optional<std::int64_t> source_end_offset(const std::string& stream, std::int32_t partition,
                                                        std::chrono::milliseconds timeout);
};

class BOOST_SYMBOL_VISIBLE Plugin {
 public:
  virtual ~Plugin();
};

struct PollLimits {
  std::size_t max_records = 1000;
  std::chrono::milliseconds max_wait{100};
  // Bytes of keys and values in one batch: a source stops filling it past this (a single
  // record larger than it still goes alone). A source that reads ahead keeps at most four
  // batches' worth (4 * max_bytes), so memory stays bounded whatever the message size.
  std::size_t max_bytes = std::size_t{32} << 20;
};

// Produces batches on one thread (the runtime's source thread). Every method is called on
// that thread.
class BOOST_SYMBOL_VISIBLE Source : public Plugin {
 public:
  virtual Status open() = 0;
  // Fills `out` (records and positions). An empty batch is fine. end_of_input ends a run.
  virtual Status poll(Batch& out, const PollLimits& limits) = 0;
  // The runtime is full (backpressure): keep sessions alive, hand out nothing.
  virtual Status idle(std::chrono::milliseconds wait) = 0;
  // Positions every sink accepted, in order; safe to make durable.
  virtual Status commit(const std::vector<Position>& positions) = 0;
  // A position store holds these partitions further than batches this source handed out
  // (another instance stored them: this one was paused or evicted). `stored` is the stored
  // next offset per partition; nothing below it needs reading again. Default: ignore.
  virtual void fenced(const std::vector<Position>& stored);
  virtual void close();
  // The one exception to "every method on the source thread": called from API threads (a
  // read-your-writes check, plugins/rest/README.md), concurrently with poll(), idle() and
  // commit(), and only between an open() that succeeded and close(). The next offset
  // `stream`/`partition` will write, fresh from where the stream lives (Kafka: the high-water
  // mark), within `timeout`; nothing when unknown (not this source's stream, no answer in
  // time). Default: unknown. Last in the class so the other virtuals keep their slots.
  virtual std::optional<std::int64_t> end_offset(const std::string& stream, std::int32_t partition,
                                                 std::chrono::milliseconds timeout);
};

// Maps, validates or routes records. May change records in place and reject single ones.
// Every transform's apply() runs on the runtime's transforms thread, one batch at a time, in
// order (while the sinks write earlier batches on their own threads).
class BOOST_SYMBOL_VISIBLE Transform : public Plugin {
 public:
  virtual Status apply(Batch& batch, Outcome& outcome) = 0;
};

// Writes batches. write() returns ok only when the batch is durable; rejected records go to
// the dead-letter route; retry means "nothing was kept, call again later". Each sink's write()
// runs on that sink's own thread, one batch at a time, in order: a later sink gets batch n
// after this one returned ok for it, while this one may already write batch n+1.
class BOOST_SYMBOL_VISIBLE Sink : public Plugin {
 public:
  // Connect, apply migrations, warm up. May take long; report progress in the log.
  virtual Status open() = 0;
  virtual Status write(Batch& batch, Outcome& outcome) = 0;
  virtual void close();
  // Apply schema migrations only (for `sluice migrate`).
  virtual Status migrate();
  virtual Store* store();
  virtual PositionStore* position_store();
  // A dead-letter sink that can list and manage what it keeps (admin API, `sluice
  // dead-letters`), or nullptr. Thread-safe from open() on.
  virtual DeadLetterStore* dead_letter_store();
};

// A front end (REST). Runs its own threads between start() and stop().
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

namespace detail {

template <int Kind>
struct KindInterface;
template <>
struct KindInterface<sluice_kind_source> { using type = Source; };
template <>
struct KindInterface<sluice_kind_transform> { using type = Transform; };
template <>
struct KindInterface<sluice_kind_sink> { using type = Sink; };
template <>
struct KindInterface<sluice_kind_api> { using type = Api; };

inline void copy_text(char* dst, std::size_t cap, std::string_view text) {
  std::size_t n = text.size() < cap - 1 ? text.size() : cap - 1;
  std::memcpy(dst, text.data(), n);
  dst[n] = '\0';
}

template <class Class, int Kind>
void* create(const char* config_json, void* host, sluice_error* err) noexcept {
  using Interface = typename KindInterface<Kind>::type;
  try {
    Config config(nlohmann::json::parse(config_json));
    Interface* object = new Class(config, *static_cast<Host*>(host));
    return object;
  } catch (const ConfigError& e) {
    copy_text(err->key, sizeof err->key, e.key());
    copy_text(err->message, sizeof err->message, e.what());
  } catch (const std::exception& e) {
    copy_text(err->message, sizeof err->message, e.what());
  } catch (...) {
    copy_text(err->message, sizeof err->message, "unknown exception");
  }
  return nullptr;
}

template <class Class, int Kind>
void destroy(void* object) noexcept {
  using Interface = typename KindInterface<Kind>::type;
  try {
    delete static_cast<Interface*>(object);
  } catch (...) {
    // Destructors must not throw; nothing sensible is left to do here.
  }
}

// The declared keys: from the class's config map (static config_map() returning a
// sluice::ConfigMap, see config_map.hpp) or, the older way, a static array plugin_keys.
template <class Class>
const sluice_config_key* keys_of() {
  if constexpr (requires { Class::config_map().keys(); }) {
    return Class::config_map().keys().data();
  } else {
    return Class::plugin_keys;
  }
}

template <class Class>
std::size_t key_count_of() {
  if constexpr (requires { Class::config_map().keys(); }) {
    return Class::config_map().keys().size();
  } else {
    return sizeof(Class::plugin_keys) / sizeof(Class::plugin_keys[0]);
  }
}

// The plugin's own version if it declares one, else the version of the tree it was built in.
template <class Class>
constexpr const char* version_of() {
  if constexpr (requires { Class::plugin_version; }) {
    return Class::plugin_version;
  } else {
    return SLUICE_VERSION_STRING;
  }
}

template <class Class>
constexpr std::uint32_t flags_of() {
  if constexpr (requires { Class::plugin_flags; }) {
    return Class::plugin_flags;
  } else {
    return 0;
  }
}

template <class Class>
constexpr const char* const* former_names_of() {
  if constexpr (requires { Class::plugin_former_names; }) {
    return Class::plugin_former_names;
  } else {
    return nullptr;
  }
}

}  // namespace detail
}  // namespace sluice

// Declares the plugin's entry point. CLASS must provide:
//   static constexpr const char* plugin_description = "...";
//   the keys it takes, either
//     static const sluice::ConfigMap<Settings>& config_map();  (sluice/config_map.hpp: keys bound to a
//       settings struct, defaults written once as its member initializers), or
//     static constexpr sluice_config_key plugin_keys[] = {{"name", sluice_key_string, 1, nullptr, "doc", 0}, ...};
//       (the last field: 1 for a secret, see abi.h)
//   optionally static constexpr const char* plugin_version = "1.2.0"; (default: this tree's version)
//   optionally static constexpr const char* plugin_former_names[] = {"old_name", nullptr}; (a
//     renamed plugin: pipeline files naming it the old way still load it, with a deprecation line)
//   optionally static constexpr std::uint32_t plugin_flags = sluice_flag_store | ...; (sinks:
//     store, positions, volatile; see abi.h; without sluice_flag_volatile a sink is durable)
//   a constructor CLASS(const sluice::Config&, sluice::Host&) that does no I/O.
// KIND is one of: source, transform, sink, api.
#define SLUICE_PLUGIN(NAME, KIND, CLASS)                                                      \
  extern "C" BOOST_SYMBOL_EXPORT const sluice_plugin_descriptor* sluice_plugin_entry() noexcept; \
  extern "C" BOOST_SYMBOL_EXPORT const sluice_plugin_descriptor* sluice_plugin_entry() noexcept { \
    static const sluice_plugin_descriptor descriptor = {                                       \
        sizeof(sluice_plugin_descriptor),                                                      \
        SLUICE_ABI_VERSION,                                                                    \
        SLUICE_BUILD_ID,                                                                       \
        #NAME,                                                                                 \
        sluice_kind_##KIND,                                                                    \
        ::sluice::detail::version_of<CLASS>(),                                                 \
        CLASS::plugin_description,                                                             \
        ::sluice::detail::keys_of<CLASS>(),                                                    \
        ::sluice::detail::key_count_of<CLASS>(),                                               \
        ::sluice::detail::flags_of<CLASS>(),                                                   \
        &::sluice::detail::create<CLASS, sluice_kind_##KIND>,                                  \
        &::sluice::detail::destroy<CLASS, sluice_kind_##KIND>,                                 \
        ::sluice::detail::former_names_of<CLASS>(),                                            \
    };                                                                                         \
    return &descriptor;                                                                        \
  }
