"""Response-time analytics of target adjustments: request -> decision and request -> applied,
by region, cycle or month, and a before/after comparison of two periods. Requests still open
when measured (`as_of`) count as censored observations (Kaplan-Meier), never left out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Literal

import asyncpg

from domain.key_result.state import TargetChange
from domain.response_times import Survival, Waited, change_ratio, survival
from reports.render import Column, field, hours

Grouping = Literal["all", "region", "cycle", "month"]


@dataclass(frozen=True)
class GroupTimes:
    group: str
    to_decision: Survival
    to_applied: Survival

    def document(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "hours_to_decision": asdict(self.to_decision),
            "hours_to_applied": asdict(self.to_applied),
        }


def waited(changes: list[TargetChange], step: str, as_of: datetime) -> list[Waited]:
    """Each request's wait for its decision, or for its new target to apply (rejected and
    withdrawn requests never apply: they are left out of that one), as known at `as_of`: a step
    after `as_of` has not come yet; requests made after it are not counted. HQ's redefinitions
    answer no request and are not counted."""
    observations = []
    for change in changes:
        if change.requested_at > as_of or change.kind == "redefinition":
            continue
        closed = change.decided_at is not None and change.decided_at <= as_of
        if step == "applied" and closed and change.decision in ("rejected", "cancelled"):
            continue
        at = change.decided_at if step == "decision" else change.applied_at
        end = at if at is not None and at <= as_of else as_of
        observations.append(Waited((end - change.requested_at).total_seconds() / 3600, end == at))
    return observations


def _times(name: str, members: list[TargetChange], as_of: datetime) -> GroupTimes:
    return GroupTimes(
        name,
        survival(waited(members, "decision", as_of)),
        survival(waited(members, "applied", as_of)),
    )


def group_times(
    changes: list[TargetChange], key: Callable[[TargetChange], str], as_of: datetime
) -> list[GroupTimes]:
    groups: dict[str, list[TargetChange]] = defaultdict(list)
    for change in changes:
        if change.requested_at <= as_of:
            groups[key(change)].append(change)
    return [_times(name, members, as_of) for name, members in sorted(groups.items())]


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
    as_of: datetime,
) -> dict[str, Any]:
    """Stats of the requests made in each period (as known at `as_of`), and the relative
    change after vs before."""

    def within(period: tuple[datetime, datetime]) -> list[TargetChange]:
        return [c for c in changes if period[0] <= c.requested_at < period[1]]

    first = _times("before", within(before), as_of)
    second = _times("after", within(after), as_of)
    return {
        "as_of": as_of.isoformat(),
        "before": {"from": before[0].isoformat(), "to": before[1].isoformat(), **first.document()},
        "after": {"from": after[0].isoformat(), "to": after[1].isoformat(), **second.document()},
        "change": {
            f"{step}_{stat}": change_ratio(
                getattr(getattr(first, step), stat), getattr(getattr(second, step), stat)
            )
            for step in ("to_decision", "to_applied")
            for stat in ("median", "p90", "mean_of_done")
        },
    }


# How `northstar reports response-times` shows a group (reports.render).
COLUMNS = (
    Column("group", field("group"), 16, "<"),
    Column("n", lambda r: r["hours_to_decision"]["count"], 5),
    Column("open", lambda r: r["hours_to_decision"]["still_open"], 5),
    Column("median h->decided", lambda r: hours(r["hours_to_decision"]["median"]), 18),
    Column("p90", lambda r: hours(r["hours_to_decision"]["p90"]), 8),
    Column("mean done", lambda r: hours(r["hours_to_decision"]["mean_of_done"]), 9),
    Column("open", lambda r: r["hours_to_applied"]["still_open"], 5),
    Column("median h->applied", lambda r: hours(r["hours_to_applied"]["median"]), 18),
    Column("p90", lambda r: hours(r["hours_to_applied"]["p90"]), 8),
)
