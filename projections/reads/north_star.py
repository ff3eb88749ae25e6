"""The north star as the board's banner shows it: HQ's metric and target; the number of HQ's
objectives aligned to it (`domain.objective_scores`); and — when HQ named the KR that measures
it — that KR's live value, the value as a share of the target, and its weekly trend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import asyncpg

from domain.key_result.metrics import (
    ADDITIVE_TOTALS,
    CUSTOMER_METRICS,
    MetricTotals,
    WindowSpec,
    metric_value,
)
from domain.objectives import NORTH_STAR_PARENT
from projections.reads.objective_scores import with_contributors
from projections.sql_files import load_queries

SQL = load_queries("kr_progress")
TREND_WEEKS = 6
FRESH_FOR = timedelta(seconds=15)  # the banner is company-wide: one reading serves every viewer

_STAR = """
SELECT s.metric, s.target, s.unit, s.comparison, s.owner_person_id, s.set_at, s.measured_by,
       k.title AS kr_title, k.kind, k.start_value, k.target_value
FROM okr_north_star s LEFT JOIN okr_key_result k ON k.kr_id = s.measured_by
ORDER BY s.set_at DESC LIMIT 1
"""
_BOUND = "SELECT * FROM key_result WHERE id = $1"
_CHECK_INS = """
SELECT d.day, (SELECT progress_value FROM okr_check_in c
               WHERE c.kr_id = $1 AND (c.reported_at AT TIME ZONE $3)::date <= d.day
               ORDER BY c.reported_at DESC LIMIT 1) AS value
FROM unnest($2::date[]) WITH ORDINALITY AS d (day, n) ORDER BY d.n
"""


async def north_star(
    conn: asyncpg.Connection, now: datetime, zone: tzinfo
) -> dict[str, Any] | None:
    """The north star HQ set last (None when none is), with `objectives` — the star's number
    from the objectives aligned to it, and theirs — and `live` — the measuring KR's value today,
    `of_target_pct` and `trend`, its value at the end of each of the last weeks (up to today) —
    when HQ named that KR (whose target is then the star's)."""
    row = await conn.fetchrow(_STAR)
    if row is None:
        return None
    star = {k: row[k] for k in ("metric", "target", "unit", "comparison", "owner_person_id")}
    star.update(set_at=row["set_at"], measured_by=row["measured_by"], live=None)
    objectives = await with_contributors(conn, NORTH_STAR_PARENT, now, zone)
    star["objectives"] = {
        **{k: objectives[k] for k in ("progress", "health", "basis")},
        "from": [
            {k: c[k] for k in ("objective_id", "weight", "progress", "health")}
            for c in objectives["contributors"]
        ],
    }
    if row["measured_by"] is None or row["kind"] is None:
        return star
    star["target"] = row["target_value"]  # one value: the measuring KR's (the decider's rule)
    today = now.astimezone(zone).date()
    days = [today - timedelta(weeks=w) for w in range(TREND_WEEKS - 1, -1, -1)]
    values = await kr_values_through(conn, row["measured_by"], days, zone)
    current = values[-1]
    star["live"] = {
        "kr_id": row["measured_by"],
        "kr_title": row["kr_title"],
        "value": current,
        "of_target_pct": of_target(current, row["target_value"]),
        "trend": [{"day": d, "value": v} for d, v in zip(days, values, strict=True)],
    }
    return star


def of_target(value: Decimal | None, target: Decimal) -> Decimal | None:
    """The star's value as a percentage of its target (what "1,477 of 12,000" reads as: 12.3 %),
    whatever the measuring KR's kind (a `stay_above` KR scores only 0 or 100)."""
    if value is None or target == 0:
        return None
    return (value * 100 / target).quantize(Decimal("0.1"))


class NorthStarBanner:
    """The north star as `north_star` reads it, read again at most every `FRESH_FOR` (every
    viewer's board shows the same banner; at 200 boards a second it is read about once)."""

    def __init__(self) -> None:
        self._read_at: datetime | None = None
        self._star: dict[str, Any] | None = None

    async def current(
        self, conn: asyncpg.Connection, now: datetime, zone: tzinfo
    ) -> dict[str, Any] | None:
        if self._read_at is None or not (self._read_at <= now < self._read_at + FRESH_FOR):
            self._star = await north_star(conn, now, zone)
            self._read_at = now
        return self._star


async def kr_values_through(
    conn: asyncpg.Connection, kr_id: str, days: Sequence[date], zone: tzinfo
) -> list[Decimal | None]:
    """The KR's value counting what was known up to each of `days`: for a KR bound to sales,
    its metric over its window cut at that day; otherwise its last check-in by then."""
    kr = await conn.fetchrow(_BOUND, kr_id)
    if kr is None:
        rows = await conn.fetch(_CHECK_INS, kr_id, list(days), str(zone))
        return [r["value"] for r in rows]
    spec = WindowSpec(kr["window_kind"], kr["window_start"], kr["window_end"], kr["rolling_days"])
    windows = [spec.effective(day) for day in days]
    starts = [first for first, _ in windows]
    ends = [min(last, day) for (_, last), day in zip(windows, days, strict=True)]
    ids = [kr_id] * len(days)
    if kr["metric"] in CUSTOMER_METRICS:
        months = [spec.repeat_month(day) for day in days]
        rows = await conn.fetch(SQL["customer_counts"], ids, starts, ends, months)
        totals = [
            MetricTotals(
                distinct_customers=r["distinct_customers"],
                repeat_buyers=r["repeat_buyers"],
                premium_repeat_buyers=r["premium_repeat_buyers"],
                high_value_customers=r["high_value_customers"],
            )
            for r in rows
        ]
    else:
        rows = await conn.fetch(SQL["window_sums"], ids, starts, ends)
        totals = [MetricTotals(*(r[name] for name in ADDITIVE_TOTALS)) for r in rows]
    return [metric_value(kr["metric"], t) for t in totals]
