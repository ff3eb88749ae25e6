"""The outbox, its one writer: what leaves for Kafka, written in the transaction that decided it.
Recorded events (the event store appends them with their events), alerts (the projections
enqueue them; the relay publishes them to the alerts topic and the SSE stream reads the same
bytes), and the relay's marks of what it published."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg

from domain.alerts import Alert

OUTBOX_CHANNEL = "northstar_outbox"  # payload: a stream id or 'alerts', at commit
ALERT_CHANNEL = "northstar_alerts"  # payload: the alert id, delivered at commit
# Held from the alerts' insert to the commit: numbers are taken, and commits happen, in one
# order. Taken last in every transaction that writes alerts (nothing is locked after it).
ALERT_ORDER_LOCK = 0x6E73_616C  # "nsal"


async def enqueue_alerts(
    conn: asyncpg.Connection,
    alerts: Sequence[tuple[Alert, str, int]],
    topic: str,
    *,
    in_order: bool = True,
) -> int:
    """Write (alert, stream, version) rows; an alert already there (same deterministic id) is
    left alone, so evaluating a rule again never sends it twice. Returns how many were new.
    `in_order=False` (a sales worker's stage 2, which never waits for another worker): the
    rows get no number and nobody is told yet; `number_alerts` numbers and announces them."""
    if not alerts:
        return 0
    if not in_order:
        new = await conn.fetch(
            "INSERT INTO outbox (event_id, stream_id, version, topic, value, alert_kr_id)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::bytea[],"
            " $6::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
            *_columns(alerts, topic),
        )
        return len(new)
    await conn.execute("SELECT pg_advisory_xact_lock($1)", ALERT_ORDER_LOCK)
    new = await conn.fetch(
        "INSERT INTO outbox (event_id, stream_id, version, topic, value, alert_kr_id, alert_seq)"
        " SELECT a.id, a.stream, a.version, a.topic, a.value, a.kr_id, nextval('alert_seq')"
        " FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::bytea[], $6::text[])"
        " WITH ORDINALITY AS a (id, stream, version, topic, value, kr_id, n)"
        " ORDER BY a.n ON CONFLICT DO NOTHING RETURNING event_id",
        *_columns(alerts, topic),
    )
    await _announce(conn, [row["event_id"] for row in new])
    return len(new)


async def number_alerts(conn: asyncpg.Connection, topic: str) -> int | None:
    """Number the alerts written without one, in one transaction of its own, and announce them
    (to the relay and the SSE hub). None when someone else holds the numbering lock (never
    waits: the caller tries again soon); else how many."""
    async with conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", ALERT_ORDER_LOCK):
            return None
        numbered = await conn.fetch(
            "WITH waiting AS (SELECT event_id FROM outbox WHERE topic = $1 AND alert_seq IS NULL"
            " AND alert_kr_id IS NOT NULL"
            " ORDER BY created_at, event_id), numbers AS (SELECT event_id,"
            " nextval('alert_seq') AS seq FROM waiting)"
            " UPDATE outbox o SET alert_seq = n.seq FROM numbers n"
            " WHERE o.event_id = n.event_id RETURNING o.event_id, o.alert_seq",
            topic,
        )
        await _announce(conn, [r["event_id"] for r in sorted(numbered, key=lambda r: r[1])])
        return len(numbered)


async def unnumbered_alerts(conn: asyncpg.Connection, topic: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE topic = $1 AND alert_seq IS NULL"
            " AND alert_kr_id IS NOT NULL)",
            topic,
        )
    )


def _columns(alerts: Sequence[tuple[Alert, str, int]], topic: str) -> list[list[object]]:
    return [
        [a.alert_id for a, _, _ in alerts],
        [stream for _, stream, _ in alerts],
        [version for _, _, version in alerts],
        [topic] * len(alerts),
        [a.model_dump_json().encode() for a, _, _ in alerts],
        [getattr(a, "kr_id", None) for a, _, _ in alerts],
    ]


async def _announce(conn: asyncpg.Connection, alert_ids: Sequence[object]) -> None:
    """Tell the relay and the SSE hub, at commit (in numbering order)."""
    if alert_ids:
        await conn.execute("SELECT pg_notify($1, 'alerts')", OUTBOX_CHANNEL)
        for alert_id in alert_ids:
            await conn.execute("SELECT pg_notify($1, $2)", ALERT_CHANNEL, str(alert_id))


async def add_events(
    conn: asyncpg.Connection,
    stream_id: str,
    versions: Sequence[int],
    topic: str,
    events: Sequence[tuple[object, bytes]],
) -> None:
    """The recorded events of one append (event id, JSON bytes), for the relay, announced at
    commit (the rows and the announcement in one round trip)."""
    await conn.execute(
        "WITH added AS (INSERT INTO outbox (event_id, stream_id, version, topic, value)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::bytea[])"
        " RETURNING 1)"
        " SELECT pg_notify($6, $2[1]) FROM (SELECT 1 FROM added LIMIT 1) AS one",
        [event_id for event_id, _ in events],
        [stream_id] * len(events),
        list(versions),
        [topic] * len(events),
        [value for _, value in events],
        OUTBOX_CHANNEL,
    )


async def next_batch(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """What the relay publishes next: unpublished rows, oldest first, in stream order."""
    return await conn.fetch(
        "SELECT event_id, stream_id, version, topic, value, created_at FROM outbox"
        " WHERE published_at IS NULL ORDER BY created_at, stream_id, version LIMIT $1",
        limit,
    )


async def mark_published(
    conn: asyncpg.Connection,
    event_ids: Sequence[object],
    ends: Mapping[tuple[str, int], int] | None = None,
) -> None:
    """The relay published these (Kafka acknowledged them), and each partition it wrote to now
    ends at `ends` (the relay's positions, for reconciling after a crash); one transaction."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE outbox SET published_at = clock_timestamp()"
            " WHERE event_id = ANY($1::uuid[]) AND published_at IS NULL",
            list(event_ids),
        )
        if ends:
            await conn.execute(
                "INSERT INTO relay_position (topic, partition, next_offset)"
                " SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])"
                " ON CONFLICT (topic, partition) DO UPDATE"
                " SET next_offset = GREATEST(relay_position.next_offset, excluded.next_offset)",
                [t for t, _ in ends],
                [p for _, p in ends],
                list(ends.values()),
            )


async def relay_positions(conn: asyncpg.Connection, topic: str) -> dict[int, int]:
    """Where the relay's writes to each partition of `topic` ended."""
    rows = await conn.fetch(
        "SELECT partition, next_offset FROM relay_position WHERE topic = $1", topic
    )
    return {r["partition"]: r["next_offset"] for r in rows}
