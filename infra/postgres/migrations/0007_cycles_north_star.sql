CREATE TABLE okr_cycle (
    cycle_id   text PRIMARY KEY,
    kind       text NOT NULL,
    starts_on  date NOT NULL,
    ends_on    date NOT NULL
);

-- Every north star HQ has set; the current one is the latest.
CREATE TABLE okr_north_star (
    event_id         uuid PRIMARY KEY,
    metric           text NOT NULL,
    target           numeric NOT NULL,
    unit             text NOT NULL,
    comparison       text NOT NULL,
    owner_person_id  text NOT NULL,
    set_at           timestamptz NOT NULL
);
