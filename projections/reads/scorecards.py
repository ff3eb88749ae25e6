"""Scorecards: for a person (the KRs they own) or a unit (the KRs owned anywhere in its
subtree), in one cycle: how many KRs are green, amber and red now and their shares; how those
counts moved week by week over the cycle (the colours as recorded at each week's end: a KR
without a recorded colour yet counts as `none`, one not defined yet not at all); and the
weakest KR — the one furthest behind its pacing line (expected minus progress); and the
objectives of the cycle it covers, each with its one number (`domain.objective_scores`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import asyncpg

from domain.org_tree import OrgTree
from projections.reads.board import BOARD_KRS
from projections.reads.objective_scores import scored_objectives
from projections.reads.okr_reads import kr_reading

COLOURS = ("green", "amber", "red")

_HISTORY = """
SELECT kr_id, new_health, occurred_at, transition FROM kr_health_history
WHERE kr_id = ANY($1::text[])
UNION ALL
SELECT kr_id, new_health, occurred_at, transition FROM okr_kr_health_history
WHERE kr_id = ANY($1::text[])
ORDER BY occurred_at, transition
"""
_CYCLE = "SELECT cycle_id, starts_on, ends_on FROM okr_cycle WHERE cycle_id = $1"


async def scorecard(
    conn: asyncpg.Connection,
    org: OrgTree,
    now: datetime,
    zone: tzinfo,
    cycle_id: str,
    person_id: str | None = None,
    unit_id: str | None = None,
) -> dict[str, Any] | None:
    """The scorecard of `person_id` or `unit_id` for `cycle_id` (None: no such cycle)."""
    cycle = await conn.fetchrow(_CYCLE, cycle_id)
    if cycle is None:
        return None
    # the board's KR read, narrowed to the person's KRs or to those owned in the unit's subtree
    units = sorted(org.subtree(unit_id)) if unit_id else []
    rows = [
        r
        for r in await conn.fetch(BOARD_KRS, False, person_id or "", units, [])
        if r["cycle_id"] == cycle_id
    ]
    readings = {r["kr_id"]: kr_reading(r, now, zone) for r in rows}
    counts = {colour: 0 for colour in COLOURS}
    for reading in readings.values():
        counts[reading["health"]] += 1
    weakest = max(
        rows,
        key=lambda r: (
            readings[r["kr_id"]]["expected"] - readings[r["kr_id"]]["progress"],
            r["kr_id"],
        ),
        default=None,
    )
    history = await conn.fetch(_HISTORY, [r["kr_id"] for r in rows])
    return {
        "cycle": {
            "cycle_id": cycle_id,
            "starts_on": cycle["starts_on"],
            "ends_on": cycle["ends_on"],
        },
        "person_id": person_id,
        "unit_id": unit_id,
        "as_of": now,
        "krs": len(rows),
        "health": {
            colour: {
                "count": count,
                "share": round(count / len(rows), 4) if rows else None,
            }
            for colour, count in counts.items()
        },
        "weakest": None if weakest is None else _weakest(weakest, readings[weakest["kr_id"]]),
        "objectives": await scored_objectives(
            conn, cycle_id, now, zone, person_id, units if unit_id else None
        ),
        "trend": _trend(rows, history, cycle["starts_on"], cycle["ends_on"], now, zone),
    }


def _weakest(row: asyncpg.Record, reading: dict[str, Any]) -> dict[str, Any]:
    return {
        "kr_id": row["kr_id"],
        "title": row["title"],
        "owner_person_id": row["owner_person_id"],
        "owner_name": row["owner_name"],
        "progress": reading["progress"],
        "expected": reading["expected"],
        "behind_by": reading["expected"] - reading["progress"],
        "health": reading["health"],
    }


def _trend(
    rows: list[asyncpg.Record],
    history: list[asyncpg.Record],
    starts_on: date,
    ends_on: date,
    now: datetime,
    zone: tzinfo,
) -> list[dict[str, Any]]:
    """At the end of each week (Sunday, company time) of the cycle up to now: the KRs defined
    by then, by their last recorded colour."""
    points = []
    week_end = starts_on + timedelta(days=6 - starts_on.weekday())
    while True:
        last_day = min(week_end, ends_on)
        cut = datetime.combine(last_day + timedelta(days=1), time(0), zone)
        moment = min(cut, now)
        colour: dict[str, str] = {}
        for change in history:
            if change["occurred_at"] < moment:
                colour[change["kr_id"]] = change["new_health"]
        point: dict[str, Any] = {"week_ending": last_day, "none": 0, **dict.fromkeys(COLOURS, 0)}
        for row in rows:
            if row["defined_at"] < moment:
                point[colour.get(row["kr_id"], "none")] += 1
        points.append(point)
        if cut >= now or last_day >= ends_on:
            return points
        week_end += timedelta(days=7)
