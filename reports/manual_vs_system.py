"""Manual versus system (the field notes' 18 % manual aggregation error): for each check-in on
a KR bound to sales, what the person reported against what the sales say the KR stood at that
day (its metric over its window, cut at the check-in's business day in company time):
|reported - computed| / computed. Check-ins while the computed value is 0 have no relative
error and are counted apart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

import asyncpg

from domain.response_times import percentile
from projections.reads.north_star import kr_values_through
from reports.render import Column, field, percent

_CHECK_INS = """
SELECT c.kr_id, c.progress_value, c.reported_at, c.reported_by, k.owner_unit_id,
       k.owner_person_id
FROM okr_check_in c
JOIN okr_key_result k ON k.kr_id = c.kr_id
JOIN key_result b ON b.id = c.kr_id
WHERE c.reported_at >= $1 AND c.reported_at < $2
ORDER BY c.kr_id, c.reported_at
"""


async def manual_vs_system(
    conn: asyncpg.Connection, between: tuple[datetime, datetime], zone: tzinfo
) -> dict[str, Any]:
    """Every check-in on a sales-bound KR made in `between`, with its computed value and
    relative error; their distribution in all, per owner unit and per person reporting."""
    rows = await conn.fetch(_CHECK_INS, between[0], between[1])
    by_kr: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        by_kr[row["kr_id"]].append(row)
    check_ins = []
    for kr_id, reports in by_kr.items():
        days = [r["reported_at"].astimezone(zone).date() for r in reports]
        computed = await kr_values_through(conn, kr_id, days, zone)
        for report, day, value in zip(reports, days, computed, strict=True):
            error = None
            if value:
                error = abs(report["progress_value"] - value) / value
            check_ins.append(
                {
                    "kr_id": kr_id,
                    "day": day,
                    "reported_by": report["reported_by"],
                    "owner_unit_id": report["owner_unit_id"],
                    "reported": report["progress_value"],
                    "computed": value,
                    "relative_error": None if error is None else round(error, 4),
                }
            )
    return {
        "from": between[0],
        "to": between[1],
        "all": distribution(check_ins),
        "by_unit": _grouped(check_ins, "owner_unit_id"),
        "by_person": _grouped(check_ins, "reported_by"),
        "check_ins": check_ins,
    }


def distribution(check_ins: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """How many check-ins, how many had no computed value to compare with, and the relative
    errors' median, p90 (nearest rank), mean and the share within 5 %."""
    listed = list(check_ins)
    errors = sorted(Decimal(c["relative_error"]) for c in listed if c["relative_error"] is not None)
    if not errors:
        return {"check_ins": len(listed), "without_computed": len(listed), "median": None,
                "p90": None, "mean": None, "within_5_percent": None}  # fmt: skip
    return {
        "check_ins": len(listed),
        "without_computed": len(listed) - len(errors),
        "median": percentile(errors, 0.5),
        "p90": percentile(errors, 0.9),
        "mean": round(sum(errors) / len(errors), 4),
        "within_5_percent": round(sum(1 for e in errors if e <= Decimal("0.05")) / len(errors), 4),
    }


def _grouped(check_ins: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for check_in in check_ins:
        groups[check_in[key]].append(check_in)
    return [{key: name, **distribution(members)} for name, members in sorted(groups.items())]


# How `northstar reports manual-vs-system` shows its groups (reports.render): all, then units.
COLUMNS = (
    Column("", field("group"), 24, "<"),
    Column("check-ins", field("check_ins"), 9),
    Column("no value", field("without_computed"), 8),
    Column("median", lambda r: percent(r["median"]), 8),
    Column("p90", lambda r: percent(r["p90"]), 8),
    Column("mean", lambda r: percent(r["mean"]), 8),
)


def table_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's groups as rows: all, then each owner unit."""
    return [{"group": "all", **report["all"]}] + [
        {"group": f"unit {r['owner_unit_id']}", **r} for r in report["by_unit"]
    ]
