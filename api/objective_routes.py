"""HTTP commands for objective portfolios (define, align, KR weights, close) and HQ's focus
policy."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from fastapi import APIRouter, Request

from api.deps import PersonClient
from api.problems import ProblemError
from api.scope import ReadScope
from api.views import record_view
from infra.postgres.accounts import Client
from projections import okr_reads
from projections.okr_reads import objective_progress_view
from projections.progress_reads import rows_json

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
    """The objective and every parent it contributes to, up to the north star."""
    async with request.app.state.pool.acquire() as conn:
        rows = await okr_reads.alignment_chain(conn, objective_id)
        await _require_readable(request, client, conn, objective_id)
    await record_view(request, client, "objective", objective_id)
    return rows_json([dict(r) for r in rows])  # type: ignore[no-any-return]


@router.get("/objectives/{objective_id}/progress")
async def progress_of_objective(
    request: Request, objective_id: str, client: PersonClient
) -> dict[str, Any]:
    """Weighted progress of the objective's KRs, its health (the weakest KR's) and provenance."""
    async with request.app.state.pool.acquire() as conn:
        await _require_readable(request, client, conn, objective_id)
        view = await objective_progress_view(conn, objective_id, request.app.state.clock())
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
