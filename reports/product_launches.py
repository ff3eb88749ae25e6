"""New products' first month against plan (the notes' new product 19 % over plan): each launch
of the catalogue, its first month (the launch day to the day before the same date a month
later, business days), the company's revenue and units of it then (sales minus refunds) and
revenue / plan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

_LAUNCHES = """
SELECT l.sku, l.launched_on, (l.launched_on + interval '1 month')::date - 1 AS first_month_ends,
       l.first_month_plan_minor,
       COALESCE(sum(r.revenue_minor), 0)::bigint AS revenue_minor,
       COALESCE(sum(r.units), 0)::bigint AS units
FROM product_launch l
LEFT JOIN sales_rollup_daily r
  ON r.unit_id = $1 AND r.sku = l.sku
 AND r.day BETWEEN l.launched_on AND (l.launched_on + interval '1 month')::date - 1
GROUP BY l.sku, l.launched_on, l.first_month_plan_minor
ORDER BY l.launched_on, l.sku
"""


async def launches(
    conn: asyncpg.Connection, company_unit: str, today: date
) -> list[dict[str, Any]]:
    """Every launch with its first month's figures for the company (`company_unit`: the org
    tree's root); `complete` once that month has ended by `today`."""
    rows = []
    for r in await conn.fetch(_LAUNCHES, company_unit):
        plan, revenue = r["first_month_plan_minor"], r["revenue_minor"]
        rows.append(
            {
                "sku": r["sku"],
                "launched_on": r["launched_on"],
                "first_month_ends": r["first_month_ends"],
                "complete": r["first_month_ends"] < today,
                "plan": Decimal(plan) / 100,
                "revenue": Decimal(revenue) / 100,
                "units": r["units"],
                "of_plan_pct": (Decimal(revenue) * 100 / plan).quantize(Decimal("0.01")),
            }
        )
    return rows
