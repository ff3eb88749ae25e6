"""What an install loaded before the catalog became commands left behind: `org_unit` and
`key_result` rows no event created (the old loader upserted them directly). Read by
`northstar catalog adopt`, which records them as HQ's commands once (ADR 0023)."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.key_result.events import KR_STREAMS
from domain.organisation import ORG_STREAM

_UNITS = "SELECT id, name, level, parent_id FROM org_unit ORDER BY id"
_CREATED_UNITS = """
SELECT payload->>'unit_id' FROM event_store
WHERE stream_id = $1 AND event_type = 'org.unit_created'
"""
_UNRECORDED_KRS = """
SELECT id, title, owner_unit_id, metric, kind, start_value, target_value, window_start,
       window_end, category, channel, window_kind, rolling_days, skus, monthly_pacing
FROM key_result k
WHERE NOT EXISTS (SELECT 1 FROM event_store e WHERE e.stream_id = $1 || k.id)
ORDER BY id
"""
_HEADS = "SELECT person_id, name, role, unit_id FROM person ORDER BY person_id"


async def unit_rows(conn: asyncpg.Connection) -> tuple[list[dict[str, Any]], set[str]]:
    """Every `org_unit` row, and the ids the org stream created."""
    units = [dict(r) for r in await conn.fetch(_UNITS)]
    created = {r[0] for r in await conn.fetch(_CREATED_UNITS, ORG_STREAM)}
    return units, created


async def unrecorded_key_results(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """The sales side's KR rows with no KR stream behind them."""
    return [dict(r) for r in await conn.fetch(_UNRECORDED_KRS, KR_STREAMS.prefix)]


async def people_rows(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_HEADS)]
