-- Dead letters by record key: `GET /admin/dead-letters?key=` and `sluice dead-letters list
-- --key` find an order's letters by its id (producers key orders by order_uid). A hash index:
-- it answers the equality match those ask for, and unlike a btree it takes keys of any size
-- (a btree entry is limited to about 2.7 kB, and a letter must be storable whatever key it
-- came with). Letters without a key (NULL) are left out of it.
CREATE INDEX dead_letters_record_key_idx ON dead_letters USING hash (record_key) WHERE record_key IS NOT NULL;
