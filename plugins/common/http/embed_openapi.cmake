# cmake -DINPUT=openapi.json -DOUTPUT=openapi_document.cpp -P embed_openapi.cmake
# Writes the OpenAPI document into a C++ source as a raw string literal, so the plugin serves
# it without reading any file at run time (the page folder may be absent). The build fails on
# a document that is not JSON or not OpenAPI 3.1, rather than shipping one that clients reject.
file(READ "${INPUT}" document)
string(JSON version ERROR_VARIABLE json_error GET "${document}" openapi)
if(json_error)
  message(FATAL_ERROR "${INPUT} is not valid JSON: ${json_error}")
endif()
if(NOT version MATCHES "^3\\.1\\.[0-9]+$")
  message(FATAL_ERROR "${INPUT}: \"openapi\" is \"${version}\", expected 3.1.x")
endif()
# The raw string's delimiter must not occur in the text.
set(delimiter "sluice_openapi")
string(FIND "${document}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )${delimiter}\"")
endif()
set(source "// Generated from ${INPUT} by embed_openapi.cmake: edit the JSON file, not this one.
#include \"openapi_document.hpp\"

namespace sluice::http {

std::string_view openapi_document() {
  static constexpr char text[] = R\"${delimiter}(${document})${delimiter}\";
  return {text, sizeof text - 1};
}

}  // namespace sluice::http
")
file(WRITE "${OUTPUT}" "${source}")
