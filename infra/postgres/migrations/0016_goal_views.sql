-- Each time a person reads a KR or an objective through the API (or the board), one row:
-- the field metric "frontline goal views per week" is counted from here. An append-only log of
-- its own, not the event store: views are many, carry no decision, and need no hash chain.
CREATE TABLE goal_view (
    id          bigserial PRIMARY KEY,
    person_id   text NOT NULL,
    role        text NOT NULL,
    unit_id     text,
    subject     text NOT NULL CHECK (subject IN ('key_result', 'objective')),
    subject_id  text NOT NULL,
    viewed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goal_view_time_idx ON goal_view (viewed_at);
