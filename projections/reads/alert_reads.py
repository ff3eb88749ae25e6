"""What the API's alert stream reads of the outbox (queries in `sql/alert_reads.sql`)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from projections.sql_files import load_queries

SQL = load_queries("alert_reads")


async def kr_subject(conn: asyncpg.Connection, kr_id: str) -> asyncpg.Record | None:
    """The KR's owner (unit, person) and objectives; None for an unknown KR."""
    return await conn.fetchrow(SQL["kr_subject"], kr_id)


async def alerts_after(
    conn: asyncpg.Connection,
    topic: str,
    after_seq: int,
    since: datetime | None,
    kr_id: str | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(SQL["alerts_after"], topic, after_seq, since, kr_id, limit)


async def alert_seq(conn: asyncpg.Connection, alert_id: uuid.UUID, topic: str) -> int | None:
    return await conn.fetchval(SQL["alert_seq"], alert_id, topic)


async def latest_alert_seq(conn: asyncpg.Connection, topic: str) -> int:
    return int(await conn.fetchval(SQL["latest_alert_seq"], topic))
