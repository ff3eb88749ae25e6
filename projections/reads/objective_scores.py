"""Objectives' scores as every reader shows them (`domain.objective_scores`): each objective
asked for, read with everything below it — its KRs' readings and its contributors' — whoever
asks, so the board, the API, the scorecards, the agenda and the banner show one number."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

import asyncpg

from domain.health import WeightedKr
from domain.objective_scores import Contributor, ObjectiveScore, objective_scores
from projections.reads.okr_reads import kr_reading
from projections.sql_files import load_queries

SQL = load_queries("objective_scores")


async def scores(
    conn: asyncpg.Connection, objective_ids: Iterable[str], now: datetime, zone: tzinfo
) -> tuple[dict[str, ObjectiveScore], dict[str, list[dict[str, Any]]]]:
    """The score of each objective of `objective_ids` (and of all below them), and each scored
    objective's KRs with their weight and reading (an objective without KRs: none)."""
    wanted = sorted(set(objective_ids))
    if not wanted:
        return {}, {}
    below = [r["objective_id"] for r in await conn.fetch(SQL["below"], wanted)]
    contributors: dict[str, list[Contributor]] = defaultdict(list)
    for r in await conn.fetch(SQL["contributions"], below):
        contributors[r["parent_id"]].append(Contributor(r["child_id"], r["weight"]))
    krs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    weighted: dict[str, list[WeightedKr]] = defaultdict(list)
    for r in await conn.fetch(SQL["weighted_krs"], below):
        reading = kr_reading(r, now, zone)
        krs[r["objective_id"]].append({"kr_id": r["kr_id"], "weight": r["weight"], **reading})
        weighted[r["objective_id"]].append(
            WeightedKr(r["kr_id"], r["weight"], reading["progress"], reading["health"])
        )
    return objective_scores(wanted, weighted, contributors), krs


async def with_contributors(
    conn: asyncpg.Connection, objective_id: str, now: datetime, zone: tzinfo
) -> dict[str, Any]:
    """An objective's (or the north star's) score — progress, health, basis — its weighted
    KRs with their readings, and the objectives contributing to it with weight and score."""
    below = await conn.fetch(SQL["contributions"], [objective_id])
    found, krs = await scores(conn, [objective_id, *(r["child_id"] for r in below)], now, zone)
    return {
        **_score_fields(found[objective_id]),
        "krs": krs.get(objective_id, []),
        "contributors": [
            {
                "objective_id": r["child_id"],
                "weight": r["weight"],
                **_score_fields(found[r["child_id"]]),
            }
            for r in below
        ],
    }


async def objective_progress_view(
    conn: asyncpg.Connection, objective_id: str, now: datetime, zone: tzinfo
) -> dict[str, Any] | None:
    """The objective's score (`domain.objective_scores`: progress, health and its basis), its
    KRs with weight, provenance and reading, and the objectives contributing to it with their
    weight and score (None: no such objective)."""
    if not await conn.fetchval(SQL["objective_exists"], objective_id):
        return None
    return {"objective_id": objective_id, **await with_contributors(conn, objective_id, now, zone)}


def _score_fields(score: ObjectiveScore) -> dict[str, Any]:
    return {"progress": score.progress, "health": score.health, "basis": score.basis}


async def scored_objectives(
    conn: asyncpg.Connection,
    cycle_id: str,
    now: datetime,
    zone: tzinfo,
    person_id: str | None = None,
    unit_ids: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The objectives of `cycle_id` owned by `person_id` or in `unit_ids`, each with its one
    number (a scorecard's and an agenda's objectives)."""
    rows = await conn.fetch(SQL["owned_in_cycle"], cycle_id, person_id, unit_ids)
    found, _ = await scores(conn, [r["objective_id"] for r in rows], now, zone)
    return [{**dict(r), **_score_fields(found[r["objective_id"]])} for r in rows]
