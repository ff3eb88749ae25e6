"""Alerts leave through the outbox, in the transaction that decided them: the relay publishes
them to the alerts topic and the SSE stream reads the same bytes."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from domain.alerts import Alert
from infra.postgres.event_store import OUTBOX_CHANNEL

ALERT_CHANNEL = "northstar_alerts"  # payload: the alert id, delivered at commit


async def enqueue_alerts(
    conn: asyncpg.Connection, alerts: Sequence[tuple[Alert, str, int]], topic: str
) -> int:
    """Write (alert, stream, version) rows; an alert already there (same deterministic id) is
    left alone, so evaluating a rule again never sends it twice. Returns how many were new."""
    if not alerts:
        return 0
    new = await conn.fetch(
        "INSERT INTO outbox (event_id, stream_id, version, topic, value)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::bytea[])"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        [a.alert_id for a, _, _ in alerts],
        [stream for _, stream, _ in alerts],
        [version for _, _, version in alerts],
        [topic] * len(alerts),
        [a.model_dump_json().encode() for a, _, _ in alerts],
    )
    if new:
        await conn.execute("SELECT pg_notify($1, 'alerts')", OUTBOX_CHANNEL)
        for row in new:
            await conn.execute("SELECT pg_notify($1, $2)", ALERT_CHANNEL, str(row["event_id"]))
    return len(new)
