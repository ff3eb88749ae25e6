-- Each KR's progress row keeps the additive sums it was computed from and the days they cover,
-- so a batch adds its own deltas instead of re-summing the whole window (the window is summed
-- again only when it moves: a new day for rolling windows, a new month for calendar months).
ALTER TABLE kr_progress ADD COLUMN counted_from date;
ALTER TABLE kr_progress ADD COLUMN counted_to date;
ALTER TABLE kr_progress ADD COLUMN revenue_minor bigint NOT NULL DEFAULT 0;
ALTER TABLE kr_progress ADD COLUMN units bigint NOT NULL DEFAULT 0;
ALTER TABLE kr_progress ADD COLUMN premium_revenue_minor bigint NOT NULL DEFAULT 0;
ALTER TABLE kr_progress ADD COLUMN payments_minor bigint NOT NULL DEFAULT 0;
ALTER TABLE kr_progress ADD COLUMN leads bigint NOT NULL DEFAULT 0;
ALTER TABLE kr_progress ADD COLUMN first_orders bigint NOT NULL DEFAULT 0;
