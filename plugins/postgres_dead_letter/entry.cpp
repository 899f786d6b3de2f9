// The plugin entry point lives apart from the class so tests can link the class alone.
#include "dead_letter_sink.hpp"

SLUICE_PLUGIN(postgres_dead_letter, sink, sluice::pg::DeadLetterSink)
