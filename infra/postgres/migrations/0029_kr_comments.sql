-- Issue 14: HQ (or a manager above the owner) comments on a KR — how HQ follows the KRs a
-- distributed region sets for itself.
CREATE TABLE okr_kr_comment (
    event_id      uuid PRIMARY KEY,
    kr_id         text NOT NULL,
    comment       text NOT NULL,
    commented_by  text NOT NULL,
    commented_at  timestamptz NOT NULL
);
CREATE INDEX okr_kr_comment_kr_idx ON okr_kr_comment (kr_id, commented_at);
