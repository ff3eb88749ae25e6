-- The KR whose live value measures the north star (the board's banner shows it and its trend).
ALTER TABLE okr_north_star ADD COLUMN measured_by text;
