// What every plugin needs, whatever its kind: the Plugin base, the base Host (log, metrics,
// health, shipped data files, stopping), Config and Status, and the one macro that turns a
// class into a loadable plugin. Each kind's interface and host are in its own header, which a
// plugin includes instead of this one: sluice/source.hpp, transform.hpp, sink.hpp, api.hpp.
// Stores, change feeds, dead letters, the admin side and replay are opt-in headers
// (sluice/store.hpp, change_feed.hpp, position_store.hpp, dead_letters.hpp, admin.hpp,
// replay.hpp): a plugin includes one only if it uses it (README.md, "Write your own plugin").
#pragma once

#include <boost/config.hpp>
#include <cstddef>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>

#include "sluice/abi.h"
#include "sluice/config.hpp"
#include "sluice/config_map.hpp"
#include "sluice/health.hpp"
#include "sluice/metrics.hpp"
#include "sluice/status.hpp"
#include "sluice/version.hpp"

namespace spdlog {
class logger;
}

namespace sluice {

// What the runtime offers every plugin instance; each kind gets a host with more (SourceHost,
// SinkHost, ApiHost; a transform gets this one). Each instance has its own host, so its log
// lines carry its name. Virtual base of the kind hosts, so one object can serve every kind.
class BOOST_SYMBOL_VISIBLE Host {
 public:
  virtual ~Host();
  virtual spdlog::logger& log() = 0;
  virtual Metrics& metrics() = 0;
  virtual Health& health() = 0;
  // Finds a shipped data file or folder (web/, sql/): as given if it exists relative to the
  // working directory or is absolute, else in the installation's or build tree's share dir.
  virtual std::filesystem::path data_path(std::string_view relative) = 0;
  // True once a stop was requested (SIGINT/SIGTERM or a fatal error elsewhere).
  virtual bool stopping() const = 0;
};

class BOOST_SYMBOL_VISIBLE Plugin {
 public:
  virtual ~Plugin();
};

// The interfaces and hosts of the kinds, declared here so the macro can name them; each is
// defined in its kind's header, which the plugin's translation unit includes.
class Source;
class SourceHost;
class Transform;
class Sink;
class SinkHost;
class Api;
class ApiHost;

namespace detail {

template <int Kind>
struct KindInterface;
// The interface a kind implements and the host it is given. The runtime passes create() a
// pointer to exactly that host type (converted to void* from it), so the cast back is exact.
template <>
struct KindInterface<sluice_kind_source> {
  using type = Source;
  using host = SourceHost;
};
template <>
struct KindInterface<sluice_kind_transform> {
  using type = Transform;
  using host = Host;
};
template <>
struct KindInterface<sluice_kind_sink> {
  using type = Sink;
  using host = SinkHost;
};
template <>
struct KindInterface<sluice_kind_api> {
  using type = Api;
  using host = ApiHost;
};

inline void copy_text(char* dst, std::size_t cap, std::string_view text) {
  std::size_t n = text.size() < cap - 1 ? text.size() : cap - 1;
  std::memcpy(dst, text.data(), n);
  dst[n] = '\0';
}

template <class Class, int Kind>
void* create(const char* config_json, void* host, sluice_error* err) noexcept {
  using Interface = typename KindInterface<Kind>::type;
  using KindHost = typename KindInterface<Kind>::host;
  try {
    Config config(nlohmann::json::parse(config_json));
    Interface* object = new Class(config, *static_cast<KindHost*>(host));
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
//     store, positions, volatile; see abi.h; without sluice_flag_volatile a sink is durable;
//     sources: opens_beside)
//   a constructor that does no I/O, taking its kind's host: CLASS(const sluice::Config&,
//     sluice::SourceHost&) for a source, sluice::Host& for a transform, sluice::SinkHost& for a
//     sink, sluice::ApiHost& for an API.
// KIND is one of: source, transform, sink, api; the translation unit includes that kind's
// header (sluice/source.hpp, transform.hpp, sink.hpp, api.hpp).
#define SLUICE_PLUGIN(NAME, KIND, CLASS)                                                          \
  extern "C" BOOST_SYMBOL_EXPORT const sluice_plugin_descriptor* sluice_plugin_entry() noexcept;  \
  extern "C" BOOST_SYMBOL_EXPORT const sluice_plugin_descriptor* sluice_plugin_entry() noexcept { \
    static const sluice_plugin_descriptor descriptor = {                                          \
        sizeof(sluice_plugin_descriptor),                                                         \
        SLUICE_ABI_VERSION,                                                                       \
        SLUICE_BUILD_ID,                                                                          \
        #NAME,                                                                                    \
        sluice_kind_##KIND,                                                                       \
        ::sluice::detail::version_of<CLASS>(),                                                    \
        CLASS::plugin_description,                                                                \
        ::sluice::detail::keys_of<CLASS>(),                                                       \
        ::sluice::detail::key_count_of<CLASS>(),                                                  \
        ::sluice::detail::flags_of<CLASS>(),                                                      \
        &::sluice::detail::create<CLASS, sluice_kind_##KIND>,                                     \
        &::sluice::detail::destroy<CLASS, sluice_kind_##KIND>,                                    \
        ::sluice::detail::former_names_of<CLASS>(),                                               \
    };                                                                                            \
    return &descriptor;                                                                           \
  }
