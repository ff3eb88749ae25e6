"""Customer churn, as the field notes count it: the customers of a unit (anywhere in its
subtree, each counted once) who bought in one month and not in the next. A purchase counts
while its sale is not wholly refunded, in the month of the sale (company time) — the same
customer-month rows the repeat-buyer KRs read."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import asyncpg

from reports.render import Column, field, percent

_CHURN = """
WITH active AS (
    SELECT month, customer_id FROM sales_customer_month
    WHERE unit_id = $1 AND month = ANY($2::date[])
    GROUP BY month, customer_id HAVING sum(purchases) > 0
),
pairs AS (
    SELECT m AS month, (m - interval '1 month')::date AS previous FROM unnest($2::date[]) AS m
)
SELECT p.month, p.previous,
       (SELECT count(*) FROM active a WHERE a.month = p.previous)::int AS active_before,
       (SELECT count(*) FROM active a WHERE a.month = p.month)::int AS active_now,
       (SELECT count(*) FROM active a WHERE a.month = p.previous AND NOT EXISTS (
            SELECT 1 FROM active b WHERE b.month = p.month AND b.customer_id = a.customer_id
        ))::int AS churned,
       (SELECT count(*) FROM active a WHERE a.month = p.month AND NOT EXISTS (
            SELECT 1 FROM active b WHERE b.month = p.previous AND b.customer_id = a.customer_id
        ))::int AS gained
FROM pairs p WHERE p.month <> $3 ORDER BY p.month
"""


MONTH = r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$"  # YYYY-MM, 1970-01 .. 2999-12


def parse_month(text: str) -> date:
    """`YYYY-MM` -> its first day; ValueError naming the expected form."""
    if not re.fullmatch(MONTH, text):
        raise ValueError(f"{text!r} is not a month: YYYY-MM, from 1970-01 to 2999-12")
    return date.fromisoformat(f"{text}-01")


def months_between(first: date, last: date) -> list[date]:
    """The first days of the months from `first`'s to `last`'s, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


async def churn(
    conn: asyncpg.Connection, unit_id: str, first: date, last: date
) -> list[dict[str, Any]]:
    """For each month from `first`'s to `last`'s: customers active the month before, active
    this month, lost (churned) and new; the churn rate = lost / active the month before."""
    months = months_between(first, last)
    before = date(months[0].year - (months[0].month == 1), (months[0].month - 2) % 12 + 1, 1)
    rows = await conn.fetch(_CHURN, unit_id, [before, *months], before)
    return [
        {
            "month": r["month"].isoformat()[:7],
            "active_before": r["active_before"],
            "active_now": r["active_now"],
            "churned": r["churned"],
            "gained": r["gained"],
            "churn_rate": round(r["churned"] / r["active_before"], 4)
            if r["active_before"]
            else None,
        }
        for r in rows
    ]


# How `northstar reports churn` shows a row (reports.render).
COLUMNS = (
    Column("month", field("month"), 8, "<"),
    Column("before", field("active_before"), 7),
    Column("now", field("active_now"), 7),
    Column("lost", field("churned"), 6),
    Column("new", field("gained"), 6),
    Column("churn", lambda r: percent(r["churn_rate"]), 7),
)
