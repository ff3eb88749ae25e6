-- Health thresholds per planning cycle (gap in points: <= green_max_gap green, <= amber_max_gap
-- amber, above red); a KR takes those of the shortest cycle that contains its window.
ALTER TABLE okr_cycle ADD COLUMN green_max_gap numeric NOT NULL DEFAULT 0;
ALTER TABLE okr_cycle ADD COLUMN amber_max_gap numeric NOT NULL DEFAULT 25;
