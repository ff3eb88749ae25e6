-- People, kept from the org stream's events (org units land in org_unit as well).
CREATE TABLE person (
    person_id   text PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL,
    unit_id     text NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX person_unit_idx ON person (unit_id);
