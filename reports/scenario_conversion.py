"""First-order conversion by selling scenario (the notes' campus scenario converting at 27 %):
per scenario, the leads and first orders that name it on the unit's subtree in a period of
business days, and first orders / leads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

_BY_SCENARIO = """
SELECT scenario, sum(leads)::int AS leads, sum(first_orders)::int AS first_orders
FROM sales_scenario_daily
WHERE unit_id = $1 AND day BETWEEN $2 AND $3
GROUP BY scenario ORDER BY scenario
"""


async def conversion_by_scenario(
    conn: asyncpg.Connection, unit_id: str, first: date, last: date
) -> list[dict[str, Any]]:
    rows = []
    for r in await conn.fetch(_BY_SCENARIO, unit_id, first, last):
        conversion = None
        if r["leads"]:
            conversion = (Decimal(r["first_orders"]) * 100 / r["leads"]).quantize(Decimal("0.01"))
        rows.append({**dict(r), "conversion_pct": conversion})
    return rows
