-- name: lock_all_krs
SELECT kr_id FROM kr_progress ORDER BY kr_id FOR UPDATE;
-- name: time_dependent_krs
-- Values that move with the clock alone: calendar-month and rolling windows, and repeat
-- buyers (counted in the month of the clock's day).
SELECT id FROM key_result
WHERE window_kind <> 'cycle'
   OR metric IN ('monthly_repeat_buyers', 'premium_monthly_repeat_buyers')
ORDER BY id;
-- name: stored_progress
SELECT k.id AS kr_id, k.owner_unit_id, k.window_start, k.window_end, p.actual, p.progress_pct,
       k.target_value, k.monthly_pacing, p.as_of
FROM key_result k JOIN kr_progress p ON p.kr_id = k.id
WHERE k.id = ANY($1::text[])
ORDER BY k.id;
-- name: weekly_region_conversion
-- Leads and first orders per region and ISO week (business days), over [$1, $2].
SELECT r.unit_id AS region_id, date_trunc('week', r.day)::date AS week_start,
       sum(r.leads)::bigint AS leads, sum(r.first_orders)::bigint AS first_orders
FROM sales_rollup_daily r JOIN org_unit u ON u.id = r.unit_id AND u.level = 'region'
WHERE r.day BETWEEN $1 AND $2 AND r.sku = '' AND r.channel = ''
GROUP BY 1, 2
ORDER BY 1, 2;
-- name: regions
SELECT id FROM org_unit WHERE level = 'region' ORDER BY id;
-- name: pending_adjustments
SELECT a.kr_id, a.request_id, a.requested_by, a.requested_at, k.owner_unit_id
FROM okr_adjustment a JOIN okr_key_result k ON k.kr_id = a.kr_id
WHERE a.status = 'requested' AND a.requested_at < $1
ORDER BY a.requested_at, a.kr_id, a.request_id;
-- name: overdue_escalations
SELECT escalation_id, kr_id, to_unit_id, to_person_id, raised_at, due_at,
       acknowledged_at IS NOT NULL AS acknowledged
FROM okr_escalation WHERE resolved_at IS NULL AND due_at < $1
ORDER BY due_at, escalation_id;
-- name: person_cycle_results
-- Each person's KRs bound to the sales metric $2, in the cycles of their objectives that have
-- ended by $1, with their progress (a bound KR's value over its window: final once it ended).
SELECT k.owner_person_id AS person_id, o.cycle_id, cy.starts_on, cy.ends_on, k.kr_id,
       p.progress_pct
FROM okr_key_result k
JOIN key_result b ON b.id = k.kr_id AND b.metric = $2
JOIN kr_progress p ON p.kr_id = k.kr_id
JOIN okr_kr_weight w ON w.kr_id = k.kr_id
JOIN okr_objective o ON o.objective_id = w.objective_id AND o.owner_person_id = k.owner_person_id
JOIN okr_cycle cy ON cy.cycle_id = o.cycle_id AND cy.ends_on < $1
ORDER BY person_id, cy.starts_on, k.kr_id;
