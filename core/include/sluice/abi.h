/* The plain C guard in front of every plugin. The host reads this descriptor and checks
 * it (struct size, ABI version, build id, kind) before any C++ object crosses. The first
 * three fields never move, so a descriptor from any past or future version can be read
 * far enough to say what is wrong with it. */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bump on any change to this file or to the C++ interfaces a plugin sees (plugin.hpp and the
 * kind and opt-in headers it names). 7: secret keys (sluice_config_key.secret), Api::refresh,
 * Source::end_offset and Host::source_end_offset. 8: a header and a host per kind
 * (SourceHost, SinkHost, ApiHost; transforms get Host), SourceHost::report_lag, the store
 * split into StoreReader and WarmSource, replay beside the batch (sluice/replay.hpp)
 * instead of Record::dead_letter_id, and the descriptor's former_names (README.md, "Write your own plugin": "From ABI 7
 * to 8"). 9: Outcome routes letters (Outcome::route_letters, reject_stored, Rejected::stored) and
 * DeadLetterStore::payload_limit, so a sink stores the letters of what it refuses in its own
 * transaction (README.md, "Delivery guarantees"; "From ABI 8 to 9"); Source::stream_offsets
 * (sluice/stream_offsets.hpp) and PositionStore's hold, release, list and move, for
 * `sluice positions`. */
#define SLUICE_ABI_VERSION 9u
#define SLUICE_ENTRY_SYMBOL "sluice_plugin_entry"

enum sluice_kind {
  sluice_kind_source = 1,
  sluice_kind_transform = 2,
  sluice_kind_sink = 3,
  sluice_kind_api = 4,
};

enum sluice_key_type {
  sluice_key_string = 1,
  sluice_key_int = 2,
  sluice_key_number = 3,
  sluice_key_bool = 4,
  sluice_key_list = 5,   /* list of strings */
  sluice_key_map = 6,    /* map of string -> string (scalars are converted to text) */
  sluice_key_store = 7,  /* the id of a sink that is a store */
  sluice_key_stores = 8, /* a list of store ids */
};

/* Capabilities a plugin declares, so the host can check references without creating it. */
enum sluice_flags {
  sluice_flag_store = 1u,     /* a sink: answers lookups and can stream its contents */
  sluice_flag_positions = 2u, /* a sink: keeps source positions transactionally with the data */
  sluice_flag_volatile = 4u,  /* a sink: keeps nothing across a restart: a cache or a tap */
  /* A source: a new instance may open while the one it replaces is still open (a file; not a
   * Kafka consumer with a static member id), so a reload opens the new one first and closes
   * the old one only once it opened (README.md, "Live reload", Make before break). */
  sluice_flag_opens_beside = 8u,
};

typedef struct sluice_config_key {
  const char* name;
  int type;                 /* enum sluice_key_type */
  int required;             /* 1 if the key must be given */
  const char* default_json; /* JSON text of the default, or NULL */
  const char* doc;          /* one line */
  int secret;               /* 1 if the value is a credential (a DSN, a password, a token): never
                             * printed in reload diffs, logs or answers, nor hashed into
                             * sluice_config_info (README.md, "Secrets in the config") */
} sluice_config_key;

typedef struct sluice_error {
  char key[64]; /* config key the error is about, or empty */
  char message[960];
} sluice_error;

typedef struct sluice_plugin_descriptor {
  uint32_t struct_size; /* sizeof(sluice_plugin_descriptor) when the plugin was built */
  uint32_t abi_version; /* SLUICE_ABI_VERSION when the plugin was built */
  const char* build_id; /* project version + compiler + C++ library ABI */
  const char* name;
  int kind; /* enum sluice_kind */
  const char* version;
  const char* description;
  const sluice_config_key* keys;
  size_t key_count;
  uint32_t flags; /* enum sluice_flags */
  /* Returns the kind's C++ interface pointer (sluice::Source* ...) or NULL with `err` set.
   * `config_json` was validated against `keys`; `host` is the kind's host: a sluice::SourceHost*,
   * sluice::Host* (transform), sluice::SinkHost* or sluice::ApiHost*, converted to void* from
   * exactly that type. */
  void* (*create)(const char* config_json, void* host, sluice_error* err);
  void (*destroy)(void* object);
  /* Names this plugin had before (NULL-terminated array, or NULL): a pipeline file that still
   * uses one gets this plugin and one deprecation line (README.md, "Plugins"). */
  const char* const* former_names;
} sluice_plugin_descriptor;

typedef const sluice_plugin_descriptor* (*sluice_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_ABI_H */
