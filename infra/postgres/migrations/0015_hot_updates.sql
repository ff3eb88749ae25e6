-- Rows rewritten on every batch leave room in their page, so PostgreSQL can update them in place
-- (HOT: no new index entry, less bloat): every KR's progress and health row, and the roll-ups.
ALTER TABLE kr_progress SET (fillfactor = 50);
ALTER TABLE kr_health SET (fillfactor = 50);
ALTER TABLE sales_rollup_daily SET (fillfactor = 80);
ALTER TABLE sales_customer_month SET (fillfactor = 80);
