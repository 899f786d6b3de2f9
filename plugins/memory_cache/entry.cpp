// The plugin entry point lives apart from the class so tests can link the class alone.
#include "memory_cache.hpp"

SLUICE_PLUGIN(memory_cache, sink, sluice::cache::MemoryCache)
