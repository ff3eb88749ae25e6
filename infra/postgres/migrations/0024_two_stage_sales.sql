-- Issue 12: the sales projection in two stages (ADR 0008). Stage 1 (per sales partition) owns
-- its roll-up, customer-month and clock rows: two workers never write the same row. Each
-- stage-1 batch leaves one kr_delta message per KR shard it moved; stage 2 (one owner per
-- shard at a time) folds them into kr_progress.
ALTER TABLE sales_rollup_daily ADD COLUMN source_partition integer NOT NULL DEFAULT 0;
ALTER TABLE sales_rollup_daily DROP CONSTRAINT sales_rollup_daily_pkey;
ALTER TABLE sales_rollup_daily
    ADD PRIMARY KEY (unit_id, day, category, sku, channel, source_partition);
ALTER TABLE sales_rollup_daily ALTER COLUMN source_partition DROP DEFAULT;

ALTER TABLE sales_customer_month ADD COLUMN source_partition integer NOT NULL DEFAULT 0;
ALTER TABLE sales_customer_month DROP CONSTRAINT sales_customer_month_pkey;
ALTER TABLE sales_customer_month ADD PRIMARY KEY (unit_id, month, customer_id, source_partition);
ALTER TABLE sales_customer_month ALTER COLUMN source_partition DROP DEFAULT;

-- One business clock per partition (-1: moved by `northstar evaluate --at`); the clock is the
-- latest of them.
ALTER TABLE sales_clock ADD COLUMN source_partition integer NOT NULL DEFAULT 0;
ALTER TABLE sales_clock DROP CONSTRAINT sales_clock_pkey;
ALTER TABLE sales_clock DROP COLUMN id;
ALTER TABLE sales_clock ADD PRIMARY KEY (source_partition);
ALTER TABLE sales_clock ALTER COLUMN source_partition DROP DEFAULT;

-- What one stage-1 batch added to the roll-ups of the units of one KR shard: rows of
-- [unit, day, category, sku, channel, revenue, units, premium revenue, payments, leads,
-- first orders] and the [unit, month] pairs whose customer counts moved (JSON).
CREATE TABLE kr_delta (
    id                bigserial PRIMARY KEY,
    shard             integer NOT NULL,
    source_partition  integer NOT NULL,
    first_offset      bigint NOT NULL,
    business_time     timestamptz NOT NULL,
    rollups           bytea NOT NULL,
    customer_months   bytea NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kr_delta_shard ON kr_delta (shard, id);
