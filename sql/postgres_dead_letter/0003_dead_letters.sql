-- Messages that could not be stored, with everything needed to understand and replay them.
-- A message is identified by its source position: seeing the same position again (a replay
-- after a crash) bumps `attempts` and `last_seen` instead of adding a row. Records without a
-- position (offset < 0) always get a row of their own.
CREATE TABLE dead_letters (
    id               bigserial PRIMARY KEY,
    source_stream    text NOT NULL,
    source_partition integer NOT NULL,
    source_offset    bigint NOT NULL,
    record_key       bytea,            -- as received; Kafka keys need not be text
    raw              bytea NOT NULL,   -- the message exactly as received
    reason           text NOT NULL,    -- machine-readable, e.g. missing_field
    json_pointer     text NOT NULL,    -- first bad field, e.g. /payment/amount ('' = whole message)
    detail           text NOT NULL,    -- one human sentence
    stage            text NOT NULL,    -- the transform or sink that refused it
    first_seen       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX dead_letters_position_idx
    ON dead_letters (source_stream, source_partition, source_offset)
    WHERE source_offset >= 0;
CREATE INDEX dead_letters_reason_idx ON dead_letters (reason, first_seen);
