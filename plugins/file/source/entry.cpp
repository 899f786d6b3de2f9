// The `file` source module (file_source.so). The class is in file_source.hpp; only this
// module's entry point includes it.
#include "file_source.hpp"

SLUICE_PLUGIN(file, source, sluice::file_plugin::FileSource)
