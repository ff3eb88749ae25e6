"""Adoption analytics, from what people did (the events and the reads), never from a
simulator's settings: check-in usage (the share of KR owners who checked in within the
cadence), goal views (visits, see `reports.goal_views`) per person, the burden of each form, and a
before/after comparison of two periods with 95 % confidence intervals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from audit.history import HistoryFilter, target_change_history
from domain.adoption import Interval, form_burden, mean_interval, wilson_interval
from reports.goal_views import VISITS
from reports.response_times import compare_periods

# Per week (Monday, company time) and owner: whether they checked in on a KR they own within
# the cadence ending with that week. An owner is expected in a week when they own a KR of an
# objective that is not dropped, whose cycle overlaps the week, defined before the week ended.
_CHECK_IN_USAGE = """
WITH week AS (
    SELECT w::date AS starts_on
    FROM generate_series(date_trunc('week', $1::timestamptz AT TIME ZONE $3),
                         $2::timestamptz AT TIME ZONE $3 - interval '1 microsecond',
                         interval '1 week') AS w
),
expected AS (
    SELECT DISTINCT w.starts_on, k.owner_person_id AS person_id
    FROM week w
    JOIN okr_key_result k ON k.defined_at < ((w.starts_on + 7)::timestamp AT TIME ZONE $3)
    JOIN okr_kr_weight kw ON kw.kr_id = k.kr_id
    JOIN okr_objective o ON o.objective_id = kw.objective_id AND o.status <> 'dropped'
    JOIN okr_cycle c ON c.cycle_id = o.cycle_id
     AND c.starts_on < w.starts_on + 7 AND c.ends_on >= w.starts_on
),
checked AS (
    SELECT DISTINCT e.starts_on, e.person_id
    FROM expected e
    JOIN okr_key_result k ON k.owner_person_id = e.person_id
    JOIN okr_check_in ci ON ci.kr_id = k.kr_id AND ci.reported_by = e.person_id
     AND ci.reported_at < ((e.starts_on + 7)::timestamp AT TIME ZONE $3)
     AND ci.reported_at >= ((e.starts_on + 7 - $4::int)::timestamp AT TIME ZONE $3)
)
SELECT e.starts_on, e.person_id, COALESCE(p.role, 'unknown') AS role,
       COALESCE(p.unit_id, '(unknown)') AS unit_id, c.person_id IS NOT NULL AS checked_in
FROM expected e
LEFT JOIN checked c USING (starts_on, person_id)
LEFT JOIN person p USING (person_id)
ORDER BY e.starts_on, e.person_id
"""

# Visits per person of the directory (people who never looked count with 0), for a period.
_VISITS_PER_PERSON = f"""
WITH visit AS ({VISITS})
SELECT p.person_id, p.role, count(v.person_id)::int AS visits
FROM person p LEFT JOIN visit v ON v.person_id = p.person_id
GROUP BY p.person_id, p.role
"""


async def check_in_usage(
    conn: asyncpg.Connection,
    between: tuple[datetime, datetime],
    zone: str,
    cadence_days: int = 7,
) -> list[dict[str, Any]]:
    """One row per week and owner: `checked_in` within the `cadence_days` ending that week."""
    rows = await conn.fetch(_CHECK_IN_USAGE, between[0], between[1], zone, cadence_days)
    return [dict(r) for r in rows]


def usage_by(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """Check-in usage per week and `keys` (role, unit_id): owners, who checked in, the share
    with its 95 % interval."""
    groups: dict[tuple, list[bool]] = defaultdict(list)
    for row in rows:
        groups[(row["starts_on"], *(row[k] for k in keys))].append(row["checked_in"])
    report = []
    for (week, *values), marks in sorted(groups.items()):
        share = wilson_interval(sum(marks), len(marks))
        report.append(
            {
                "week": week.isoformat(),
                **dict(zip(keys, values, strict=True)),
                "owners": len(marks),
                "checked_in": sum(marks),
                "usage": asdict(share),
            }
        )
    return report


async def period_figures(
    conn: asyncpg.Connection, between: tuple[datetime, datetime], zone: str, cadence_days: int
) -> dict[str, Any]:
    """A period's check-in usage (all owner-weeks pooled) and goal views per person per week,
    each with its 95 % interval, per role and in all."""
    usage = await check_in_usage(conn, between, zone, cadence_days)
    weeks = max((between[1] - between[0]).total_seconds() / (7 * 86400), 1e-9)
    visits = await conn.fetch(_VISITS_PER_PERSON, between[0], between[1])

    def usage_of(role: str | None) -> Interval:
        marks = [r["checked_in"] for r in usage if role is None or r["role"] == role]
        return wilson_interval(sum(marks), len(marks))

    def views_of(role: str | None) -> Interval:
        rates = [r["visits"] / weeks for r in visits if role is None or r["role"] == role]
        return mean_interval(rates)

    return {
        "from": between[0].isoformat(),
        "to": between[1].isoformat(),
        "weeks": round(weeks, 2),
        "check_in_usage": {
            "all": asdict(usage_of(None)),
            **{role: asdict(usage_of(role)) for role in sorted({r["role"] for r in usage})},
        },
        "views_per_person_per_week": {
            "all": asdict(views_of(None)),
            **{role: asdict(views_of(role)) for role in sorted({r["role"] for r in visits})},
        },
    }


async def adoption_report(
    conn: asyncpg.Connection,
    between: tuple[datetime, datetime],
    zone: str,
    cadence_days: int = 7,
    compare: tuple[tuple[datetime, datetime], tuple[datetime, datetime]] | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Check-in usage per week by role and by unit, the forms' burden; with `compare`, the two
    periods' check-in usage and goal views side by side, and their target-adjustment response
    times as known at `as_of` (default: the end of the later period)."""
    rows = await check_in_usage(conn, between, zone, cadence_days)
    report: dict[str, Any] = {
        "from": between[0].isoformat(),
        "to": between[1].isoformat(),
        "cadence_days": cadence_days,
        "check_in_usage": {
            "by_role": usage_by(rows, "role"),
            "by_unit": usage_by(rows, "unit_id"),
        },
        "forms": form_burden(),
    }
    if compare is not None:
        report.update(await before_and_after_figures(conn, compare, zone, cadence_days, as_of))
    return report


async def before_and_after_figures(
    conn: asyncpg.Connection,
    compare: tuple[tuple[datetime, datetime], tuple[datetime, datetime]],
    zone: str,
    cadence_days: int = 7,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """`before` and `after`: each period's check-in usage and goal views (`period_figures`);
    `response_times`: both periods' target-adjustment response times as known at `as_of`
    (default: the end of the later period)."""
    changes = await target_change_history(conn, HistoryFilter())
    return {
        "before": await period_figures(conn, compare[0], zone, cadence_days),
        "after": await period_figures(conn, compare[1], zone, cadence_days),
        "response_times": compare_periods(changes, compare[0], compare[1], as_of or compare[1][1]),
    }


def default_weeks(now: datetime) -> tuple[datetime, datetime]:
    """The twelve weeks up to `now`."""
    return now - timedelta(weeks=12), now
