-- The objectives a KR belongs to, looked up by KR (the board reads it for every KR it shows;
-- the read scope for every KR read). The primary key leads with the objective.
CREATE INDEX okr_kr_weight_kr_idx ON okr_kr_weight (kr_id);
