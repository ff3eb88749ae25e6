"""The board's read: one person's goals, the chain they align to, their team's KRs and the
adjustment requests waiting for their decision, in a handful of set-based queries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from domain.access import SEES_THEIR_SUBTREE
from domain.calibration import AgendaItem, KrSnapshot, ObjectiveSnapshot, calibration_agenda
from domain.focus import cleanup_tasks
from domain.kernel import Actor
from domain.key_result.decide import decision_refusal
from domain.org_tree import OrgTree
from projections.reads import okr_reads
from projections.reads.north_star import NorthStarBanner
from projections.reads.objective_scores import scored_objectives, scores
from projections.reads.okr_reads import kr_reading

# Every KR the viewer may see on the board, with what its reading needs. $1: everything
# (HQ, auditors); $2: the viewer; $3: the units whose KRs are theirs or their team's;
# $4: the objectives on the viewer's chain (their KRs are shown with the chain).
BOARD_KRS = """
WITH w AS (  -- one pass over the weights (a lateral per KR was planned as a scan per KR)
    SELECT kr_id, array_agg(objective_id ORDER BY objective_id) AS objective_ids,
           min(objective_id) AS first_objective
    FROM okr_kr_weight GROUP BY kr_id
)
SELECT k.kr_id, k.title, k.owner_person_id, coalesce(pe.name, k.owner_person_id) AS owner_name,
       k.owner_unit_id, k.kind, k.unit, k.start_value, k.target_value, k.open_request_id,
       k.open_blocker, k.last_check_in_at, c.progress_value, p.actual, p.progress_pct AS auto_pct,
       p.as_of, b.window_start, b.window_end, b.monthly_pacing, w.objective_ids, cy.starts_on,
       cy.ends_on, cy.green_max_gap, cy.amber_max_gap, cy.hysteresis_points, a.proposed_target,
       a.reason, a.requested_by, a.requested_at, a.evidence, o.cycle_id, k.defined_at,
       coalesce(h.health, mh.health) AS recorded_health
FROM okr_key_result k
LEFT JOIN person pe ON pe.person_id = k.owner_person_id
LEFT JOIN LATERAL (
    SELECT progress_value FROM okr_check_in
    WHERE kr_id = k.kr_id ORDER BY reported_at DESC LIMIT 1
) c ON true
LEFT JOIN kr_progress p ON p.kr_id = k.kr_id
LEFT JOIN kr_health h ON h.kr_id = k.kr_id
LEFT JOIN okr_kr_health mh ON mh.kr_id = k.kr_id
LEFT JOIN key_result b ON b.id = k.kr_id
LEFT JOIN w ON w.kr_id = k.kr_id
LEFT JOIN okr_objective o ON o.objective_id = w.first_objective
LEFT JOIN okr_cycle cy ON cy.cycle_id = o.cycle_id
LEFT JOIN okr_adjustment a ON a.kr_id = k.kr_id AND a.request_id = k.open_request_id
WHERE $1 OR k.owner_person_id = $2 OR k.owner_unit_id = ANY($3::text[])
   OR k.kr_id IN (SELECT kr_id FROM okr_kr_weight WHERE objective_id = ANY($4::text[]))
ORDER BY k.owner_unit_id, k.kr_id
"""

_OBJECTIVES = """
SELECT o.objective_id, o.title, o.owner_person_id, o.owner_unit_id, o.cycle_id, o.status,
       (SELECT c.ends_on FROM okr_cycle c WHERE c.cycle_id = o.cycle_id) AS cycle_ends_on,
       coalesce((SELECT json_agg(a.parent_id ORDER BY a.parent_id) FROM okr_alignment a
                 WHERE a.child_id = o.objective_id)::text, '[]') AS parents,
       coalesce((SELECT json_object_agg(w.kr_id, w.weight) FROM okr_kr_weight w
                 WHERE w.objective_id = o.objective_id)::text, '{}') AS kr_weights
FROM okr_objective o
WHERE $4 OR o.owner_person_id = $1 OR o.owner_unit_id = ANY($3::text[])
   OR o.objective_id = ANY($2::text[])
ORDER BY o.objective_id
"""


@dataclass(frozen=True)
class Viewer:
    person_id: str
    role: str
    unit_id: str
    sees_everything: bool
    chain: frozenset[str]  # the objectives the viewer's goals align to, up to the north star


async def board(
    conn: asyncpg.Connection,
    viewer: Viewer,
    org: OrgTree,
    now: datetime,
    zone: tzinfo,
    star: NorthStarBanner,
) -> dict[str, Any]:
    """The board document: the viewer, the north star, the current cycle, the viewer's
    objectives and their chain, every KR in the viewer's scope with its reading, the inbox."""
    team_units = _team_units(viewer, org)
    kr_rows = await conn.fetch(
        BOARD_KRS,
        viewer.sees_everything,
        viewer.person_id,
        sorted(team_units),
        sorted(viewer.chain),
    )
    today = now.astimezone(zone).date()
    readings = {r["kr_id"]: kr_reading(r, now, zone) for r in kr_rows}
    krs = [_kr_document(r, readings[r["kr_id"]], viewer, today) for r in kr_rows]
    objectives = []
    rows = await conn.fetch(
        _OBJECTIVES,
        viewer.person_id,
        sorted(viewer.chain),
        sorted(team_units),
        viewer.sees_everything,
    )
    scored, _ = await scores(conn, [o["objective_id"] for o in rows], now, zone)
    for o in rows:
        weights = {k: Decimal(str(v)) for k, v in json.loads(o["kr_weights"]).items()}
        score = scored[o["objective_id"]]
        objectives.append(
            {
                "objective_id": o["objective_id"],
                "title": o["title"],
                "owner_person_id": o["owner_person_id"],
                "owner_unit_id": o["owner_unit_id"],
                "cycle_id": o["cycle_id"],
                "status": o["status"],
                # a past cycle's objective: shown apart, as the cleanup rule says (to close)
                "cycle_over": _over(o["cycle_ends_on"], today),
                "parents": json.loads(o["parents"]),
                "kr_ids": sorted(weights),
                "kr_weights": weights,
                "progress": score.progress,
                "health": score.health,
                "basis": score.basis,
                "mine": o["objective_id"] not in viewer.chain
                and (
                    o["owner_person_id"] == viewer.person_id or o["owner_unit_id"] == viewer.unit_id
                ),
            }
        )
    actor = Actor(person_id=viewer.person_id, role=viewer.role, unit_id=viewer.unit_id)  # type: ignore[arg-type]
    inbox = [_inbox_item(r) for r in kr_rows if _awaits_decision_by(actor, r, org)]
    return {
        "north_star": await star.current(conn, now, zone),
        "cycle": await current_cycle(conn, today),
        "objectives": objectives,
        "krs": krs,
        "inbox": inbox,
        "unit_parents": {
            u: org.units[u].parent_id
            for u in (org.units if viewer.sees_everything else team_units | {viewer.unit_id})
            if u in org.units
        },
        "as_of": now,
    }


def _team_units(viewer: Viewer, org: OrgTree) -> frozenset[str]:
    """The viewer's own unit, and for managers every unit below it."""
    if viewer.role in SEES_THEIR_SUBTREE and viewer.unit_id in org.units:
        return org.subtree(viewer.unit_id)
    return frozenset({viewer.unit_id})


def _over(ends_on: date | None, today: date) -> bool:
    return ends_on is not None and ends_on < today


def _kr_document(
    r: asyncpg.Record, reading: dict[str, Any], viewer: Viewer, today: date
) -> dict[str, Any]:
    if r["owner_person_id"] == viewer.person_id or r["owner_unit_id"] == viewer.unit_id:
        relation = "mine"
    elif set(r["objective_ids"] or ()) & viewer.chain:
        relation = "chain"
    else:
        relation = "team"
    current = r["actual"] if reading["provenance"] == "auto" else r["progress_value"]
    return {
        "kr_id": r["kr_id"],
        "title": r["title"],
        "owner_person_id": r["owner_person_id"],
        "owner_name": r["owner_name"],
        "owner_unit_id": r["owner_unit_id"],
        "kind": r["kind"],
        "unit": r["unit"],
        "start": r["start_value"],
        "target": r["target_value"],
        "current": current,
        "objective_ids": list(r["objective_ids"] or ()),
        "open_blocker": r["open_blocker"],
        "open_request_id": r["open_request_id"],
        "relation": relation,
        "cycle_over": _over(r["ends_on"], today),  # of its (first) objective's cycle
        **reading,
    }


def _awaits_decision_by(actor: Actor, r: asyncpg.Record, org: OrgTree) -> bool:
    """An open request the viewer may approve or reject (the domain's own rule)."""
    if r["open_request_id"] is None or r["requested_by"] is None:
        return False
    owner = (r["owner_person_id"], r["owner_unit_id"])
    return decision_refusal(actor, *owner, r["requested_by"], org) is None


def _inbox_item(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "kr_id": r["kr_id"],
        "title": r["title"],
        "owner_name": r["owner_name"],
        "request_id": r["open_request_id"],
        "current_target": r["target_value"],
        "proposed_target": r["proposed_target"],
        "reason": r["reason"],
        "requested_by": r["requested_by"],
        "requested_at": r["requested_at"],
    }


async def current_cycle(conn: asyncpg.Connection, today: date) -> dict[str, Any] | None:
    """The cycle the company's `today` falls in (a quarter before a month or a year)."""
    row = await conn.fetchrow(
        "SELECT cycle_id, kind, starts_on, ends_on FROM okr_cycle"
        " WHERE starts_on <= $1 AND ends_on >= $1 ORDER BY (kind = 'quarter') DESC, starts_on"
        " LIMIT 1",
        today,
    )
    return dict(row) if row else None


async def kr_snapshots(
    conn: asyncpg.Connection,
    unit_ids: list[str],
    now: datetime,
    zone: tzinfo,
    window: tuple[date, date],
) -> list[KrSnapshot]:
    """The KRs owned in `unit_ids` as the board reads them (the same rows, the same reading),
    for a calibration agenda; `window` paces KRs that have no window or cycle of their own."""
    rows = await conn.fetch(BOARD_KRS, False, "", unit_ids, [])
    snapshots = []
    for r in rows:
        reading = kr_reading(r, now, zone, window)
        snapshots.append(
            KrSnapshot(
                kr_id=r["kr_id"],
                title=r["title"],
                owner_person_id=r["owner_person_id"],
                owner_unit_id=r["owner_unit_id"],
                provenance=reading["provenance"],
                progress=reading["progress"],
                expected=reading["expected"],
                health=reading["health"],
                reasons=tuple(reading["reasons"]),
                last_check_in_at=r["last_check_in_at"],
                open_blocker=r["open_blocker"],
                open_request_id=r["open_request_id"],
                request_waiting_since=r["requested_at"],
            )
        )
    return snapshots


async def calibration_agenda_items(
    conn: asyncpg.Connection,
    org: OrgTree,
    unit_id: str,
    now: datetime,
    zone: ZoneInfo,
    window: tuple[date, date],
) -> list[AgendaItem]:
    """The agenda of a meeting of `unit_id` (the API's and the CLI's): its subtree's KRs as the
    board reads them, the cleanup tasks of the quarter today falls in and the subtree's
    objectives of that quarter with their numbers."""
    units = sorted(org.subtree(unit_id))
    snapshots = await kr_snapshots(conn, units, now, zone, window)
    today = now.astimezone(zone).date()
    quarter = await okr_reads.quarter(conn, None, today)
    cleanups = []
    objectives: list[ObjectiveSnapshot] = []
    if quarter is not None:
        held = await okr_reads.held_objectives(conn, units, zone.key)
        days = (quarter["starts_on"], quarter["ends_on"])
        cleanups = cleanup_tasks(held, quarter["cycle_id"], days, today)
        objectives = [
            ObjectiveSnapshot(
                o["objective_id"], o["title"], o["owner_person_id"], o["progress"],
                o["health"], o["basis"],
            )
            for o in await scored_objectives(conn, quarter["cycle_id"], now, zone, None, units)
            if o["status"] == "active"
        ]  # fmt: skip
    return calibration_agenda(snapshots, now, cleanups, objectives)
