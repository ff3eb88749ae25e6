-- Signed webhooks for subscribers without Kafka: subscriptions, deliveries (one row per
-- subscription and alert, so a redelivered alert is not sent twice), and dead letters.
CREATE TABLE webhook_subscription (
    name        text PRIMARY KEY,
    url         text NOT NULL,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_delivery (
    subscription  text NOT NULL REFERENCES webhook_subscription (name) ON DELETE CASCADE,
    alert_id      uuid NOT NULL,
    status        text NOT NULL CHECK (status IN ('delivered', 'dead_lettered')),
    attempts      integer NOT NULL,
    last_error    text,
    finished_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription, alert_id)
);
