-- name: read_clock
SELECT max(business_time) FROM sales_clock;
-- name: peek_deltas
SELECT rollups, customer_months FROM kr_delta;
-- name: applied_through
-- Per partition: stage 1's checkpoint, or the first record whose message is still pending.
SELECT c.partition, LEAST(c.next_offset, min(d.first_offset)) AS applied
FROM projection_checkpoint c
LEFT JOIN kr_delta d ON d.source_partition = c.partition
WHERE c.projection = $1 AND c.topic = $2
GROUP BY c.partition, c.next_offset
ORDER BY c.partition;
-- name: affected_krs
-- The KRs the messages move, with their definition and the sums they were computed from (no
-- row locks: every writer of kr_progress holds the shard's or the stage-2 lock).
-- Rolling windows reach back before the cycle: their KRs count days from window_start - N.
SELECT k.id, k.owner_unit_id, k.metric, k.kind, k.start_value, k.target_value, k.window_start,
       k.window_end, k.window_kind, k.rolling_days, k.category, k.skus, k.channel,
       k.monthly_pacing, p.counted_from, p.counted_to, p.as_of,
       ARRAY[p.revenue_minor, p.units, p.premium_revenue_minor, p.payments_minor, p.leads,
             p.first_orders] AS sums
FROM kr_progress p JOIN key_result k ON k.id = p.kr_id
WHERE k.owner_unit_id = ANY($1::text[])
  AND k.window_start - COALESCE(k.rolling_days, 0) <= $3 AND k.window_end >= $2
ORDER BY p.kr_id;
-- name: kr_state
SELECT k.id, k.owner_unit_id, k.metric, k.kind, k.start_value, k.target_value, k.window_start,
       k.window_end, k.window_kind, k.rolling_days, k.category, k.skus, k.channel,
       k.monthly_pacing, p.counted_from, p.counted_to, p.as_of,
       ARRAY[p.revenue_minor, p.units, p.premium_revenue_minor, p.payments_minor, p.leads,
             p.first_orders] AS sums
FROM key_result k JOIN kr_progress p ON p.kr_id = k.id
WHERE k.id = ANY($1::text[])
ORDER BY k.id;
-- name: window_sums
-- The additive sums of each KR over the days $2..$3 (summed afresh: its window moved), one row
-- per input row in its order (a KR may be asked for several windows: its trend).
SELECT w.id,
       COALESCE(sum(r.revenue_minor), 0)::bigint AS revenue_minor,
       COALESCE(sum(r.units), 0)::bigint AS units,
       COALESCE(sum(r.premium_revenue_minor), 0)::bigint AS premium_revenue_minor,
       COALESCE(sum(r.payments_minor), 0)::bigint AS payments_minor,
       COALESCE(sum(r.leads), 0)::bigint AS leads,
       COALESCE(sum(r.first_orders), 0)::bigint AS first_orders
FROM unnest($1::text[], $2::date[], $3::date[]) WITH ORDINALITY AS w (id, d_from, d_to, n)
JOIN key_result k ON k.id = w.id
LEFT JOIN sales_rollup_daily r
  ON r.unit_id = k.owner_unit_id
 AND r.day BETWEEN w.d_from AND w.d_to
 AND (k.category IS NULL OR r.category = k.category OR r.category = '')
 AND (k.skus IS NULL OR r.sku = ANY(k.skus) OR r.sku = '')
 AND (k.channel IS NULL OR r.channel = k.channel OR r.channel = '')
GROUP BY w.n, w.id
ORDER BY w.n;
-- name: customer_counts
-- Customer metrics over the counted days $2..$3 (distinct, high-value) or in the month $4
-- (repeat buyers);
-- a purchase refunded in full no longer counts. A customer's purchases of one month may be
-- spread over partitions (rows of each): they are summed first. One row per input row, in order.
SELECT w.id,
       CASE WHEN k.metric IN ('distinct_customers', 'high_value_customer_penetration') THEN
       (SELECT count(*) FROM (SELECT 1 FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id
          AND c.month BETWEEN date_trunc('month', w.d_from) AND w.d_to
        GROUP BY c.customer_id HAVING sum(c.purchases) > 0) AS bought)
       ELSE 0 END::int AS distinct_customers,
       CASE WHEN k.metric = 'high_value_customer_penetration' THEN
       (SELECT count(*) FROM (SELECT 1 FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id
          AND c.month BETWEEN date_trunc('month', w.d_from) AND w.d_to
        GROUP BY c.customer_id HAVING sum(c.premium_purchases) > 0) AS premium)
       ELSE 0 END::int AS high_value_customers,
       CASE WHEN k.metric = 'monthly_repeat_buyers' THEN
       (SELECT count(*) FROM (SELECT 1 FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id AND c.month = w.month
        GROUP BY c.customer_id HAVING sum(c.purchases) >= 2) AS repeat)
       ELSE 0 END::int AS repeat_buyers,
       CASE WHEN k.metric = 'premium_monthly_repeat_buyers' THEN
       (SELECT count(*) FROM (SELECT 1 FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id AND c.month = w.month
        GROUP BY c.customer_id HAVING sum(c.premium_purchases) >= 2) AS repeat)
       ELSE 0 END::int AS premium_repeat_buyers
FROM unnest($1::text[], $2::date[], $3::date[], $4::date[]) WITH ORDINALITY
     AS w (id, d_from, d_to, month, n)
JOIN key_result k ON k.id = w.id
ORDER BY w.n;
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
-- name: add_rows
-- A zero row for each KR of $1 (every KR when null) that has none, in schema {schema}.
INSERT INTO {schema}.kr_progress (kr_id, actual, progress_pct, progress_display)
SELECT id, 0, 0, 0 FROM public.key_result WHERE $1::text[] IS NULL OR id = ANY($1::text[])
ON CONFLICT DO NOTHING;
