// The plugin entry point lives apart from the class so tests can link the class alone.
#include "postgres_sink.hpp"

SLUICE_PLUGIN(postgres_orders, sink, sluice::pg::PostgresSink)
