-- Source positions kept with the data: the postgres sink writes the next offset to read for
-- every (stream, partition) of a batch in the same transaction as the batch's orders, and a
-- source resumes from here on partition assignment. Committing both together is what makes
-- the store effectively-once: after a crash the data and the position agree.
CREATE TABLE offsets (
    stream      text NOT NULL,     -- Kafka topic or file name
    partition   integer NOT NULL,
    next_offset bigint NOT NULL CHECK (next_offset >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, partition)
);
