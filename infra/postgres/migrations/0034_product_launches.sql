-- Issue 16: new products and their first month's revenue plan (from the company catalogue),
-- against which the first month's sales are measured.
CREATE TABLE product_launch (
    sku                     text PRIMARY KEY,
    launched_on             date NOT NULL,
    first_month_plan_minor  bigint NOT NULL CHECK (first_month_plan_minor > 0)
);
