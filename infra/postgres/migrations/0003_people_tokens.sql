-- Tokens may now belong to a person acting in a role at an org unit (OKR commands need one).
ALTER TABLE api_client DROP CONSTRAINT api_client_role_check;
ALTER TABLE api_client ADD COLUMN person_id text, ADD COLUMN unit_id text;
ALTER TABLE api_client ADD CONSTRAINT api_client_role_check CHECK (
    role IN ('ingest', 'reader', 'admin', 'hq_admin', 'manager', 'rep', 'auditor'));
ALTER TABLE api_client ADD CONSTRAINT api_client_person_roles CHECK (
    (role IN ('hq_admin', 'manager', 'rep', 'auditor')) = (person_id IS NOT NULL AND unit_id IS NOT NULL));
