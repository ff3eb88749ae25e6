-- Each long-running process (worker agents, relay, webhook dispatcher) says it is alive every
-- few seconds; /healthz reads this. `restarts`: how often its supervisor has restarted it.
CREATE TABLE process_heartbeat (
    name        text PRIMARY KEY,
    pid         int NOT NULL,
    started_at  timestamptz NOT NULL,
    beat_at     timestamptz NOT NULL,
    restarts    int NOT NULL DEFAULT 0
);
