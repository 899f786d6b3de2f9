// The `file` sink module (file_sink.so). The class is in file_sink.hpp; only this module's
// entry point includes it.
#include "file_sink.hpp"

SLUICE_PLUGIN(file, sink, sluice::file_plugin::FileSink)
