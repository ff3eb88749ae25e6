-- Issue 14: who sets a region's OKRs (HQ's policy per region) and HRBP proposals awaiting HQ.
-- The HRBP (HR business partner) role may hold tokens and board logins.
ALTER TABLE api_client DROP CONSTRAINT api_client_role_check;
ALTER TABLE api_client ADD CONSTRAINT api_client_role_check CHECK (
    role IN ('ingest', 'reader', 'admin', 'hq_admin', 'manager', 'hrbp', 'rep', 'auditor'));
ALTER TABLE api_client DROP CONSTRAINT api_client_person_roles;
ALTER TABLE api_client ADD CONSTRAINT api_client_person_roles CHECK (
    (role IN ('hq_admin', 'manager', 'hrbp', 'rep', 'auditor'))
    = (person_id IS NOT NULL AND unit_id IS NOT NULL));
ALTER TABLE app_user DROP CONSTRAINT app_user_role_check;
ALTER TABLE app_user ADD CONSTRAINT app_user_role_check CHECK (
    role IN ('hq_admin', 'manager', 'hrbp', 'rep', 'auditor'));

CREATE TABLE okr_governance (
    region_id  text PRIMARY KEY,
    mode       text NOT NULL CHECK (mode IN ('centralised', 'distributed')),
    reason     text NOT NULL DEFAULT '',
    set_by     text NOT NULL,
    set_at     timestamptz NOT NULL
);

CREATE TABLE okr_proposal (
    proposal_id    text PRIMARY KEY,
    goal           text NOT NULL CHECK (goal IN ('key_result', 'objective')),
    goal_id        text NOT NULL,
    title          text NOT NULL,
    owner_unit_id  text NOT NULL,
    region_id      text,
    definition     jsonb NOT NULL,
    proposed_by    text NOT NULL,
    proposed_at    timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by     text,
    decided_at     timestamptz,
    decision_note  text
);
CREATE INDEX okr_proposal_status_idx ON okr_proposal (status, proposed_at);
