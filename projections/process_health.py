"""Which long-running processes are alive, from their heartbeats."""

from __future__ import annotations

from typing import Any

import asyncpg

from infra.heartbeat import UP_WITHIN_S


async def process_health(conn: asyncpg.Connection) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT name, restarts, started_at,"
        " extract(epoch FROM now() - beat_at)::float8 AS beat_age_s"
        " FROM process_heartbeat ORDER BY name",
        timeout=2.0,
    )
    return {
        r["name"]: {
            "up": r["beat_age_s"] <= UP_WITHIN_S,
            "beat_age_s": round(r["beat_age_s"], 1),
            "restarts": r["restarts"],
            "started_at": r["started_at"].isoformat(),
        }
        for r in rows
    }
