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
    # `up` is judged on the age as shown, so a reader's `beat_age_s > 10` and `up` never disagree.
    ages = {r["name"]: round(r["beat_age_s"], 1) for r in rows}
    return {
        r["name"]: {
            "up": ages[r["name"]] <= UP_WITHIN_S,
            "beat_age_s": ages[r["name"]],
            "restarts": r["restarts"],
            "started_at": r["started_at"].isoformat(),
        }
        for r in rows
    }
