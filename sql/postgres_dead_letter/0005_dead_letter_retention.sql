-- Dead-letter retention (postgres_dead_letter: max_payload_bytes, max_age_hours, max_count).
-- `raw` may now keep only the first max_payload_bytes of a message; these say what the whole
-- message was, so an operator can tell a truncated letter (raw_bytes > octet_length(raw)) and
-- match it against the producer's copy. Nullable on purpose: a process of the previous
-- version still inserting during a rolling upgrade leaves them empty, and readers fall back
-- to octet_length(raw) / sha256(raw), which is exact for the untruncated rows it writes.
ALTER TABLE dead_letters
    ADD COLUMN raw_bytes  bigint,   -- size of the message as received
    ADD COLUMN raw_sha256 text;     -- hex SHA-256 of the message as received
UPDATE dead_letters SET raw_bytes = octet_length(raw), raw_sha256 = encode(sha256(raw), 'hex');
-- Filters by last_seen (list since, pruning by age) without a scan of the table.
CREATE INDEX dead_letters_last_seen_idx ON dead_letters (last_seen);
