"""What the API and the CLI read of the OKR read models (queries in `sql/okr_reads.sql`): goals,
alignment, cycles, the snapshots a calibration agenda is built from, objective progress; and the
goal views the API records."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Literal

import asyncpg

from domain.focus import HeldObjective
from domain.health import expected_progress, kr_health
from domain.key_result.metrics import progress_percent
from projections.sales.kr_health import cycle_thresholds
from projections.sql_files import load_queries

SQL = load_queries("okr_reads")


async def alignment_of_person(conn: asyncpg.Connection, person_id: str) -> set[str]:
    return {r[0] for r in await conn.fetch(SQL["alignment_of_person"], person_id)}


async def kr_objectives(conn: asyncpg.Connection, kr_id: str) -> set[str]:
    return {r[0] for r in await conn.fetch(SQL["kr_objectives"], kr_id)}


async def key_result(conn: asyncpg.Connection, kr_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SQL["key_result"], kr_id)


async def objective_owner(conn: asyncpg.Connection, objective_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SQL["objective_owner"], objective_id)


async def objectives(
    conn: asyncpg.Connection, owner_person_id: str | None, cycle_id: str | None
) -> list[asyncpg.Record]:
    return await conn.fetch(SQL["objectives"], owner_person_id, cycle_id)


async def alignment_chain(conn: asyncpg.Connection, objective_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(SQL["alignment_chain"], objective_id)


async def north_star(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(SQL["north_star"])


async def cycles(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(SQL["cycles"])


async def person_name(conn: asyncpg.Connection, person_id: str) -> str | None:
    return await conn.fetchval(SQL["person_name"], person_id)


async def person_unit(conn: asyncpg.Connection, person_id: str) -> str | None:
    """The unit of a registered person (None: no such person)."""
    return await conn.fetchval(SQL["person_unit"], person_id)


async def record_goal_view(
    conn: asyncpg.Connection,
    person_id: str,
    role: str,
    unit_id: str | None,
    subject: Literal["key_result", "objective", "board"],
    subject_id: str,
    viewed_at: datetime | None = None,
) -> None:
    await conn.execute(
        SQL["record_goal_view"], person_id, role, unit_id, subject, subject_id, viewed_at
    )


@functools.lru_cache(maxsize=16)
def business_day(now: datetime, zone: tzinfo) -> date:
    """The company's day at `now` (worked out once per moment: a board reads 2,000 KRs)."""
    return now.astimezone(zone).date()


def kr_reading(
    r: Mapping[str, Any],
    now: datetime,
    zone: tzinfo,
    fallback_window: tuple[date, date] | None = None,
) -> dict[str, Any]:
    """One KR's progress with its provenance — auto (from sales), manual (the last check-in) or
    none yet — and when it was last updated, the pacing line's expected progress and health.
    The pacing line runs over the KR's own window, else its objective's cycle, else
    `fallback_window` (none: nothing is expected yet); its day is `now`'s in the company's
    `zone`, as the sales-fed KRs' health counts it."""
    if r["auto_pct"] is not None:
        progress, provenance, updated = r["auto_pct"], "auto", r["as_of"]
    elif r["progress_value"] is not None and r["kind"] is not None:
        progress = progress_percent(
            r["kind"], r["start_value"], r["target_value"], r["progress_value"]
        )
        provenance, updated = "manual", r["last_check_in_at"]
    else:
        progress, provenance, updated = Decimal(0), "none", None
    fallback_start, fallback_end = fallback_window or (None, None)
    window_start = r["window_start"] or r["starts_on"] or fallback_start
    window_end = r["window_end"] or r["ends_on"] or fallback_end
    expected = (
        expected_progress(window_start, window_end, business_day(now, zone), r["monthly_pacing"])
        if window_start and window_end
        else Decimal(0)
    )
    verdict = kr_health(
        progress,
        expected,
        updated,
        now,
        r["open_blocker"],
        cycle_thresholds(r),
        r["recorded_health"],  # the last alerted colour (sales-fed KRs): held by the hysteresis
    )
    return {
        "progress": progress,
        "provenance": provenance,
        "as_of": updated,
        "expected": expected,
        "health": verdict.health,
        "reasons": list(verdict.reasons),
    }


async def meeting_minutes(conn: asyncpg.Connection, meeting_id: str) -> dict[str, Any] | None:
    """A calibration meeting's minutes: when and for which unit, who scheduled and concluded
    it, its decisions and escalations, and what its outcomes changed (weights before/after,
    health verdicts); None if there is no such meeting."""
    meeting = await conn.fetchrow(SQL["meeting"], meeting_id)
    if meeting is None:
        return None
    minutes = dict(meeting)
    for field in ("decisions", "escalations"):
        minutes[field] = json.loads(minutes[field])
    minutes["changes"] = [
        {
            **dict(r),
            "before": None if r["before"] is None else json.loads(r["before"]),
            "after": json.loads(r["after"]),
        }
        for r in await conn.fetch(SQL["meeting_changes"], meeting_id)
    ]
    return minutes


async def health_verdicts(conn: asyncpg.Connection, kr_id: str) -> list[dict[str, Any]]:
    """The health calibration meetings gave the KR, oldest first."""
    return [dict(r) for r in await conn.fetch(SQL["health_verdicts"], kr_id)]


async def kr_comments(conn: asyncpg.Connection, kr_id: str) -> list[dict[str, Any]]:
    """The comments HQ and the owner's managers left on the KR, oldest first."""
    return [dict(r) for r in await conn.fetch(SQL["kr_comments"], kr_id)]


async def escalation_inbox(
    conn: asyncpg.Connection,
    person_id: str,
    unit_ids: list[str] | None,
    now: datetime,
    include_resolved: bool,
) -> list[dict[str, Any]]:
    """Escalations named to `person_id` or to one of `unit_ids` (None: every unit), soonest
    due first, each saying whether it is overdue at `now`."""
    rows = await conn.fetch(SQL["escalation_inbox"], person_id, unit_ids, now, include_resolved)
    return [dict(r) for r in rows]


async def cadences(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every unit's calibration rhythm."""
    return await conn.fetch(SQL["cadences"])


async def cycle_of_day(conn: asyncpg.Connection, day: date) -> str | None:
    """The defined cycle that day belongs to (a quarter before a month), if any."""
    return await conn.fetchval(SQL["cycle_of_day"], day)


async def meetings(conn: asyncpg.Connection, unit_ids: list[str] | None) -> list[dict[str, Any]]:
    """Calibration meetings of the units (None: all), the latest first (at most 200)."""
    return [dict(r) for r in await conn.fetch(SQL["meetings"], unit_ids)]


async def practices(
    conn: asyncpg.Connection,
    metric: str | None,
    unit_ids: list[str] | None,
    tag: str | None,
    words: str | None,
) -> list[dict[str, Any]]:
    """Practices matching every filter given, the latest first, with their adopters count."""
    rows = await conn.fetch(SQL["practices"], metric, unit_ids, tag, words)
    return [{**dict(r), "tags": json.loads(r["tags"])} for r in rows]


async def practice_with_adopters(
    conn: asyncpg.Connection, practice_id: str, zone: tzinfo
) -> dict[str, Any] | None:
    """The practice and each unit that adopted it, with the progress of the KR it named when it
    was adopted and now, both against the KR's current target (None where there is no figure
    yet): a KR fed by check-ins, its last check-in at the adoption moment; a KR fed by sales,
    its metric over its window through the adoption's business day (company time, `zone`).
    None if there is no practice."""
    from projections.reads.north_star import kr_values_through  # (it reads this module)

    practice = await conn.fetchrow(SQL["practice"], practice_id)
    if practice is None:
        return None
    adopters = []
    for row in await conn.fetch(SQL["practice_adoptions"], practice_id):
        adopter = dict(row)
        kr_id = row["kr_id"]
        around = kr_id and await conn.fetchrow(SQL["kr_progress_around"], kr_id, row["adopted_at"])
        if around:
            before, now = around["value_before"], around["value_now"]
            if around["pct_now"] is not None:  # fed by sales
                day = row["adopted_at"].astimezone(zone).date()
                (before,) = await kr_values_through(conn, kr_id, [day], zone)
            adopter["progress_before"] = _percent(around, before)
            adopter["progress_now"] = (
                around["pct_now"] if around["pct_now"] is not None else _percent(around, now)
            )
        adopters.append(adopter)
    return {**dict(practice), "tags": json.loads(practice["tags"]), "adopted_by": adopters}


def _percent(kr: asyncpg.Record, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return progress_percent(kr["kind"], kr["start_value"], kr["target_value"], value)


async def held_objectives(
    conn: asyncpg.Connection, unit_ids: list[str] | None, zone: str
) -> list[HeldObjective]:
    """Every objective owned in `unit_ids` (None: all) as the focus rule counts it, in the
    company's days (`zone`)."""
    return [
        HeldObjective(
            r["owner_person_id"],
            r["objective_id"],
            r["cycle_id"],
            (r["starts_on"], r["ends_on"]),
            r["defined_on"],
            r["closed_on"],
        )
        for r in await conn.fetch(SQL["held_objectives"], unit_ids, zone)
    ]


async def quarter(
    conn: asyncpg.Connection, cycle_id: str | None, today: date
) -> asyncpg.Record | None:
    """The cycle named, or the quarter `today` falls in."""
    if cycle_id is not None:
        return await conn.fetchrow(SQL["cycle"], cycle_id)
    return await conn.fetchrow(SQL["current_quarter"], today)


async def governance(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The regions HQ set a governance mode for."""
    return list(await conn.fetch(SQL["governance"]))


async def proposals(
    conn: asyncpg.Connection, unit_ids: list[str] | None, status: str | None
) -> list[dict[str, Any]]:
    """HRBP proposals for the units (None: all), of one status (None: any), the latest first."""
    rows = await conn.fetch(SQL["proposals"], unit_ids, status)
    return [{**dict(r), "definition": json.loads(r["definition"])} for r in rows]
