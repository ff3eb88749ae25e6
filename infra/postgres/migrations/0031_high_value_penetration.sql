-- Issue 16: high-value-customer penetration (the share of a window's customers who bought a
-- premium product), the metric certification looks at by default.
ALTER TABLE key_result DROP CONSTRAINT key_result_metric_check;
ALTER TABLE key_result ADD CONSTRAINT key_result_metric_check CHECK (metric IN (
    'revenue', 'units', 'premium_share', 'collection_rate', 'first_order_conversion',
    'distinct_customers', 'monthly_repeat_buyers', 'premium_monthly_repeat_buyers',
    'high_value_customer_penetration'));
