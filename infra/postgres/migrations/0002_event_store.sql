-- The command side's source of truth: append-only event streams with a per-stream hash chain.
CREATE TABLE event_store (
    position        bigserial PRIMARY KEY,      -- insertion order; never tailed (see outbox)
    stream_id       text NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    event_id        uuid NOT NULL UNIQUE,
    event_type      text NOT NULL,
    schema_version  integer NOT NULL,
    payload         jsonb NOT NULL,
    actor           text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    correlation_id  uuid NOT NULL,
    causation_id    uuid,
    prev_hash       bytea NOT NULL,
    hash            bytea NOT NULL,
    UNIQUE (stream_id, version)
);

CREATE FUNCTION event_store_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_store is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER event_store_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON event_store
    FOR EACH STATEMENT EXECUTE FUNCTION event_store_is_append_only();

-- A retried command (same key) gets the first result back instead of appending again.
CREATE TABLE command_idempotency (
    idempotency_key  text PRIMARY KEY,
    stream_id        text NOT NULL,
    first_version    integer NOT NULL,
    last_version     integer NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);

-- Written in the append's transaction; the relay publishes rows in (stream, version) order and
-- marks them, so commit order never makes it skip a row.
CREATE TABLE outbox (
    event_id      uuid PRIMARY KEY,
    stream_id     text NOT NULL,
    version       integer NOT NULL,
    topic         text NOT NULL,
    value         bytea NOT NULL,
    -- clock_timestamp, not now(): a stream's later version always sorts after its earlier one
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at  timestamptz,
    UNIQUE (stream_id, version, topic)
);
CREATE INDEX outbox_unpublished_idx ON outbox (created_at, stream_id, version)
    WHERE published_at IS NULL;

-- How far the relay has confirmed each partition of each topic it writes (for its restart check).
CREATE TABLE relay_position (
    topic        text NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);
