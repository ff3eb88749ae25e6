-- Issue 15: the sales projection's freshness, readable from the database (the API's /metrics
-- and HQ's board): per partition, the produce time of the oldest record of the last batch
-- applied; with `updated_at` (now the clock at the end of that batch's transaction) it is how
-- long that batch's oldest sale took to be counted.
ALTER TABLE projection_checkpoint ADD COLUMN batch_oldest_record_at timestamptz;
