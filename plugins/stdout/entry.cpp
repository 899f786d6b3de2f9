// The `stdout` sink module. The class is in stdout_sink.hpp; only this entry point includes it.
#include "stdout_sink.hpp"

SLUICE_PLUGIN(stdout, sink, sluice::stdout_plugin::StdoutSink)
