// The plugin's entry point, kept apart so tests can link the implementation without it.
#include "kafka_source.hpp"

SLUICE_PLUGIN(kafka, source, sluice::kafka::KafkaSource)
