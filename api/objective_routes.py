"""HTTP commands for objective portfolios (define, align, KR weights, close) and HQ's focus
policy."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import APIRouter, Request

from api.deps import PersonClient
from api.problems import ProblemError
from api.scope import ReadScope
from api.views import record_view
from domain.access import SEES_EVERYTHING
from domain.focus import cleanup_tasks
from infra.postgres.accounts import Client
from projections.reads import okr_reads
from projections.reads.objective_scores import objective_progress_view, scores
from projections.reads.progress_reads import rows_json

router = APIRouter(prefix="/v1/okr", tags=["objectives"])


@router.get("/objectives")
async def objectives(
    request: Request,
    client: PersonClient,
    owner_person_id: str | None = None,
    cycle_id: str | None = None,
) -> list[dict[str, Any]]:
    """Objectives with their parents (contribution weights) and KR weights."""
    async with request.app.state.pool.acquire() as conn:
        rows = await okr_reads.objectives(conn, owner_person_id, cycle_id)
        scope = ReadScope(request, client)
        visible = [
            r
            for r in rows
            if await scope.refusal(
                conn, r["owner_person_id"], r["owner_unit_id"], {r["objective_id"]}
            )
            is None
        ]
    out = rows_json([dict(r) for r in visible])
    for row in out:
        row["contributes_to"] = json.loads(row["contributes_to"])
        row["kr_weights"] = json.loads(row["kr_weights"])
    return out  # type: ignore[no-any-return]


@router.get("/objectives/{objective_id}/chain")
async def alignment_chain(
    request: Request, objective_id: str, client: PersonClient
) -> list[dict[str, Any]]:
    """The objective and every parent it contributes to, up to the north star, each parent
    with its one number (`domain.objective_scores`: progress, health, basis)."""
    async with request.app.state.pool.acquire() as conn:
        rows = await okr_reads.alignment_chain(conn, objective_id)
        await _require_readable(request, client, conn, objective_id)
        zone = ZoneInfo(request.app.state.settings.company_timezone)
        found, _ = await scores(
            conn, [r["parent_id"] for r in rows], request.app.state.clock(), zone
        )
    await record_view(request, client, "objective", objective_id)
    chain = [
        {
            **dict(r),
            "parent_progress": found[r["parent_id"]].progress,
            "parent_health": found[r["parent_id"]].health,
            "parent_basis": found[r["parent_id"]].basis,
        }
        for r in rows
    ]
    return rows_json(chain)  # type: ignore[no-any-return]


@router.get("/objectives/{objective_id}/progress")
async def progress_of_objective(
    request: Request, objective_id: str, client: PersonClient
) -> dict[str, Any]:
    """The objective's one number (`domain.objective_scores`): progress, health and basis (its
    own KRs, else its contributors, else none), its KRs' readings and its contributors'."""
    async with request.app.state.pool.acquire() as conn:
        await _require_readable(request, client, conn, objective_id)
        view = await objective_progress_view(
            conn,
            objective_id,
            request.app.state.clock(),
            ZoneInfo(request.app.state.settings.company_timezone),
        )
    if view is None:
        raise ProblemError(404, "NotFound", f"objective {objective_id!r} does not exist")
    await record_view(request, client, "objective", objective_id)
    krs = rows_json(view.pop("krs"))
    return {**rows_json([view])[0], "krs": krs}


async def _require_readable(
    request: Request, client: Client, conn: asyncpg.Connection, objective_id: str
) -> None:
    """404 for an unknown objective, 403 for one outside the person's scope."""
    owner = await okr_reads.objective_owner(conn, objective_id)
    if owner is None:
        raise ProblemError(404, "NotFound", f"objective {objective_id!r} does not exist")
    await ReadScope(request, client).require(
        conn,
        f"objective {objective_id!r}",
        owner["owner_person_id"],
        owner["owner_unit_id"],
        {objective_id},
    )


@router.get("/cleanup")
async def quarterly_cleanup(
    request: Request, client: PersonClient, cycle_id: str | None = None
) -> dict[str, Any]:
    """The quarter's cleanup tasks (default: the quarter today falls in), by the focus rule
    (`domain.focus`): every owner who, on its first day, held more than three objectives in
    force or any of a cycle that is over must close, merge or carry them forward; each task
    names the objectives in force and those to close, and says whether it is done. A person
    sees the owners of their own unit's subtree (HQ and auditors: everyone)."""
    zone = request.app.state.settings.company_timezone
    today = request.app.state.clock().astimezone(ZoneInfo(zone)).date()
    async with request.app.state.pool.acquire() as conn:
        cycle = await okr_reads.quarter(conn, cycle_id, today)
        if cycle is None:
            raise ProblemError(
                404, "NotFound", f"no cycle {cycle_id!r}" if cycle_id else "no current quarter"
            )
        org = await request.app.state.org.current(conn)
        units = None if client.role in SEES_EVERYTHING else sorted(org.subtree(client.unit_id))
        held = await okr_reads.held_objectives(conn, units, zone)
    quarter = (cycle["starts_on"], cycle["ends_on"])
    tasks = cleanup_tasks(held, cycle["cycle_id"], quarter, today)
    return {
        "cycle_id": cycle["cycle_id"],
        "starts_on": cycle["starts_on"].isoformat(),
        "tasks": [{**asdict(t), "done": t.done} for t in tasks],
    }
