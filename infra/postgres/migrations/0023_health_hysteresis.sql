-- Hysteresis: a KR turns to a better colour only when its gap clears the threshold by this many
-- points (per cycle). The raw colour (what each evaluation alone says) is kept beside the
-- alerted one, and every change of it is kept as history.
ALTER TABLE okr_cycle ADD COLUMN hysteresis_points numeric NOT NULL DEFAULT 2;
ALTER TABLE kr_health ADD COLUMN raw_health text;
CREATE TABLE kr_health_raw (
    id            bigserial PRIMARY KEY,
    kr_id         text NOT NULL REFERENCES key_result (id) ON DELETE CASCADE,
    raw_health    text NOT NULL,
    health        text NOT NULL,          -- the alerted colour after this evaluation
    gap_points    numeric NOT NULL,
    evaluated_at  timestamptz NOT NULL    -- business time
);
CREATE INDEX kr_health_raw_kr_idx ON kr_health_raw (kr_id, id);
