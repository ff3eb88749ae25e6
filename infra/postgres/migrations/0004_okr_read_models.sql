-- Read models of the OKR event streams, kept by the `okr-read-models` agent.
-- okr_stream_position is the projection's guard: an event at or below a stream's recorded
-- version is skipped, so redelivered (or aborted-then-republished) records change nothing.
CREATE TABLE okr_stream_position (
    stream_id  text PRIMARY KEY,
    version    integer NOT NULL
);

CREATE TABLE okr_key_result (
    kr_id              text PRIMARY KEY,
    title              text NOT NULL,
    owner_person_id    text NOT NULL,
    owner_unit_id      text NOT NULL,
    kind               text NOT NULL,
    unit               text NOT NULL,
    start_value        numeric NOT NULL,
    target_value       numeric NOT NULL,
    open_request_id    text,
    open_blocker       text,
    last_check_in_at   timestamptz,
    defined_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

CREATE TABLE okr_adjustment (
    kr_id            text NOT NULL,
    request_id       text NOT NULL,
    status           text NOT NULL CHECK (status IN
                         ('requested', 'approved', 'rejected', 'applied', 'cancelled')),
    current_target   numeric NOT NULL,
    proposed_target  numeric NOT NULL,
    reason           text NOT NULL,
    evidence         jsonb NOT NULL,
    requested_by     text NOT NULL,
    requested_at     timestamptz NOT NULL,
    decided_by       text,
    decided_at       timestamptz,
    decision_note    text,
    applied_at       timestamptz,
    closed_at        timestamptz,
    PRIMARY KEY (kr_id, request_id)
);

CREATE TABLE okr_check_in (
    event_id        uuid PRIMARY KEY,
    kr_id           text NOT NULL,
    summary         text NOT NULL,
    progress_value  numeric NOT NULL,
    blocker         text,
    reported_by     text NOT NULL,
    reported_at     timestamptz NOT NULL
);
CREATE INDEX okr_check_in_kr_idx ON okr_check_in (kr_id, reported_at);
