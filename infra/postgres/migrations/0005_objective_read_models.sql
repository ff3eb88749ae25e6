CREATE TABLE okr_objective (
    objective_id     text PRIMARY KEY,
    title            text NOT NULL,
    owner_person_id  text NOT NULL,
    owner_unit_id    text NOT NULL,
    cycle_id         text NOT NULL,
    status           text NOT NULL CHECK (status IN ('active', 'achieved', 'dropped')),
    defined_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX okr_objective_owner_idx ON okr_objective (owner_person_id, cycle_id);

-- The alignment tree: a child objective contributes `weight` percent to each parent.
CREATE TABLE okr_alignment (
    child_id   text NOT NULL,
    parent_id  text NOT NULL,
    weight     numeric NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE INDEX okr_alignment_parent_idx ON okr_alignment (parent_id);

CREATE TABLE okr_kr_weight (
    objective_id  text NOT NULL,
    kr_id         text NOT NULL,
    weight        numeric NOT NULL,
    PRIMARY KEY (objective_id, kr_id)
);

CREATE TABLE okr_policy (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    updated_at  timestamptz NOT NULL
);
