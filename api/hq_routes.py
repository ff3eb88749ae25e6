"""HTTP: planning cycles and the north star (HQ's), and reads of them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import PersonClient
from api.problems import ProblemError
from projections.reads import okr_reads
from projections.reads.progress_reads import rows_json

router = APIRouter(prefix="/v1/okr", tags=["cycles"])


@router.get("/north-star")
async def north_star(request: Request, client: PersonClient) -> dict[str, Any]:
    async with request.app.state.pool.acquire() as conn:
        row = await okr_reads.north_star(conn)
    if row is None:
        raise ProblemError(404, "NotFound", "HQ has not set a north star yet")
    return rows_json([dict(row)])[0]  # type: ignore[no-any-return]


@router.get("/cycles")
async def cycles(request: Request, client: PersonClient) -> list[dict[str, Any]]:
    async with request.app.state.pool.acquire() as conn:
        rows = await okr_reads.cycles(conn)
    return rows_json([dict(r) for r in rows])  # type: ignore[no-any-return]
