-- A KR's definition and its unit's creation travel in different streams of the OKR topic, so in
-- different partitions: the OKR agent may apply the KR first. The sales side's KR row names its
-- unit without requiring the unit row to exist yet (the org stream fills it in; the roll-ups are
-- keyed by unit id and never join org_unit to sum a KR).
ALTER TABLE key_result DROP CONSTRAINT IF EXISTS key_result_owner_unit_id_fkey;
