// The plugin's entry point, kept apart so tests can link the implementation without it.
#include "rest_api.hpp"

SLUICE_PLUGIN(rest, api, sluice::rest::RestApi)
