// The OpenAPI 3.1 description of every route this plugin serves (plugins/rest/openapi.json),
// compiled into the plugin by embed_openapi.cmake and served at GET /openapi.json on both
// listeners, without a token: it is documentation, and holds no data of the pipeline.
#pragma once

#include <string_view>

namespace sluice::rest {

std::string_view openapi_document();

}  // namespace sluice::rest
