"""Response-time analytics of target adjustments: request -> decision and request -> applied,
by region, cycle or month, and a before/after comparison of two periods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Literal

import asyncpg

from domain.key_result.state import TargetChange
from domain.response_times import Summary, change_ratio, summarize

Grouping = Literal["all", "region", "cycle", "month"]


@dataclass(frozen=True)
class GroupTimes:
    group: str
    to_decision: Summary
    to_applied: Summary

    def document(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "hours_to_decision": asdict(self.to_decision),
            "hours_to_applied": asdict(self.to_applied),
        }


def _hours(changes: list[TargetChange], step: str) -> list[float]:
    deltas = [c.to_decision if step == "decision" else c.to_applied for c in changes]
    return [d.total_seconds() / 3600 for d in deltas if d is not None]


def group_times(
    changes: list[TargetChange], key: Callable[[TargetChange], str]
) -> list[GroupTimes]:
    groups: dict[str, list[TargetChange]] = defaultdict(list)
    for change in changes:
        groups[key(change)].append(change)
    return [
        GroupTimes(
            name, summarize(_hours(members, "decision")), summarize(_hours(members, "applied"))
        )
        for name, members in sorted(groups.items())
    ]


async def grouping_key(
    conn: asyncpg.Connection, by: Grouping, zone: tzinfo
) -> Callable[[TargetChange], str]:
    """How a change is assigned to a group: the owner's region, the cycle containing the
    request day (the shortest one), or the request's calendar month in the company's zone."""
    if by == "all":
        return lambda change: "all"
    if by == "month":
        return lambda change: change.requested_at.astimezone(zone).strftime("%Y-%m")
    if by == "region":
        parents = {
            r["id"]: (r["parent_id"], r["level"])
            for r in await conn.fetch("SELECT id, parent_id, level FROM org_unit")
        }
        owners = dict(await conn.fetch("SELECT kr_id, owner_unit_id FROM okr_key_result"))

        def region_of(change: TargetChange) -> str:
            unit = owners.get(change.kr_id)
            while unit is not None and parents.get(unit, (None, None))[1] != "region":
                unit = parents.get(unit, (None, None))[0]
            return unit or "(no region)"

        return region_of
    cycles = [
        (r["cycle_id"], r["starts_on"], r["ends_on"])
        for r in await conn.fetch(
            "SELECT cycle_id, starts_on, ends_on FROM okr_cycle ORDER BY ends_on - starts_on"
        )
    ]

    def cycle_of(change: TargetChange) -> str:
        day: date = change.requested_at.astimezone(zone).date()
        return next((c for c, start, end in cycles if start <= day <= end), "(no cycle)")

    return cycle_of


def compare_periods(
    changes: list[TargetChange],
    before: tuple[datetime, datetime],
    after: tuple[datetime, datetime],
) -> dict[str, Any]:
    """Stats of the requests made in each period, and the relative change after vs before."""

    def within(period: tuple[datetime, datetime]) -> list[TargetChange]:
        return [c for c in changes if period[0] <= c.requested_at < period[1]]

    (first,) = group_times(within(before), lambda _: "before") or [
        GroupTimes("before", summarize([]), summarize([]))
    ]
    (second,) = group_times(within(after), lambda _: "after") or [
        GroupTimes("after", summarize([]), summarize([]))
    ]
    return {
        "before": {"from": before[0].isoformat(), "to": before[1].isoformat(), **first.document()},
        "after": {"from": after[0].isoformat(), "to": after[1].isoformat(), **second.document()},
        "change": {
            f"{step}_{stat}": change_ratio(
                getattr(getattr(first, step), stat), getattr(getattr(second, step), stat)
            )
            for step in ("to_decision", "to_applied")
            for stat in ("median", "mean", "p90")
        },
    }
