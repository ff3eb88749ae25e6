"""Response-time analytics of escalations: raised -> acknowledged and raised -> resolved, by
the level they were raised to or by month, with how many are still open (and overdue)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, tzinfo
from typing import Any, Literal

import asyncpg

from domain.response_times import summarize
from reports.render import Column, field, hours

EscalationGrouping = Literal["all", "unit", "month"]

_ESCALATIONS = """
SELECT escalation_id, coalesce(to_unit_id, 'person:' || to_person_id) AS target, raised_at,
       due_at, acknowledged_at, resolved_at
FROM okr_escalation ORDER BY raised_at, escalation_id
"""


async def escalation_response_times(
    conn: asyncpg.Connection, by: EscalationGrouping, zone: tzinfo, now: datetime
) -> list[dict[str, Any]]:
    """Per group: how many were raised, how many are still open and overdue at `now`, and the
    count, median, mean and p90 hours to acknowledge and to resolve (of those that were)."""
    groups: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for row in await conn.fetch(_ESCALATIONS):
        key = {
            "all": "all",
            "unit": row["target"],
            "month": row["raised_at"].astimezone(zone).strftime("%Y-%m"),
        }[by]
        groups[key].append(row)
    return [
        {
            "group": name,
            "raised": len(rows),
            "open": sum(r["resolved_at"] is None for r in rows),
            "overdue": sum(r["resolved_at"] is None and r["due_at"] < now for r in rows),
            "hours_to_acknowledge": asdict(summarize(_hours(rows, "acknowledged_at"))),
            "hours_to_resolve": asdict(summarize(_hours(rows, "resolved_at"))),
        }
        for name, rows in sorted(groups.items())
    ]


def _hours(rows: list[asyncpg.Record], column: str) -> list[float]:
    return [
        (r[column] - r["raised_at"]).total_seconds() / 3600 for r in rows if r[column] is not None
    ]


# How `northstar reports escalation-times` shows a row (reports.render).
COLUMNS = (
    Column("group", field("group"), 24, "<"),
    Column("raised", field("raised"), 6),
    Column("open", field("open"), 5),
    Column("overdue", field("overdue"), 7),
    Column("median h->ack", lambda r: hours(r["hours_to_acknowledge"]["median"]), 14),
    Column("median h->resolved", lambda r: hours(r["hours_to_resolve"]["median"]), 19),
    Column("p90", lambda r: hours(r["hours_to_resolve"]["p90"]), 8),
)
