-- Versions for coherent reads across instances (issue 13; README, "Coherent reads across instances").
--
-- Every stored order carries a version that only grows per order_uid, so a cache that is told
-- "uid X is now at version V" (by the change feed, or by a lookup that reached the database)
-- can refuse an older value that arrives late. The writer takes the version from one
-- sequence AFTER its transaction's DELETE of the batch's order_uids: that DELETE waits for
-- any other transaction writing the same rows to finish, so a version taken after it is
-- greater than every committed version of those orders, whoever wrote them. A sequence never
-- hands out a value twice and never goes back (nextval is not rolled back), which is all the
-- ordering needs; gaps are harmless.
CREATE SEQUENCE order_version_seq AS bigint;

-- Existing rows get versions now, in the order they were ingested, all below anything the
-- sequence hands out afterwards (nextval in the UPDATE advances it). The column is added
-- nullable, filled, then made NOT NULL, so old rows never read as "unversioned" (0), which a
-- cache would treat as older than anything.
ALTER TABLE orders ADD COLUMN version bigint;
UPDATE orders AS o SET version = v.version
  FROM (SELECT order_uid, nextval('order_version_seq') AS version
          FROM (SELECT order_uid FROM orders ORDER BY ingested_at, order_uid) AS by_age) AS v
 WHERE o.order_uid = v.order_uid;
ALTER TABLE orders ALTER COLUMN version SET NOT NULL;
