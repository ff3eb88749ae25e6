-- name: alignment_of_person
-- The objectives a person's own goals align to, transitively (up to the north star).
WITH RECURSIVE mine AS (
    SELECT objective_id FROM okr_objective WHERE owner_person_id = $1
    UNION SELECT w.objective_id FROM okr_kr_weight w
          JOIN okr_key_result k ON k.kr_id = w.kr_id WHERE k.owner_person_id = $1
), up (objective_id, depth) AS (
    SELECT a.parent_id, 1 FROM okr_alignment a JOIN mine m ON a.child_id = m.objective_id
    UNION SELECT a.parent_id, up.depth + 1 FROM okr_alignment a
          JOIN up ON a.child_id = up.objective_id WHERE up.depth < 20
)
SELECT objective_id FROM up;
-- name: kr_objectives
SELECT objective_id FROM okr_kr_weight WHERE kr_id = $1;
-- name: key_result
SELECT * FROM okr_key_result WHERE kr_id = $1;
-- name: objective_owner
SELECT owner_person_id, owner_unit_id FROM okr_objective WHERE objective_id = $1;
-- name: objectives
-- Objectives with their parents (contribution weights) and KR weights.
SELECT o.*,
       coalesce((SELECT json_agg(json_build_object('parent_id', a.parent_id, 'weight', a.weight)
                                 ORDER BY a.parent_id)
                 FROM okr_alignment a WHERE a.child_id = o.objective_id), '[]') AS contributes_to,
       coalesce((SELECT json_object_agg(w.kr_id, w.weight) FROM okr_kr_weight w
                 WHERE w.objective_id = o.objective_id), '{}') AS kr_weights
FROM okr_objective o
WHERE ($1::text IS NULL OR o.owner_person_id = $1) AND ($2::text IS NULL OR o.cycle_id = $2)
ORDER BY o.objective_id;
-- name: alignment_chain
-- The objective and every parent it contributes to, up to the north star.
WITH RECURSIVE up (child_id, parent_id, weight, depth) AS (
    SELECT child_id, parent_id, weight, 1 FROM okr_alignment WHERE child_id = $1
    UNION SELECT a.child_id, a.parent_id, a.weight, up.depth + 1
          FROM okr_alignment a JOIN up ON a.child_id = up.parent_id WHERE up.depth < 20
)
SELECT up.*, o.title AS parent_title FROM up
LEFT JOIN okr_objective o ON o.objective_id = up.parent_id
ORDER BY depth, parent_id;
-- name: north_star
SELECT metric, target, unit, comparison, owner_person_id, set_at
FROM okr_north_star ORDER BY set_at DESC LIMIT 1;
-- name: cycles
SELECT * FROM okr_cycle ORDER BY starts_on, kind;
-- name: person_name
SELECT name FROM person WHERE person_id = $1;
-- name: person_unit
SELECT unit_id FROM person WHERE person_id = $1;
-- name: record_goal_view
-- One row per read of a goal by a person (the goal-view figures count their visits); $6: when
-- (the API: now; a simulated person: their own clock).
INSERT INTO goal_view (person_id, role, unit_id, subject, subject_id, viewed_at)
VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()));
-- name: meeting
SELECT meeting_id, unit_id, cycle_id, starts_at, duration_minutes, scheduled_by, scheduled_at,
       concluded_by, concluded_at, decisions, escalations
FROM okr_calibration_meeting WHERE meeting_id = $1;
-- name: meeting_changes
-- What a meeting's outcomes changed, in the order they were recorded.
SELECT kind, subject_id, before, after, note, changed_by, changed_at
FROM okr_calibration_change WHERE meeting_id = $1 ORDER BY changed_at, kind, subject_id;
-- name: health_verdicts
SELECT health, note, meeting_id, judged_by, judged_at
FROM okr_health_verdict WHERE kr_id = $1 ORDER BY judged_at, event_id;
-- name: escalation_inbox
-- Escalations waiting for a person: named to them, or to a unit they act for ($2; NULL: all).
SELECT escalation_id, kr_id, k.title AS kr_title, k.owner_person_id, to_unit_id, to_person_id,
       note, source, meeting_id, raised_by, raised_at, due_at, acknowledged_by, acknowledged_at,
       acknowledge_note, resolved_by, resolved_at, resolution,
       resolved_at IS NULL AND due_at < $3 AS overdue
FROM okr_escalation e LEFT JOIN okr_key_result k USING (kr_id)
WHERE (to_person_id = $1 OR $2::text[] IS NULL OR to_unit_id = ANY($2::text[]))
  AND ($4 OR resolved_at IS NULL)
ORDER BY due_at, escalation_id;
-- name: cadences
SELECT unit_id, every_days, first_at, duration_minutes FROM okr_calibration_cadence
ORDER BY unit_id;
-- name: cycle_of_day
-- The cycle a day belongs to (a quarter before a month).
SELECT cycle_id FROM okr_cycle WHERE $1::date BETWEEN starts_on AND ends_on
ORDER BY kind = 'quarter' DESC, starts_on LIMIT 1;
-- name: meetings
SELECT meeting_id, unit_id, cycle_id, starts_at, duration_minutes, scheduled_by, concluded_at
FROM okr_calibration_meeting
WHERE ($1::text[] IS NULL OR unit_id = ANY($1::text[]))
ORDER BY starts_at DESC, meeting_id LIMIT 200;
-- name: practices
-- Practices found by metric ($1), publishing units ($2: a region's subtree), tag ($3) and words
-- in the title, description or evidence ($4); with how many units adopted each.
SELECT p.practice_id, p.kr_id, p.unit_id, p.title, p.description, p.evidence, p.metric,
       p.figure, p.figure_unit, p.tags, p.published_by, p.published_at,
       (SELECT count(*) FROM okr_practice_adoption a WHERE a.practice_id = p.practice_id)
           AS adopters
FROM okr_practice p
WHERE ($1::text IS NULL OR p.metric = $1)
  AND ($2::text[] IS NULL OR p.unit_id = ANY($2::text[]))
  AND ($3::text IS NULL OR p.tags ? $3)
  AND ($4::text IS NULL OR strpos(lower(p.title || ' ' || p.description || ' ' || p.evidence),
                                  lower($4)) > 0)
ORDER BY p.published_at DESC, p.practice_id LIMIT 200;
-- name: practice_adoptions
SELECT unit_id, kr_id, note, adopted_by, adopted_at FROM okr_practice_adoption
WHERE practice_id = $1 ORDER BY adopted_at, unit_id;
-- name: kr_progress_around
-- A KR's last check-in's value at $2 and now (KRs fed by check-ins), and its live progress per
-- cent (KRs fed by sales; their value at $2 is computed from the roll-ups).
SELECT k.kind, k.start_value, k.target_value,
       (SELECT progress_value FROM okr_check_in
        WHERE kr_id = $1 AND reported_at <= $2 ORDER BY reported_at DESC LIMIT 1) AS value_before,
       (SELECT progress_value FROM okr_check_in
        WHERE kr_id = $1 ORDER BY reported_at DESC LIMIT 1) AS value_now,
       (SELECT progress_pct FROM kr_progress WHERE kr_id = $1) AS pct_now
FROM okr_key_result k WHERE k.kr_id = $1;
-- name: practice
SELECT practice_id, kr_id, unit_id, title, description, evidence, metric, figure, figure_unit,
       tags, published_by, published_at
FROM okr_practice WHERE practice_id = $1;
-- name: held_objectives
-- Each objective's owner, cycle and the company days ($2: its time zone) it was defined and
-- closed on (a closed objective's last update), for the focus rule.
SELECT o.owner_person_id, o.objective_id, o.cycle_id, c.starts_on, c.ends_on,
       (o.defined_at AT TIME ZONE $2)::date AS defined_on,
       CASE WHEN o.status = 'active' THEN NULL ELSE (o.updated_at AT TIME ZONE $2)::date
       END AS closed_on
FROM okr_objective o JOIN okr_cycle c ON c.cycle_id = o.cycle_id
WHERE $1::text[] IS NULL OR o.owner_unit_id = ANY($1::text[]);
-- name: cycle
SELECT cycle_id, kind, starts_on, ends_on FROM okr_cycle WHERE cycle_id = $1;
-- name: current_quarter
SELECT cycle_id, kind, starts_on, ends_on FROM okr_cycle
WHERE kind = 'quarter' AND $1::date BETWEEN starts_on AND ends_on;
-- name: governance
-- Each region HQ set a mode for (every other region is distributed).
SELECT region_id, mode, reason, set_by, set_at FROM okr_governance ORDER BY region_id;
-- name: proposals
-- HRBP proposals for the units $1 (NULL: all) with status $2 (NULL: any), the latest first.
SELECT proposal_id, goal, goal_id, title, owner_unit_id, region_id, definition, proposed_by,
       proposed_at, status, decided_by, decided_at, decision_note
FROM okr_proposal
WHERE ($1::text[] IS NULL OR owner_unit_id = ANY($1::text[]))
  AND ($2::text IS NULL OR status = $2)
ORDER BY proposed_at DESC, proposal_id LIMIT 500;
-- name: kr_comments
SELECT comment, commented_by, commented_at FROM okr_kr_comment WHERE kr_id = $1
ORDER BY commented_at, event_id;
