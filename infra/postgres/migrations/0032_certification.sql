-- Issue 16: the certification workflow (suggested by the evaluation's alert -> nominated by a
-- manager -> granted by HQ with recommended strategic projects), and HQ's strategic projects
-- (from the company catalogue).
CREATE TABLE okr_certification (
    person_id             text NOT NULL,
    cycle_id              text NOT NULL,
    status                text NOT NULL CHECK (status IN ('nominated', 'granted')),
    nominated_by          text NOT NULL,
    nominated_at          timestamptz NOT NULL,
    nomination_note       text NOT NULL,
    granted_by            text,
    granted_at            timestamptz,
    title                 text,
    recommended_projects  text[],
    grant_note            text,
    PRIMARY KEY (person_id, cycle_id)
);
CREATE TABLE strategic_project (
    project_id  text PRIMARY KEY,
    title       text NOT NULL
);
