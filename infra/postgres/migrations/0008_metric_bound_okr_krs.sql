-- KRs defined through OKR commands with a metric binding join the sales-side key_result table;
-- needs_refresh marks rows whose progress must be recomputed after their definition or target
-- changed (done in its own transaction, retried until it happens).
ALTER TABLE key_result ADD COLUMN needs_refresh boolean NOT NULL DEFAULT false;
CREATE INDEX key_result_needs_refresh_idx ON key_result (id) WHERE needs_refresh;
