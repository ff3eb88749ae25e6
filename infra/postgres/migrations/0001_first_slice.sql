-- Org tree and metric-bound key results (loaded from YAML until the event-sourced OKR side lands).
CREATE TABLE org_unit (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('hq', 'region', 'city', 'rep')),
    parent_id   text REFERENCES org_unit (id)
);

CREATE TABLE key_result (
    id             text PRIMARY KEY,
    title          text NOT NULL,
    owner_unit_id  text NOT NULL REFERENCES org_unit (id),
    metric         text NOT NULL CHECK (metric IN ('revenue', 'units', 'premium_share')),
    kind           text NOT NULL,
    start_value    numeric NOT NULL,
    target_value   numeric NOT NULL,
    window_start   date NOT NULL,
    window_end     date NOT NULL,
    category       text,
    channel        text
);
CREATE INDEX key_result_owner_idx ON key_result (owner_unit_id);

-- Position of each projection in each topic partition, advanced in the same transaction
-- as the rows it produced: the exactly-once effect rests on this table.
CREATE TABLE projection_checkpoint (
    projection   text NOT NULL,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
);

-- Every accepted sales fact once, by its natural key (type, source system, source id).
-- The facts themselves stay in the sales topic (infinite retention), the source of truth.
CREATE TABLE sales_fact_seen (
    dedup_key  text PRIMARY KEY
);

CREATE TABLE sales_rollup_daily (
    unit_id                text NOT NULL,
    day                    date NOT NULL,
    category               text NOT NULL,
    channel                text NOT NULL,
    revenue_minor          bigint NOT NULL,
    units                  bigint NOT NULL,
    premium_revenue_minor  bigint NOT NULL,
    premium_units          bigint NOT NULL,
    PRIMARY KEY (unit_id, day, category, channel)
);

CREATE TABLE kr_progress (
    kr_id             text PRIMARY KEY REFERENCES key_result (id) ON DELETE CASCADE,
    actual            numeric NOT NULL,
    progress_pct      numeric NOT NULL,
    progress_display  numeric NOT NULL,
    provenance        text NOT NULL DEFAULT 'auto',
    as_of             timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- API clients (ingest producers, readers); only a SHA-256 of each token is kept.
CREATE TABLE api_client (
    name        text PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,
    role        text NOT NULL CHECK (role IN ('ingest', 'reader', 'admin')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
