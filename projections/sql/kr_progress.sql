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
INSERT INTO sales_rollup_daily AS r (unit_id, day, category, channel, revenue_minor, units,
                                     premium_revenue_minor, premium_units, payments_minor)
SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::bigint[],
                     $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
ORDER BY 1, 2, 3, 4
ON CONFLICT (unit_id, day, category, channel) DO UPDATE SET
    revenue_minor = r.revenue_minor + excluded.revenue_minor,
    units = r.units + excluded.units,
    premium_revenue_minor = r.premium_revenue_minor + excluded.premium_revenue_minor,
    premium_units = r.premium_units + excluded.premium_units,
    payments_minor = r.payments_minor + excluded.payments_minor;
-- name: upsert_customer_months
INSERT INTO sales_customer_month AS c (unit_id, month, customer_id, purchases,
                                       premium_purchases)
SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::int[], $5::int[])
ORDER BY 1, 2, 3
ON CONFLICT (unit_id, month, customer_id) DO UPDATE SET
    purchases = c.purchases + excluded.purchases,
    premium_purchases = c.premium_purchases + excluded.premium_purchases;
-- name: lock_affected_krs
SELECT p.kr_id FROM kr_progress p JOIN key_result k ON k.id = p.kr_id
WHERE k.owner_unit_id = ANY($1::text[]) AND k.window_start <= $3 AND k.window_end >= $2
ORDER BY p.kr_id
FOR UPDATE OF p;
-- name: kr_totals
SELECT k.id, k.metric, k.kind, k.start_value, k.target_value, k.owner_unit_id,
       k.window_start, k.window_end,
       COALESCE(sum(r.revenue_minor), 0)::bigint AS revenue_minor,
       COALESCE(sum(r.units), 0)::bigint AS units,
       COALESCE(sum(r.premium_revenue_minor), 0)::bigint AS premium_revenue_minor,
       COALESCE(sum(r.payments_minor), 0)::bigint AS payments_minor,
       -- Customer counts only for the KRs that need them (CASE skips the sub-plans).
       CASE WHEN k.metric = 'distinct_customers' THEN
       (SELECT count(DISTINCT c.customer_id) FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id
          AND c.month BETWEEN date_trunc('month', k.window_start) AND k.window_end)
       ELSE 0 END::int AS distinct_customers,
       CASE WHEN k.metric = 'monthly_repeat_buyers' THEN
       (SELECT count(*) FILTER (WHERE c.purchases >= 2) FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id AND c.month = (
            SELECT max(m.month) FROM sales_customer_month m WHERE m.unit_id = k.owner_unit_id
              AND m.month BETWEEN date_trunc('month', k.window_start) AND k.window_end))
       ELSE 0 END::int AS repeat_buyers,
       CASE WHEN k.metric = 'premium_monthly_repeat_buyers' THEN
       (SELECT count(*) FILTER (WHERE c.premium_purchases >= 2) FROM sales_customer_month c
        WHERE c.unit_id = k.owner_unit_id AND c.month = (
            SELECT max(m.month) FROM sales_customer_month m WHERE m.unit_id = k.owner_unit_id
              AND m.month BETWEEN date_trunc('month', k.window_start) AND k.window_end))
       ELSE 0 END::int AS premium_repeat_buyers
FROM key_result k
LEFT JOIN sales_rollup_daily r
  ON r.unit_id = k.owner_unit_id
 AND r.day BETWEEN k.window_start AND k.window_end
 AND (k.category IS NULL OR r.category = k.category OR r.category = '')
 AND (k.channel IS NULL OR r.channel = k.channel OR r.channel = '')
WHERE k.id = ANY($1::text[])
GROUP BY k.id
ORDER BY k.id;
-- name: upsert_progress
INSERT INTO kr_progress AS p (kr_id, actual, progress_pct, progress_display, provenance,
                              as_of, updated_at)
SELECT kr_id, actual, pct, display, 'auto', as_of, now()
FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::numeric[], $5::timestamptz[])
     AS u (kr_id, actual, pct, display, as_of)
ORDER BY kr_id
ON CONFLICT (kr_id) DO UPDATE SET
    actual = excluded.actual, progress_pct = excluded.progress_pct,
    progress_display = excluded.progress_display, provenance = excluded.provenance,
    as_of = GREATEST(p.as_of, excluded.as_of), updated_at = excluded.updated_at;
