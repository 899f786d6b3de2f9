// The plugin entry point lives apart from the class so tests can link the class alone.
#include "order_validate.hpp"

SLUICE_PLUGIN(order_validate, transform, sluice::orders::OrderValidate)
