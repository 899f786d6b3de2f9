// The OpenAPI 3.1 description of every route the rest and admin plugins serve (openapi.json),
// compiled in by embed_openapi.cmake and served at GET /openapi.json by both front ends,
// without a token: it is documentation, and holds no data of the pipeline.
#pragma once

#include <string_view>

namespace sluice::http {

std::string_view openapi_document();

}  // namespace sluice::http
