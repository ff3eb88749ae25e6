-- Issue 16: the optional `scenario` of leads and first orders (campus, office, family...),
-- summed per unit (every unit from the rep up), business day and scenario: conversion by
-- scenario. Per source partition, as the other roll-ups, so workers never share a row.
CREATE TABLE sales_scenario_daily (
    source_partition  integer NOT NULL,
    unit_id           text NOT NULL,
    day               date NOT NULL,
    scenario          text NOT NULL,
    leads             integer NOT NULL,
    first_orders      integer NOT NULL,
    PRIMARY KEY (unit_id, day, scenario, source_partition)
);
