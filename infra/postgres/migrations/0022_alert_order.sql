-- Alerts get a number in commit order (assigned under a transaction-scoped advisory lock taken
-- as the alerts are written, so a later number never commits first): SSE replay resumes after
-- any alert exactly, never skipping one that committed late. The KR an alert is about is kept
-- beside it, so replay filters before it pages.
CREATE SEQUENCE alert_seq;
ALTER TABLE outbox ADD COLUMN alert_seq bigint, ADD COLUMN alert_kr_id text;

UPDATE outbox AS o SET alert_seq = a.n, alert_kr_id = a.kr_id
FROM (
    SELECT event_id, convert_from(value, 'UTF8')::jsonb ->> 'kr_id' AS kr_id,
           row_number() OVER (ORDER BY created_at, stream_id, version) AS n
    FROM outbox WHERE convert_from(value, 'UTF8')::jsonb ? 'alert_id'
) AS a
WHERE o.event_id = a.event_id;

SELECT setval('alert_seq', coalesce((SELECT max(alert_seq) FROM outbox), 0) + 1, false);

CREATE UNIQUE INDEX outbox_alert_seq_idx ON outbox (alert_seq) WHERE alert_seq IS NOT NULL;
CREATE INDEX outbox_alert_kr_idx ON outbox (alert_kr_id, alert_seq) WHERE alert_kr_id IS NOT NULL;
