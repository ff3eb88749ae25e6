-- name: kr_subject
-- What the scope check of an alert about a KR needs: its owner and its objectives.
SELECT coalesce(o.owner_unit_id, k.owner_unit_id) AS unit_id, o.owner_person_id AS person_id,
       coalesce((SELECT array_agg(w.objective_id) FROM okr_kr_weight w WHERE w.kr_id = $1),
                '{}') AS objectives
FROM (SELECT $1::text AS kr_id) AS q
LEFT JOIN key_result k ON k.id = q.kr_id
LEFT JOIN okr_key_result o ON o.kr_id = q.kr_id
WHERE k.id IS NOT NULL OR o.kr_id IS NOT NULL;
-- name: alerts_after
-- Alerts in commit order after the sequence number $2 (optionally since $3, about KR $4).
SELECT event_id::text AS alert_id, alert_seq AS seq, value FROM outbox
WHERE topic = $1 AND alert_seq > $2 AND ($3::timestamptz IS NULL OR created_at >= $3)
  AND ($4::text IS NULL OR alert_kr_id = $4)
ORDER BY alert_seq LIMIT $5;
-- name: alert_seq
SELECT alert_seq FROM outbox WHERE event_id = $1 AND topic = $2;
-- name: latest_alert_seq
SELECT coalesce(max(alert_seq), 0) FROM outbox WHERE topic = $1;
