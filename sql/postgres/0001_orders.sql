-- Orders, normalized so they can be queried in SQL (one row per order, delivery and payment,
-- one row per item), plus the accepted document itself.
--
-- Why `document`: GET /order/{uid} must return JSON equal to the message that was accepted.
-- The normalized columns cannot reproduce it exactly: timestamptz keeps the instant but not
-- the offset it was written with ("+03:00" comes back as UTC), unknown extra fields have no
-- column, and a reader would have to re-serialise every request. So the validated, whitespace-
-- free text is kept verbatim (type json: stored as given, still usable with -> and ->>), and
-- the cache warms from exactly these bytes. The normalized columns are the query surface.
--
-- Replacing an order (same order_uid, newer message) deletes the old row; the children go
-- with it through ON DELETE CASCADE, so an order and its children are always replaced as one.

CREATE TABLE orders (
    order_uid          text PRIMARY KEY
                       CHECK (order_uid ~ '^[A-Za-z0-9_-]{1,64}$'),
    track_number       text NOT NULL,
    entry              text NOT NULL,
    locale             text NOT NULL,
    internal_signature text NOT NULL,
    customer_id        text NOT NULL,
    delivery_service   text NOT NULL,
    shardkey           text NOT NULL,
    sm_id              bigint NOT NULL,
    date_created       timestamptz NOT NULL,
    oof_shard          text NOT NULL,
    document           json NOT NULL,
    -- Where the stored version came from (topic or file, partition, offset), for tracing.
    source_stream      text,
    source_partition   integer,
    source_offset      bigint,
    ingested_at        timestamptz NOT NULL DEFAULT now()
);
-- "Recent orders" on the page.
CREATE INDEX orders_ingested_at_idx ON orders (ingested_at DESC);

CREATE TABLE deliveries (
    order_uid text PRIMARY KEY REFERENCES orders (order_uid) ON DELETE CASCADE,
    name      text NOT NULL,
    phone     text NOT NULL,
    zip       text NOT NULL,
    city      text NOT NULL,
    address   text NOT NULL,
    region    text NOT NULL,
    email     text NOT NULL
);

-- Money is an integer amount in minor units and never negative.
CREATE TABLE payments (
    order_uid     text PRIMARY KEY REFERENCES orders (order_uid) ON DELETE CASCADE,
    transaction   text NOT NULL,
    request_id    text NOT NULL,
    currency      text NOT NULL,
    provider      text NOT NULL,
    amount        bigint NOT NULL CHECK (amount >= 0),
    payment_dt    bigint NOT NULL,
    bank          text NOT NULL,
    delivery_cost bigint NOT NULL CHECK (delivery_cost >= 0),
    goods_total   bigint NOT NULL CHECK (goods_total >= 0),
    custom_fee    bigint NOT NULL CHECK (custom_fee >= 0)
);

CREATE TABLE items (
    order_uid    text NOT NULL REFERENCES orders (order_uid) ON DELETE CASCADE,
    item_index   integer NOT NULL,  -- position in the order's "items" array, from 0
    chrt_id      bigint NOT NULL,
    track_number text NOT NULL,
    price        bigint NOT NULL CHECK (price >= 0),
    rid          text NOT NULL,
    name         text NOT NULL,
    sale         bigint NOT NULL,
    size         text NOT NULL,
    total_price  bigint NOT NULL CHECK (total_price >= 0),
    nm_id        bigint NOT NULL,
    brand        text NOT NULL,
    status       bigint NOT NULL,
    PRIMARY KEY (order_uid, item_index)
);
