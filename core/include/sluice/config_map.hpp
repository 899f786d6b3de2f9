// A plugin's configuration in one place: a table that binds each config key to a member of the
// plugin's settings struct (like Fluent Bit's config map, with pointers to members instead of
// offsetof). From it come both the keys the plugin declares to the host (name, type, required,
// default, doc) and the typed settings the plugin reads.
//
// The default of a key is written once, as the member's initializer: the declared default
// JSON text is produced from a default-constructed settings object, so what `sluice plugins`,
// the README and the JSON Schema state is what the plugin gets.
//
//   struct MySettings { std::string name = "x"; int threads = 4; std::chrono::milliseconds wait{100}; };
//   const sluice::ConfigMap<MySettings>& my_map() {
//     static const sluice::ConfigMap<MySettings> map{
//         sluice::key("name", &MySettings::name, "what it is called"),
//         sluice::key("threads", &MySettings::threads, "worker threads").range(1, 64),
//         sluice::key("wait_ms", &MySettings::wait, "how long to wait").range(0, 60000),
//     };
//     return map;
//   }
//   class MyPlugin { static const auto& config_map() { return my_map(); } ... };  // SLUICE_PLUGIN uses it
//
// Key types follow the member type: std::string -> string, bool -> bool, integers -> int,
// double -> number, std::vector<std::string> -> list, std::map<std::string, std::string> -> map,
// std::chrono::milliseconds -> int (milliseconds), std::optional<T> -> T's type with no default
// when the member is empty. `.store()` declares a string / list member as store id(s); a member
// of any other type takes a Conversion (parse from JSON, default as JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sluice/abi.h"
#include "sluice/config.hpp"
#include "sluice/status.hpp"

namespace sluice {

// The message of a range error: `key` got `value`, outside [min, max].
using RangeMessage = std::string (*)(std::string_view key, std::int64_t value, std::int64_t min, std::int64_t max);

namespace range_message {
// "threads must be between 0 and 64, got 65"
inline std::string between(std::string_view key, std::int64_t value, std::int64_t min, std::int64_t max) {
  return std::string(key) + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
         std::to_string(value);
}
// "read_connections must be 1..64"
inline std::string dots(std::string_view key, std::int64_t, std::int64_t min, std::int64_t max) {
  return std::string(key) + " must be " + std::to_string(min) + ".." + std::to_string(max);
}
}  // namespace range_message

// How a member of a type the map does not know is read and written.
template <class M>
struct Conversion {
  int type = sluice_key_string;                     // what the host checks the value as
  std::function<M(const nlohmann::json&)> parse;    // may throw ConfigError
  std::function<nlohmann::json(const M&)> to_json;  // the member's value as the declared default
};

namespace config_map_detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {
  using value_type = T;
};

template <class T>
constexpr bool is_integer = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// The sluice_key_type of a member type, or -1 for one that needs a Conversion.
template <class T>
constexpr int key_type_of() {
  if constexpr (is_optional<T>::value) {
    return key_type_of<typename is_optional<T>::value_type>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return sluice_key_string;
  } else if constexpr (std::is_same_v<T, bool>) {
    return sluice_key_bool;
  } else if constexpr (is_integer<T> || std::is_same_v<T, std::chrono::milliseconds>) {
    return sluice_key_int;
  } else if constexpr (std::is_floating_point_v<T>) {
    return sluice_key_number;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return sluice_key_list;
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    return sluice_key_map;
  } else {
    return -1;
  }
}

inline const char* expected_text(int type) {
  switch (type) {
    case sluice_key_int:
      return "an integer";
    case sluice_key_number:
      return "a number";
    case sluice_key_bool:
      return "true or false";
    case sluice_key_list:
      return "a list of strings";
    case sluice_key_stores:
      return "a list of store ids";
    case sluice_key_map:
      return "a mapping of names to strings";
    case sluice_key_store:
      return "a store id";
    default:
      return "a string";
  }
}

}  // namespace config_map_detail

// One key: built by sluice::key(...) and refined with the modifiers below.
template <class Settings>
class ConfigKey {
 public:
  using Reader = std::function<void(Settings&, const nlohmann::json&, const ConfigKey&)>;
  using Writer = std::function<nlohmann::json(const Settings&)>;  // null: no default

  ConfigKey(const char* name, const char* doc, int type, Reader read, Writer write)
      : name_(name), doc_(doc), type_(type), read_(std::move(read)), write_(std::move(write)) {}

  // The key must be given; it declares no default.
  ConfigKey& required() & {
    required_ = true;
    return *this;
  }
  ConfigKey&& required() && { return std::move(required()); }

  // Integers and durations (in ms): values outside [min, max] are refused with `message`.
  ConfigKey& range(std::int64_t min, std::int64_t max, RangeMessage message = &range_message::between) & {
    if (type_ != sluice_key_int) {
      throw std::logic_error(std::string("config key '") + name_ + "': only integer and duration members take a range");
    }
    min_ = min;
    max_ = max;
    message_ = message;
    return *this;
  }
  ConfigKey&& range(std::int64_t min, std::int64_t max, RangeMessage message = &range_message::between) && {
    return std::move(range(min, max, message));
  }
  // Only a lower bound.
  ConfigKey& at_least(std::int64_t min, RangeMessage message) & {
    return range(min, std::numeric_limits<std::int64_t>::max(), message);
  }
  ConfigKey&& at_least(std::int64_t min, RangeMessage message) && { return std::move(at_least(min, message)); }

  // A string member holds a store id, a list member store ids: the host checks they name stores.
  ConfigKey& store() & {
    if (type_ == sluice_key_string) {
      type_ = sluice_key_store;
    } else if (type_ == sluice_key_list) {
      type_ = sluice_key_stores;
    } else {
      throw std::logic_error(std::string("config key '") + name_ +
                             "': only a string or list member can hold store ids");
    }
    return *this;
  }
  ConfigKey&& store() && { return std::move(store()); }

  // The value is a credential (a DSN, a password, a token, properties that may hold them): the
  // host never prints it in reload diffs nor hashes it into sluice_config_info.
  ConfigKey& secret() & {
    secret_ = true;
    return *this;
  }
  ConfigKey&& secret() && { return std::move(secret()); }

  const char* name() const { return name_; }
  const char* doc() const { return doc_; }
  int type() const { return type_; }
  bool is_required() const { return required_; }
  bool is_secret() const { return secret_; }
  std::optional<std::int64_t> min() const { return min_; }
  std::optional<std::int64_t> max() const { return max_; }

  // Sets the member from `value`; throws ConfigError naming the key.
  void read(Settings& settings, const nlohmann::json& value) const { read_(settings, value, *this); }
  // The member's value in `settings` as JSON; null when it has none (an empty optional).
  nlohmann::json write(const Settings& settings) const { return write_(settings); }

  // For readers: an integer checked against the range.
  std::int64_t checked_int(const nlohmann::json& value) const {
    if (!value.is_number_integer()) throw ConfigError(name_, std::string(name_) + " must be an integer");
    std::int64_t v = value.get<std::int64_t>();
    if ((min_ && v < *min_) || (max_ && v > *max_)) {
      throw ConfigError(name_, message_(name_, v, min_.value_or(std::numeric_limits<std::int64_t>::min()),
                                        max_.value_or(std::numeric_limits<std::int64_t>::max())));
    }
    return v;
  }

 private:
  const char* name_;
  const char* doc_;
  int type_;
  bool required_ = false;
  bool secret_ = false;
  std::optional<std::int64_t> min_;
  std::optional<std::int64_t> max_;
  RangeMessage message_ = &range_message::between;
  Reader read_;
  Writer write_;
};

namespace config_map_detail {

template <class T, class Settings>
T read_value(const nlohmann::json& value, const ConfigKey<Settings>& key) {
  if constexpr (is_integer<T>) {
    std::int64_t v = key.checked_int(value);
    if (std::cmp_less(v, std::numeric_limits<T>::min()) || std::cmp_greater(v, std::numeric_limits<T>::max())) {
      throw ConfigError(key.name(), std::string(key.name()) + " is out of range, got " + std::to_string(v));
    }
    return static_cast<T>(v);
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    return std::chrono::milliseconds(key.checked_int(value));
  } else {
    try {
      return value.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw ConfigError(key.name(), std::string(key.name()) + " must be " + expected_text(key_type_of<T>()));
    }
  }
}

template <class T>
nlohmann::json write_value(const T& value) {
  if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    return value.count();
  } else if constexpr (is_integer<T>) {
    return static_cast<std::int64_t>(value);
  } else {
    return value;
  }
}

}  // namespace config_map_detail

// Binds `name` to `member`; the key type follows the member's type.
template <class Settings, class M>
ConfigKey<Settings> key(const char* name, M Settings::*member, const char* doc) {
  using namespace config_map_detail;
  static_assert(key_type_of<M>() >= 0, "this member type needs a sluice::Conversion");
  return ConfigKey<Settings>(
      name, doc, key_type_of<M>(),
      [member](Settings& s, const nlohmann::json& value, const ConfigKey<Settings>& k) {
        if constexpr (is_optional<M>::value) {
          s.*member = read_value<typename is_optional<M>::value_type>(value, k);
        } else {
          s.*member = read_value<M>(value, k);
        }
      },
      [member](const Settings& s) -> nlohmann::json {
        if constexpr (is_optional<M>::value) {
          if (!(s.*member)) return nullptr;
          return write_value(*(s.*member));
        } else {
          return write_value(s.*member);
        }
      });
}

// Binds `name` to a member of a type of the plugin's own (the escape hatch).
template <class Settings, class M>
ConfigKey<Settings> key(const char* name, M Settings::*member, const char* doc, Conversion<M> conversion) {
  return ConfigKey<Settings>(
      name, doc, conversion.type,
      [member, parse = conversion.parse](Settings& s, const nlohmann::json& value, const ConfigKey<Settings>&) {
        s.*member = parse(value);
      },
      [member, to_json = conversion.to_json](const Settings& s) { return to_json(s.*member); });
}

// The table of a plugin's keys. Build it once, with static storage duration (the descriptor
// keeps pointers into it): a function-local static.
template <class Settings>
class ConfigMap {
 public:
  ConfigMap(std::initializer_list<ConfigKey<Settings>> keys) : entries_(keys) {
    // On the heap: GCC 12 at -O3 takes a std::string member of a stack object for
    // uninitialised in its destructor (-Wmaybe-uninitialized, a false positive).
    const auto defaults = std::make_unique<const Settings>();
    declared_.reserve(entries_.size());
    for (const auto& k : entries_) {
      const char* default_json = nullptr;
      if (!k.is_required()) {
        nlohmann::json value = k.write(*defaults);
        if (!value.is_null()) default_json = texts_.emplace_back(value.dump()).c_str();
      }
      declared_.push_back({k.name(), k.type(), k.is_required() ? 1 : 0, default_json, k.doc(), k.is_secret() ? 1 : 0});
    }
  }
  ConfigMap(const ConfigMap&) = delete;
  ConfigMap& operator=(const ConfigMap&) = delete;

  // What the plugin declares to the host (sluice_plugin_descriptor::keys).
  std::span<const sluice_config_key> keys() const { return declared_; }
  const std::vector<ConfigKey<Settings>>& entries() const { return entries_; }

  // Every member from the (host-checked, defaults-filled) config. A key that is absent keeps
  // the member's initializer, so a config built by hand gets the same defaults; a required
  // key that is absent throws. Throws ConfigError naming the key for a bad value.
  Settings parse(const Config& config) const {
    Settings settings{};
    for (const auto& k : entries_) {
      if (config.has(k.name())) {
        k.read(settings, config.json().at(k.name()));
      } else if (k.is_required()) {
        throw ConfigError(k.name(), std::string("missing required key '") + k.name() + "'");
      }
    }
    return settings;
  }

 private:
  std::vector<ConfigKey<Settings>> entries_;
  std::deque<std::string> texts_;  // default JSON texts; a deque keeps their addresses
  std::vector<sluice_config_key> declared_;
};

}  // namespace sluice
