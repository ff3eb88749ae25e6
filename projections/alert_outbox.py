"""Alerts leave through the outbox, in the transaction that decided them: the relay publishes
them to the alerts topic and the SSE stream reads the same bytes."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from domain.alerts import Alert
from infra.postgres.event_store import OUTBOX_CHANNEL

ALERT_CHANNEL = "northstar_alerts"  # payload: the alert id, delivered at commit
# Held from the alerts' insert to the commit: numbers are taken, and commits happen, in one
# order. Taken last in every transaction that writes alerts (nothing is locked after it).
ALERT_ORDER_LOCK = 0x6E73_616C  # "nsal"


async def enqueue_alerts(
    conn: asyncpg.Connection, alerts: Sequence[tuple[Alert, str, int]], topic: str
) -> int:
    """Write (alert, stream, version) rows; an alert already there (same deterministic id) is
    left alone, so evaluating a rule again never sends it twice. Returns how many were new."""
    if not alerts:
        return 0
    await conn.execute("SELECT pg_advisory_xact_lock($1)", ALERT_ORDER_LOCK)
    new = await conn.fetch(
        "INSERT INTO outbox (event_id, stream_id, version, topic, value, alert_kr_id, alert_seq)"
        " SELECT a.id, a.stream, a.version, a.topic, a.value, a.kr_id, nextval('alert_seq')"
        " FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::bytea[], $6::text[])"
        " WITH ORDINALITY AS a (id, stream, version, topic, value, kr_id, n)"
        " ORDER BY a.n ON CONFLICT DO NOTHING RETURNING event_id",
        [a.alert_id for a, _, _ in alerts],
        [stream for _, stream, _ in alerts],
        [version for _, _, version in alerts],
        [topic] * len(alerts),
        [a.model_dump_json().encode() for a, _, _ in alerts],
        [getattr(a, "kr_id", None) for a, _, _ in alerts],
    )
    if new:
        await conn.execute("SELECT pg_notify($1, 'alerts')", OUTBOX_CHANNEL)
        for row in new:
            await conn.execute("SELECT pg_notify($1, $2)", ALERT_CHANNEL, str(row["event_id"]))
    return len(new)
