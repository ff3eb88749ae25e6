"""HTTP: KR progress as the sales projection keeps it, with health as of now."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from api.deps import ReaderClient
from api.problems import ProblemError
from projections.reads import progress_reads

router = APIRouter(tags=["progress"])


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.company_timezone)


@router.get("/v1/key-results")
async def list_key_results(
    request: Request,
    _: ReaderClient,
    unit_id: str | None = None,
) -> list[dict[str, Any]]:
    async with request.app.state.pool.acquire() as conn:
        rows = await progress_reads.kr_progress(conn, unit_id=unit_id)
    return progress_reads.rows_json(
        progress_reads.with_health(rows, request.app.state.clock(), _zone(request))
    )


@router.get("/v1/key-results/{kr_id}")
async def get_key_result(
    request: Request,
    kr_id: str,
    _: ReaderClient,
) -> dict[str, Any]:
    async with request.app.state.pool.acquire() as conn:
        rows = await progress_reads.kr_progress(conn, kr_id=kr_id)
        history = await progress_reads.health_history(conn, kr_id)
    if not rows:
        raise ProblemError(404, "No such key result", f"key result {kr_id!r} does not exist")
    (row,) = progress_reads.with_health(rows, request.app.state.clock(), _zone(request))
    return progress_reads.rows_json([{**row, "health_history": history}])[0]
