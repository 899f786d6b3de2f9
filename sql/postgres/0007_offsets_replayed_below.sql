-- Reprocessing (README.md, "Operating Sluice", Reprocessing): `sluice positions set` may move a
-- stored position backwards. replayed_below keeps the furthest a partition's position ever
-- stood before such a move: records below it are read again, and the postgres sink checks each
-- against the stored order it would replace (an older version, from an earlier offset of the
-- same partition, never replaces a newer one). 0: never moved back; nothing to check.
ALTER TABLE offsets ADD COLUMN replayed_below bigint NOT NULL DEFAULT 0;
