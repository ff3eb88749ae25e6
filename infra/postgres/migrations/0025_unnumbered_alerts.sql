-- Issue 12: a sales worker's stage 2 writes alerts without a number (taking the numbering lock
-- would make workers wait for each other); whichever worker gets there first numbers them.
CREATE INDEX outbox_unnumbered_alerts_idx ON outbox (topic, created_at)
    WHERE alert_seq IS NULL AND alert_kr_id IS NOT NULL;
