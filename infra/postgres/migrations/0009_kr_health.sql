-- Current health of metric-bound KRs and every transition (a time series), kept in the
-- projection's transaction; each transition also writes an alert to the outbox.
CREATE TABLE kr_health (
    kr_id        text PRIMARY KEY REFERENCES key_result (id) ON DELETE CASCADE,
    health       text NOT NULL,
    transitions  integer NOT NULL,
    changed_at   timestamptz NOT NULL
);

CREATE TABLE kr_health_history (
    kr_id         text NOT NULL,
    transition    integer NOT NULL,
    alert_id      uuid NOT NULL UNIQUE,
    old_health    text,
    new_health    text NOT NULL,
    progress_pct  numeric NOT NULL,
    expected_pct  numeric NOT NULL,
    reasons       jsonb NOT NULL,
    occurred_at   timestamptz NOT NULL,
    PRIMARY KEY (kr_id, transition)
);
