-- Issue 14: calibration meetings that take effect. The minutes of each meeting (who scheduled
-- and chaired it, its decisions) and what its outcomes changed (weights before/after, health
-- verdicts), and the verdicts in the KR's health history.
CREATE TABLE okr_calibration_meeting (
    meeting_id        text PRIMARY KEY,
    unit_id           text NOT NULL,
    cycle_id          text NOT NULL,
    starts_at         timestamptz NOT NULL,
    duration_minutes  integer NOT NULL,
    scheduled_by      text NOT NULL,
    scheduled_at      timestamptz NOT NULL,
    concluded_by      text,
    concluded_at      timestamptz,
    decisions         jsonb NOT NULL DEFAULT '[]',
    escalations       jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE okr_calibration_change (
    event_id     uuid PRIMARY KEY,
    meeting_id   text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('weights', 'verdict')),
    subject_id   text NOT NULL,          -- the objective (weights) or the KR (verdict)
    before       jsonb,
    after        jsonb NOT NULL,
    note         text NOT NULL DEFAULT '',
    changed_by   text NOT NULL,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX okr_calibration_change_meeting_idx ON okr_calibration_change (meeting_id);

CREATE TABLE okr_health_verdict (
    event_id     uuid PRIMARY KEY,
    kr_id        text NOT NULL,
    health       text NOT NULL CHECK (health IN ('green', 'amber', 'red')),
    note         text NOT NULL DEFAULT '',
    meeting_id   text NOT NULL,
    judged_by    text NOT NULL,
    judged_at    timestamptz NOT NULL
);
CREATE INDEX okr_health_verdict_kr_idx ON okr_health_verdict (kr_id, judged_at);

-- Escalations: a blocker raised to a level (by a meeting or the KR's owner), waiting in that
-- level's inbox until acknowledged and resolved, due within the agreed response time.
CREATE TABLE okr_escalation (
    escalation_id    text PRIMARY KEY,
    kr_id            text NOT NULL,
    to_unit_id       text,
    to_person_id     text,
    note             text NOT NULL,
    source           text NOT NULL CHECK (source IN ('calibration', 'owner')),
    meeting_id       text,
    raised_by        text NOT NULL,
    raised_at        timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    acknowledged_by  text,
    acknowledged_at  timestamptz,
    acknowledge_note text,
    resolved_by      text,
    resolved_at      timestamptz,
    resolution       text
);
CREATE INDEX okr_escalation_open_idx ON okr_escalation (to_unit_id, to_person_id)
    WHERE resolved_at IS NULL;

-- The rhythm of each unit's calibration meetings (the last one set).
CREATE TABLE okr_calibration_cadence (
    unit_id           text PRIMARY KEY,
    every_days        integer NOT NULL,
    first_at          timestamptz NOT NULL,
    duration_minutes  integer NOT NULL,
    set_by            text NOT NULL,
    set_at            timestamptz NOT NULL
);

-- Experience sharing: practices others can find by metric, region and tag, and who adopted them.
CREATE TABLE okr_practice (
    practice_id   text PRIMARY KEY,
    kr_id         text NOT NULL,
    unit_id       text NOT NULL,
    title         text NOT NULL,
    description   text NOT NULL,
    evidence      text NOT NULL,
    metric        text,
    figure        numeric,
    figure_unit   text,
    tags          jsonb NOT NULL DEFAULT '[]',
    published_by  text NOT NULL,
    published_at  timestamptz NOT NULL
);
CREATE TABLE okr_practice_adoption (
    practice_id  text NOT NULL,
    unit_id      text NOT NULL,
    kr_id        text,
    note         text NOT NULL,
    adopted_by   text NOT NULL,
    adopted_at   timestamptz NOT NULL,
    PRIMARY KEY (practice_id, unit_id)
);

-- Health of KRs fed by check-ins, like the sales-fed KRs' kr_health: evaluated on every check-in
-- and as time passes; each change kept as history and alerted.
CREATE TABLE okr_kr_health (
    kr_id        text PRIMARY KEY,
    health       text NOT NULL,
    transitions  integer NOT NULL,
    changed_at   timestamptz NOT NULL
);
CREATE TABLE okr_kr_health_history (
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
