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
UPDATE projection_checkpoint AS c SET next_offset = n.next_offset, updated_at = now()
FROM unnest($3::int[], $4::bigint[]) AS n (partition, next_offset)
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
-- name: upsert_rollup
INSERT INTO sales_rollup_daily AS r (unit_id, day, category, sku, channel, revenue_minor, units,
                                     premium_revenue_minor, premium_units, payments_minor,
                                     leads, first_orders)
SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                     $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
                     $12::bigint[])
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (unit_id, day, category, sku, channel) DO UPDATE SET
    revenue_minor = r.revenue_minor + excluded.revenue_minor,
    units = r.units + excluded.units,
    premium_revenue_minor = r.premium_revenue_minor + excluded.premium_revenue_minor,
    premium_units = r.premium_units + excluded.premium_units,
    payments_minor = r.payments_minor + excluded.payments_minor,
    leads = r.leads + excluded.leads,
    first_orders = r.first_orders + excluded.first_orders;
-- name: upsert_customer_months
INSERT INTO sales_customer_month AS c (unit_id, month, customer_id, purchases,
                                       premium_purchases)
SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::int[], $5::int[])
ORDER BY 1, 2, 3
ON CONFLICT (unit_id, month, customer_id) DO UPDATE SET
    purchases = c.purchases + excluded.purchases,
    premium_purchases = c.premium_purchases + excluded.premium_purchases;
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
INSERT INTO sales_clock AS c (business_time) VALUES ($1)
ON CONFLICT (id) DO UPDATE SET business_time = GREATEST(c.business_time, excluded.business_time)
RETURNING business_time;
-- name: read_clock
SELECT business_time FROM sales_clock;
-- name: lock_affected_krs
-- The KRs a batch moves, locked, with their definition and the sums they were computed from.
-- Rolling windows reach back before the cycle: their KRs count days from window_start - N.
SELECT k.id, k.owner_unit_id, k.metric, k.kind, k.start_value, k.target_value, k.window_start,
       k.window_end, k.window_kind, k.rolling_days, k.category, k.skus, k.channel,
       k.monthly_pacing, p.counted_from, p.counted_to,
       ARRAY[p.revenue_minor, p.units, p.premium_revenue_minor, p.payments_minor, p.leads,
             p.first_orders] AS sums
FROM kr_progress p JOIN key_result k ON k.id = p.kr_id
WHERE k.owner_unit_id = ANY($1::text[])
  AND k.window_start - COALESCE(k.rolling_days, 0) <= $3 AND k.window_end >= $2
ORDER BY p.kr_id
FOR UPDATE OF p;
-- name: kr_state
SELECT k.id, k.owner_unit_id, k.metric, k.kind, k.start_value, k.target_value, k.window_start,
       k.window_end, k.window_kind, k.rolling_days, k.category, k.skus, k.channel,
       k.monthly_pacing, p.counted_from, p.counted_to,
       ARRAY[p.revenue_minor, p.units, p.premium_revenue_minor, p.payments_minor, p.leads,
             p.first_orders] AS sums
FROM key_result k JOIN kr_progress p ON p.kr_id = k.id
WHERE k.id = ANY($1::text[])
ORDER BY k.id;
-- name: window_sums
-- The additive sums of each KR over the days $2..$3 (summed afresh: its window moved).
SELECT w.id,
       COALESCE(sum(r.revenue_minor), 0)::bigint AS revenue_minor,
       COALESCE(sum(r.units), 0)::bigint AS units,
       COALESCE(sum(r.premium_revenue_minor), 0)::bigint AS premium_revenue_minor,
       COALESCE(sum(r.payments_minor), 0)::bigint AS payments_minor,
       COALESCE(sum(r.leads), 0)::bigint AS leads,
       COALESCE(sum(r.first_orders), 0)::bigint AS first_orders
FROM unnest($1::text[], $2::date[], $3::date[]) AS w (id, d_from, d_to)
JOIN key_result k ON k.id = w.id
LEFT JOIN sales_rollup_daily r
  ON r.unit_id = k.owner_unit_id
 AND r.day BETWEEN w.d_from AND w.d_to
 AND (k.category IS NULL OR r.category = k.category OR r.category = '')
 AND (k.skus IS NULL OR r.sku = ANY(k.skus) OR r.sku = '')
 AND (k.channel IS NULL OR r.channel = k.channel OR r.channel = '')
GROUP BY w.id
ORDER BY w.id;
-- name: customer_counts
-- Customer metrics over the counted days $2..$3 (distinct) or in the month $4 (repeat buyers);
-- a purchase refunded in full no longer counts (purchases = 0).
SELECT w.id,
       CASE WHEN k.metric = 'distinct_customers' THEN
       (SELECT count(DISTINCT c.customer_id) FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id AND c.purchases > 0
          AND c.month BETWEEN date_trunc('month', w.d_from) AND w.d_to)
       ELSE 0 END::int AS distinct_customers,
       CASE WHEN k.metric = 'monthly_repeat_buyers' THEN
       (SELECT count(*) FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id AND c.month = w.month AND c.purchases >= 2)
       ELSE 0 END::int AS repeat_buyers,
       CASE WHEN k.metric = 'premium_monthly_repeat_buyers' THEN
       (SELECT count(*) FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id AND c.month = w.month AND c.premium_purchases >= 2)
       ELSE 0 END::int AS premium_repeat_buyers
FROM unnest($1::text[], $2::date[], $3::date[], $4::date[]) AS w (id, d_from, d_to, month)
JOIN key_result k ON k.id = w.id
ORDER BY w.id;
-- name: store_progress
-- One JSON document for all rows: cheaper to send than 13 arrays of per-element values.
UPDATE kr_progress AS p SET
    actual = u.actual, progress_pct = u.pct, progress_display = u.display, provenance = 'auto',
    as_of = GREATEST(p.as_of, u.as_of), updated_at = now(), counted_from = u.d_from,
    counted_to = u.d_to, revenue_minor = u.revenue_minor, units = u.units,
    premium_revenue_minor = u.premium_revenue_minor, payments_minor = u.payments_minor,
    leads = u.leads, first_orders = u.first_orders
FROM jsonb_to_recordset($1::jsonb) AS u (kr_id text, actual numeric, pct numeric,
     display numeric, as_of timestamptz, d_from date, d_to date, revenue_minor bigint,
     units bigint, premium_revenue_minor bigint, payments_minor bigint, leads bigint,
     first_orders bigint)
WHERE p.kr_id = u.kr_id
RETURNING p.kr_id, p.as_of;
