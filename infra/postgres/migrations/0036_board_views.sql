-- A goal view is counted once per opened goal: opening the board (all of one's goals on one page)
-- is one view of subject 'board' (its id: the person), not one per objective it lists; opening
-- a KR or an objective on its own is a view of that goal.
ALTER TABLE goal_view DROP CONSTRAINT IF EXISTS goal_view_subject_check;
ALTER TABLE goal_view ADD CONSTRAINT goal_view_subject_check
    CHECK (subject IN ('key_result', 'objective', 'board'));
