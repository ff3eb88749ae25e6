"""Read side: KR progress as the API and the CLI show it."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from domain.health import expected_progress, kr_health
from projections.sales.kr_health import CYCLE_THRESHOLDS, cycle_thresholds

_PROGRESS = (
    """
SELECT k.id, k.title, k.owner_unit_id, u.name AS owner_name, u.level AS owner_level,
       k.metric, k.kind, k.start_value, k.target_value, k.window_start, k.window_end,
       k.window_kind, k.rolling_days, k.category, k.skus, k.channel, k.monthly_pacing,
       p.actual, p.progress_pct, p.progress_display, p.provenance, p.as_of, p.updated_at,
       h.health AS recorded_health, h.changed_at AS recorded_health_at, t.green_max_gap,
       t.amber_max_gap, t.hysteresis_points
FROM key_result k
JOIN org_unit u ON u.id = k.owner_unit_id
LEFT JOIN kr_progress p ON p.kr_id = k.id
LEFT JOIN kr_health h ON h.kr_id = k.id
LEFT JOIN LATERAL ("""
    + CYCLE_THRESHOLDS
    + """) t ON true
WHERE ($1::text IS NULL OR k.id = $1) AND ($2::text IS NULL OR k.owner_unit_id = $2)
ORDER BY CASE u.level WHEN 'hq' THEN 0 WHEN 'region' THEN 1 WHEN 'city' THEN 2 ELSE 3 END, k.id
"""
)


async def kr_progress(
    conn: asyncpg.Connection, kr_id: str | None = None, unit_id: str | None = None
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_PROGRESS, kr_id, unit_id)]


async def unit_totals(conn: asyncpg.Connection) -> dict[str, dict[str, int]]:
    """All-time sales totals per org unit (what every level of the tree has projected)."""
    rows = await conn.fetch(
        "SELECT unit_id, sum(revenue_minor)::bigint AS revenue_minor, sum(units)::bigint AS units,"
        " sum(premium_revenue_minor)::bigint AS premium_revenue_minor"
        " FROM sales_rollup_daily GROUP BY unit_id"
    )
    return {r["unit_id"]: {k: r[k] for k in r.keys() if k != "unit_id"} for r in rows}


def json_default(value: object) -> str:
    """Decimals as plain digits (asyncpg hands back 2E+8 for 200000000), others as text."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def rows_json(rows: list[dict[str, Any]]) -> Any:
    """Rows as JSON values: decimals as plain digit strings, times as ISO 8601."""
    return orjson.loads(orjson.dumps(rows, default=json_default))


def with_health(rows: list[dict[str, Any]], now: datetime, zone: tzinfo) -> list[dict[str, Any]]:
    """Adds expected progress (the KR's pacing curve at `now`), health and its reasons: the
    colour right now, next to `recorded_health`, the last one the projection alerted on."""
    today = now.astimezone(zone).date()
    for row in rows:
        expected = expected_progress(
            row["window_start"], row["window_end"], today, row["monthly_pacing"]
        )
        progress = row["progress_pct"] if row["progress_pct"] is not None else Decimal(0)
        verdict = kr_health(
            progress,
            expected,
            row["as_of"],
            now,
            None,
            cycle_thresholds(row),
            row["recorded_health"],
        )
        row.update(
            expected_pct=expected, health=verdict.health, health_reasons=list(verdict.reasons)
        )
    return rows


_HISTORY = """
SELECT transition, old_health, new_health, progress_pct, expected_pct, reasons, occurred_at,
       alert_id
FROM kr_health_history WHERE kr_id = $1 ORDER BY transition
"""


async def health_history(conn: asyncpg.Connection, kr_id: str) -> list[dict[str, Any]]:
    """Every health transition of the KR, oldest first (the time series behind the colour)."""
    rows = [dict(r) for r in await conn.fetch(_HISTORY, kr_id)]
    for row in rows:
        row["reasons"] = orjson.loads(row["reasons"])
    return rows
