-- An OKR stream whose next event cannot be applied to the read models is parked here; its
-- later events wait in the event store until `northstar projections retry|skip`.
CREATE TABLE okr_parked_stream (
    stream_id   text PRIMARY KEY,
    version     int NOT NULL,          -- the first event not applied
    event_id    uuid NOT NULL,
    event_type  text NOT NULL,
    reason      text NOT NULL,         -- the error's class
    detail      text NOT NULL,
    parked_at   timestamptz NOT NULL
);
