-- name: lock_checkpoints
INSERT INTO projection_checkpoint (projection, topic, partition, next_offset)
SELECT $1, $2, p, 0 FROM unnest($3::int[]) AS p
ON CONFLICT DO NOTHING;
-- name: read_checkpoints
SELECT partition, next_offset FROM projection_checkpoint
WHERE projection = $1 AND topic = $2 AND partition = ANY($3::int[])
ORDER BY partition
FOR UPDATE;
-- name: advance_checkpoints
-- $5: per partition, the produce time (ms) of the batch's oldest record, or NULL; with the
-- clock read here, at the end of the batch's transaction, it gives the batch's freshness.
UPDATE projection_checkpoint AS c
SET next_offset = n.next_offset, updated_at = clock_timestamp(),
    batch_oldest_record_at = to_timestamp(n.oldest_ms / 1000.0)
FROM unnest($3::int[], $4::bigint[], $5::bigint[]) AS n (partition, next_offset, oldest_ms)
WHERE c.projection = $1 AND c.topic = $2 AND c.partition = n.partition;
-- name: insert_facts
-- Returns only the keys that were already there (usually none), not the many inserted ones.
WITH inserted AS (
    INSERT INTO sales_fact_seen (dedup_key)
    SELECT * FROM unnest($1::text[])
    ORDER BY 1
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING dedup_key
)
SELECT k AS dedup_key FROM unnest($1::text[]) AS k
EXCEPT
SELECT dedup_key FROM inserted;
-- name: create_staging
-- Per session: the batch's roll-up and customer-month rows arrive here by binary COPY
-- (asyncpg encodes arrays element by element, several times slower on the worker's side).
CREATE TEMP TABLE IF NOT EXISTS staged_rollup (
    source_partition int, unit_id text, day date, category text, sku text, channel text,
    revenue_minor bigint, units bigint, premium_revenue_minor bigint, premium_units bigint,
    payments_minor bigint, leads bigint, first_orders bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS staged_customer_month (
    source_partition int, unit_id text, month date, customer_id text, purchases int,
    premium_purchases int
) ON COMMIT DELETE ROWS;
-- name: upsert_rollup
-- Each row belongs to the partition whose facts it sums: no other worker touches it.
INSERT INTO sales_rollup_daily AS r (source_partition, unit_id, day, category, sku, channel,
                                     revenue_minor, units, premium_revenue_minor,
                                     premium_units, payments_minor, leads, first_orders)
SELECT * FROM pg_temp.staged_rollup
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (unit_id, day, category, sku, channel, source_partition) DO UPDATE SET
    revenue_minor = r.revenue_minor + excluded.revenue_minor,
    units = r.units + excluded.units,
    premium_revenue_minor = r.premium_revenue_minor + excluded.premium_revenue_minor,
    premium_units = r.premium_units + excluded.premium_units,
    payments_minor = r.payments_minor + excluded.payments_minor,
    leads = r.leads + excluded.leads,
    first_orders = r.first_orders + excluded.first_orders;
-- name: upsert_customer_months
INSERT INTO sales_customer_month AS c (source_partition, unit_id, month, customer_id,
                                       purchases, premium_purchases)
SELECT * FROM pg_temp.staged_customer_month
ORDER BY 1, 2, 3, 4
ON CONFLICT (unit_id, month, customer_id, source_partition) DO UPDATE SET
    purchases = c.purchases + excluded.purchases,
    premium_purchases = c.premium_purchases + excluded.premium_purchases;
-- name: upsert_scenarios
-- Leads and first orders per scenario; each row belongs to the partition whose facts it sums.
INSERT INTO sales_scenario_daily AS s (source_partition, unit_id, day, scenario, leads,
                                       first_orders)
SELECT * FROM unnest($1::int[], $2::text[], $3::date[], $4::text[], $5::int[], $6::int[])
ORDER BY 1, 2, 3, 4
ON CONFLICT (unit_id, day, scenario, source_partition) DO UPDATE SET
    leads = s.leads + excluded.leads,
    first_orders = s.first_orders + excluded.first_orders;
-- name: insert_purchases
INSERT INTO sales_purchase (sale_key, rep_id, customer_id, month, premium, quantity)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bool[], $6::int[])
ON CONFLICT (sale_key) DO NOTHING;
-- name: any_pending_refunds
SELECT EXISTS (SELECT 1 FROM sales_refund_pending);
-- name: take_pending_refunds
DELETE FROM sales_refund_pending WHERE sale_key = ANY($1::text[]) RETURNING sale_key, quantity;
-- name: read_purchases
SELECT sale_key, rep_id, customer_id, month, premium, quantity, refunded FROM sales_purchase
WHERE sale_key = ANY($1::text[])
ORDER BY sale_key
FOR UPDATE;
-- name: update_refunded
UPDATE sales_purchase AS s SET refunded = u.refunded
FROM unnest($1::text[], $2::int[]) AS u (sale_key, refunded)
WHERE s.sale_key = u.sale_key;
-- name: add_pending_refunds
INSERT INTO sales_refund_pending AS p (sale_key, quantity)
SELECT * FROM unnest($1::text[], $2::int[])
ORDER BY 1
ON CONFLICT (sale_key) DO UPDATE SET quantity = p.quantity + excluded.quantity;
-- name: advance_clock
INSERT INTO sales_clock AS c (source_partition, business_time)
SELECT * FROM unnest($1::int[], $2::timestamptz[])
ON CONFLICT (source_partition) DO UPDATE
SET business_time = GREATEST(c.business_time, excluded.business_time);
-- name: insert_deltas
INSERT INTO kr_delta (shard, source_partition, first_offset, business_time, rollups,
                      customer_months)
SELECT * FROM unnest($1::int[], $2::int[], $3::bigint[], $4::timestamptz[], $5::bytea[],
                     $6::bytea[]);
-- name: take_deltas
-- The pending messages of the shards $1, consumed by stage 2.
DELETE FROM kr_delta WHERE shard = ANY($1::int[]) RETURNING rollups, customer_months;
-- name: clear_deltas
DELETE FROM kr_delta;
-- name: carry_clock
-- A rebuild keeps the clock `evaluate --at` moved (it is not in the topic): from schema $2.
INSERT INTO sales_clock SELECT * FROM {schema}.sales_clock WHERE source_partition = $1;
-- name: adopt_checkpoints
-- A rebuild's positions, updated in place (a live batch waiting on these rows then reads the
-- rebuilt positions; a replaced row would vanish from its snapshot), then any new partition.
UPDATE projection_checkpoint AS c SET next_offset = r.next_offset
FROM {schema}.projection_checkpoint AS r
WHERE c.projection = $1 AND c.topic = $2 AND r.projection = c.projection
  AND r.topic = c.topic AND r.partition = c.partition;
-- name: add_checkpoints
INSERT INTO projection_checkpoint SELECT * FROM {schema}.projection_checkpoint
WHERE projection = $1 AND topic = $2 ON CONFLICT DO NOTHING;
