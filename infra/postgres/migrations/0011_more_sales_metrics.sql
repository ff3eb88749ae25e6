-- Collection rate (payments per unit and day) and customer metrics (distinct customers,
-- monthly repeat buyers, premium monthly repeat buyers) for metric-bound KRs.
ALTER TABLE sales_rollup_daily ADD COLUMN payments_minor bigint NOT NULL DEFAULT 0;

CREATE TABLE sales_customer_month (
    unit_id            text NOT NULL,
    month              date NOT NULL,
    customer_id        text NOT NULL,
    purchases          integer NOT NULL,
    premium_purchases  integer NOT NULL,
    PRIMARY KEY (unit_id, month, customer_id)
);

ALTER TABLE key_result DROP CONSTRAINT key_result_metric_check;
ALTER TABLE key_result ADD CONSTRAINT key_result_metric_check CHECK (metric IN (
    'revenue', 'units', 'premium_share', 'collection_rate', 'distinct_customers',
    'monthly_repeat_buyers', 'premium_monthly_repeat_buyers'));
