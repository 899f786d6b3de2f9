// The plugin's entry point, kept apart so tests can link the implementation without it.
#include "admin_api.hpp"

SLUICE_PLUGIN(admin, api, sluice::admin::AdminApi)
