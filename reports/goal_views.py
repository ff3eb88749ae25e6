"""The field metric "goal views": how often people read their goals, per role and per week or
month. A view is a visit: a person's reads of one goal (a KR or an objective opened on its own,
or the board, which shows all of their goals on one page and counts once, not once per goal it
lists) with no gap over 30 minutes count once, so the board reloading after every check-in or
decision, or a page read twice, adds nothing. Views per person = views / people of the role (or
/ distinct viewers when the people directory has none of the role)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import asyncpg

from reports.render import Column, field

Period = Literal["week", "month"]
VISIT_GAP_MINUTES = 30

# The visits: each read that comes more than the gap after the same person's previous read of
# the same goal (or is the first) starts one.
VISITS = f"""
SELECT person_id, role, unit_id, subject, subject_id, viewed_at
FROM (
    SELECT person_id, role, unit_id, subject, subject_id, viewed_at,
           viewed_at - lag(viewed_at) OVER (
               PARTITION BY person_id, subject, subject_id ORDER BY viewed_at
           ) AS gap
    FROM goal_view
    WHERE viewed_at >= $1 AND viewed_at < $2
) r
WHERE gap IS NULL OR gap > interval '{VISIT_GAP_MINUTES} minutes'
"""

_REPORT = f"""
WITH visit AS ({VISITS}),
read AS (SELECT role, date_trunc($3, viewed_at AT TIME ZONE $4)::date AS period
         FROM goal_view WHERE viewed_at >= $1 AND viewed_at < $2),
v AS (SELECT date_trunc($3, viewed_at AT TIME ZONE $4)::date AS period, role, person_id
      FROM visit)
SELECT v.period, v.role, count(*)::int AS views, count(DISTINCT v.person_id)::int AS viewers,
       (SELECT count(*) FROM read r WHERE r.period = v.period AND r.role = v.role)::int AS reads,
       (SELECT count(*) FROM person p WHERE p.role = v.role)::int AS people
FROM v GROUP BY v.period, v.role ORDER BY v.period, v.role
"""

EVER = (datetime.fromisoformat("1970-01-01T00:00:00+00:00"),
        datetime.fromisoformat("9999-01-01T00:00:00+00:00"))  # fmt: skip


async def goal_views(
    conn: asyncpg.Connection,
    period: Period,
    zone: str,
    between: tuple[datetime, datetime] = EVER,
) -> list[dict[str, Any]]:
    rows = []
    for r in await conn.fetch(_REPORT, between[0], between[1], period, zone):
        people = r["people"] or r["viewers"]
        rows.append(
            {
                "period": r["period"].isoformat(),
                "role": r["role"],
                "views": r["views"],
                "reads": r["reads"],
                "viewers": r["viewers"],
                "people": people,
                "views_per_person": round(r["views"] / people, 2),
            }
        )
    return rows


# How `northstar reports views` shows a row (reports.render).
COLUMNS = (
    Column("period", field("period"), 10, "<"),
    Column("role", field("role"), 10, "<"),
    Column("views", field("views"), 7),
    Column("reads", field("reads"), 7),
    Column("viewers", field("viewers"), 8),
    Column("people", field("people"), 7),
    Column("per person", lambda r: f"{r['views_per_person']:.2f}", 11),
)
