-- name: below
-- The objectives $1 and every objective contributing to them, at any depth.
WITH RECURSIVE down (objective_id, depth) AS (
    SELECT unnest($1::text[]), 0
    UNION SELECT a.child_id, d.depth + 1
          FROM okr_alignment a JOIN down d ON a.parent_id = d.objective_id
          WHERE d.depth < 20
)
SELECT DISTINCT objective_id FROM down;
-- name: contributions
-- Who contributes to the objectives $1, and how much.
SELECT parent_id, child_id, weight FROM okr_alignment
WHERE parent_id = ANY($1::text[]) ORDER BY parent_id, child_id;
-- name: weighted_krs
-- The weighted KRs of the objectives $1, with what a KR's reading needs.
SELECT w.objective_id, w.kr_id, w.weight, k.kind, k.start_value, k.target_value,
       k.open_blocker, k.last_check_in_at, c.progress_value, p.progress_pct AS auto_pct, p.as_of,
       b.window_start, b.window_end, b.monthly_pacing, o.cycle_id, cy.starts_on, cy.ends_on,
       cy.green_max_gap, cy.amber_max_gap, cy.hysteresis_points,
       coalesce(h.health, mh.health) AS recorded_health
FROM okr_kr_weight w
JOIN okr_objective o ON o.objective_id = w.objective_id
LEFT JOIN okr_key_result k ON k.kr_id = w.kr_id
LEFT JOIN LATERAL (
    SELECT progress_value FROM okr_check_in
    WHERE kr_id = w.kr_id ORDER BY reported_at DESC LIMIT 1
) c ON true
LEFT JOIN kr_progress p ON p.kr_id = w.kr_id
LEFT JOIN kr_health h ON h.kr_id = w.kr_id
LEFT JOIN okr_kr_health mh ON mh.kr_id = w.kr_id
LEFT JOIN key_result b ON b.id = w.kr_id
LEFT JOIN okr_cycle cy ON cy.cycle_id = o.cycle_id
WHERE w.objective_id = ANY($1::text[])
ORDER BY w.objective_id, w.kr_id;
-- name: objective_exists
SELECT 1 FROM okr_objective WHERE objective_id = $1;
-- name: owned_in_cycle
-- The objectives of cycle $1 owned by person $2 (when not null) or in the units $3 (when not
-- null), open or closed.
SELECT objective_id, title, owner_person_id, owner_unit_id, status FROM okr_objective
WHERE cycle_id = $1
  AND ($2::text IS NULL OR owner_person_id = $2)
  AND ($3::text[] IS NULL OR owner_unit_id = ANY($3::text[]))
ORDER BY objective_id;
