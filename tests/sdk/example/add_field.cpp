// `add_field`: a transform that adds one field to every JSON record, e.g.
//   {"id": 1}  ->  {"id": 1, "pipeline": "orders"}
// Records that are not JSON objects go to the dead-letter route instead.
//
// A plugin is a class implementing its kind's interface (a transform: sluice/transform.hpp; a
// source, sink or API: sluice/source.hpp, sink.hpp, api.hpp) plus one SLUICE_PLUGIN line that
// makes it loadable.
#include <nlohmann/json.hpp>

#include "sluice/transform.hpp"

namespace example {

// The configuration: a struct whose member initializers are the defaults...
struct AddFieldSettings {
  std::string field = "pipeline";
  std::string value;  // required, see below
};

// ...and the keys the pipeline file may set, bound to its members. The host checks the pipeline
// file against them (unknown keys, types, required) before the plugin is created, and
// `sluice plugins` prints the doc strings.
const sluice::ConfigMap<AddFieldSettings>& add_field_config() {
  using S = AddFieldSettings;
  static const sluice::ConfigMap<S> map{
      sluice::key("field", &S::field, "Name of the field to add (replaced if present)"),
      sluice::key("value", &S::value, "String value of that field").required(),
  };
  return map;
}

class AddField final : public sluice::Transform {
 public:
  static constexpr const char* plugin_description = "Adds a string field to every JSON object record";
  static const sluice::ConfigMap<AddFieldSettings>& config_map() { return add_field_config(); }

  // Called once when the pipeline is built: read the settings, do no I/O yet.
  AddField(const sluice::Config& config, sluice::Host& host)
      : settings_(add_field_config().parse(config)),
        changed_(host.metrics().counter("sluice_add_field_records_total", "Records add_field changed")) {}

  // One batch at a time, in order. Change records in place; refuse single records with
  // outcome.reject(index, reason, json_pointer, detail): they go to the dead-letter route.
  sluice::Status apply(sluice::Batch& batch, sluice::Outcome& outcome) override {
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
      sluice::Record& record = batch.records[i];
      // ordered_json keeps the record's own field order; the new field comes last.
      auto json = nlohmann::ordered_json::parse(record.value, nullptr, /*allow_exceptions=*/false);
      if (!json.is_object()) {
        outcome.reject(i, "not_a_json_object", "", "add_field needs a JSON object");
        continue;
      }
      json[settings_.field] = settings_.value;
      record.value = json.dump();
      changed_.inc();
    }
    // Errors are values, never exceptions: Status::retry(...) to be called again later,
    // Status::fatal(...) to stop the pipeline.
    return sluice::Status::ok();
  }

 private:
  AddFieldSettings settings_;
  sluice::Counter& changed_;
};

}  // namespace example

// The entry point sluice looks for: plugin name (as in the pipeline file), kind, class.
SLUICE_PLUGIN(add_field, transform, example::AddField)
