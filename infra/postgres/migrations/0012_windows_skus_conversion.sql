-- The rest of the sales metric catalogue: SKU sets (roll-ups keyed by SKU), new-customer
-- first-order conversion (leads and first orders per unit and day), calendar-month and
-- rolling-day windows, phased pacing, refunds taking a purchase back in customer counts,
-- and the sales projection's business clock.
ALTER TABLE sales_rollup_daily ADD COLUMN sku text NOT NULL DEFAULT '';
ALTER TABLE sales_rollup_daily ADD COLUMN leads bigint NOT NULL DEFAULT 0;
ALTER TABLE sales_rollup_daily ADD COLUMN first_orders bigint NOT NULL DEFAULT 0;
ALTER TABLE sales_rollup_daily DROP CONSTRAINT sales_rollup_daily_pkey;
ALTER TABLE sales_rollup_daily ADD PRIMARY KEY (unit_id, day, category, sku, channel);

ALTER TABLE key_result ADD COLUMN window_kind text NOT NULL DEFAULT 'cycle'
    CHECK (window_kind IN ('cycle', 'calendar_month', 'rolling_days'));
ALTER TABLE key_result ADD COLUMN rolling_days integer;
ALTER TABLE key_result ADD COLUMN skus text[];
ALTER TABLE key_result ADD COLUMN monthly_pacing numeric[];
ALTER TABLE key_result DROP CONSTRAINT key_result_metric_check;
ALTER TABLE key_result ADD CONSTRAINT key_result_metric_check CHECK (metric IN (
    'revenue', 'units', 'premium_share', 'collection_rate', 'first_order_conversion',
    'distinct_customers', 'monthly_repeat_buyers', 'premium_monthly_repeat_buyers'));

-- One row per sale: who bought, in which month, how much, and how much has come back.
CREATE TABLE sales_purchase (
    sale_key     text PRIMARY KEY,          -- source_system|source_id
    rep_id       text NOT NULL,
    customer_id  text NOT NULL,
    month        date NOT NULL,
    premium      boolean NOT NULL,
    quantity     integer NOT NULL,
    refunded     integer NOT NULL DEFAULT 0
);

-- Refunds that arrived before their sale; applied when the sale arrives.
CREATE TABLE sales_refund_pending (
    sale_key  text PRIMARY KEY,
    quantity  integer NOT NULL
);

-- The latest business time the sales projection has seen (or been evaluated at): "today" for
-- calendar-month and rolling windows and for pacing. Late events never move it back.
CREATE TABLE sales_clock (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    business_time  timestamptz NOT NULL
);
