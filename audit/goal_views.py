"""The field metric "goal views": how often people read their goals, per role and per week or
month (views per person = views / people of the role, or / distinct viewers when the people
directory is empty)."""

from __future__ import annotations

from typing import Any, Literal

import asyncpg

Period = Literal["week", "month"]

_REPORT = """
WITH v AS (
    SELECT date_trunc($1, viewed_at AT TIME ZONE $2)::date AS period, role, person_id
    FROM goal_view
)
SELECT v.period, v.role, count(*)::int AS views, count(DISTINCT v.person_id)::int AS viewers,
       (SELECT count(*) FROM person p WHERE p.role = v.role)::int AS people
FROM v GROUP BY v.period, v.role ORDER BY v.period, v.role
"""


async def goal_views(conn: asyncpg.Connection, period: Period, zone: str) -> list[dict[str, Any]]:
    rows = []
    for r in await conn.fetch(_REPORT, period, zone):
        people = r["people"] or r["viewers"]
        rows.append(
            {
                "period": r["period"].isoformat(),
                "role": r["role"],
                "views": r["views"],
                "viewers": r["viewers"],
                "people": people,
                "views_per_person": round(r["views"] / people, 2),
            }
        )
    return rows
