// The pipeline file's top-level `admin:` mapping (like Vector's `api:`): the operators' API is
// a core part of every pipeline, not a key of one front end. It is planned as one more API
// stage, the `admin` plugin, whose declared keys the mapping holds (so unknown keys and wrong
// types are refused at their file:line:col like any plugin config). README, "Operating Sluice".
//
// Pipelines written before it kept the admin API's keys in the `rest` API's config
// (admin_listen, admin_threads, admin_max_connections, metrics_on: admin). Without a top-level
// `admin:`, each `rest` stage implies an `admin` stage: those keys move to it, and the keys
// both listeners used (tokens, TLS, proxies, hosts, limits, page folder) are copied, so an
// existing pipeline keeps its admin API exactly where it was; a deprecation notice names the
// first old key and the new form.
#pragma once

#include <yaml-cpp/yaml.h>

#include "pipeline_file.hpp"

namespace sluice {

// Appends the admin stage(s) to spec.stages (after every other API) and the deprecation
// notices to spec.notices. Throws PipelineError for a malformed `admin:` or an admin API
// given twice.
void read_admin_section(const SpecReader& reader, const YAML::Node& root, PipelineSpec& spec);

}  // namespace sluice
