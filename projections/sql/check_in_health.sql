-- name: readings
-- KRs fed by check-ins (no sales binding) that have had one, with what their reading needs and
-- their alerted health; $1: these KRs (NULL: all). Their rows are locked: transitions are
-- numbered by one writer at a time.
WITH w AS (
    SELECT kr_id, min(objective_id) AS first_objective FROM okr_kr_weight GROUP BY kr_id
)
SELECT k.kr_id, k.owner_unit_id, k.kind, k.start_value, k.target_value, k.open_blocker,
       k.last_check_in_at, c.progress_value, NULL::numeric AS auto_pct,
       NULL::timestamptz AS as_of, NULL::date AS window_start, NULL::date AS window_end,
       NULL::numeric[] AS monthly_pacing, cy.starts_on, cy.ends_on, cy.green_max_gap,
       cy.amber_max_gap, cy.hysteresis_points, mh.health AS recorded_health,
       coalesce(mh.transitions, 0) AS transitions
FROM okr_key_result k
JOIN LATERAL (
    SELECT progress_value FROM okr_check_in
    WHERE kr_id = k.kr_id ORDER BY reported_at DESC LIMIT 1
) c ON true
LEFT JOIN okr_kr_health mh ON mh.kr_id = k.kr_id
LEFT JOIN w ON w.kr_id = k.kr_id
LEFT JOIN okr_objective o ON o.objective_id = w.first_objective
LEFT JOIN okr_cycle cy ON cy.cycle_id = o.cycle_id
WHERE ($1::text[] IS NULL OR k.kr_id = ANY($1::text[]))
  AND NOT EXISTS (SELECT 1 FROM key_result b WHERE b.id = k.kr_id)
ORDER BY k.kr_id
FOR UPDATE OF k;
-- name: record_transition
INSERT INTO okr_kr_health (kr_id, health, transitions, changed_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (kr_id) DO UPDATE SET health = excluded.health,
    transitions = excluded.transitions, changed_at = excluded.changed_at;
-- name: record_history
INSERT INTO okr_kr_health_history (kr_id, transition, alert_id, old_health, new_health,
    progress_pct, expected_pct, reasons, occurred_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);
-- name: history
SELECT transition, old_health, new_health, progress_pct, expected_pct, reasons, occurred_at,
       alert_id
FROM okr_kr_health_history WHERE kr_id = $1 ORDER BY transition;
