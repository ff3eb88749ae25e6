"""What auditors read: the target-change and weight-change histories (read-only, for auditors
and HQ)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from api.deps import AuditClient
from audit.history import HistoryFilter, as_csv, change_document, target_change_history
from audit.weight_history import weight_change_history

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "/target-changes",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def target_changes(
    request: Request,
    _: AuditClient,
    kr_id: str | None = None,
    objective_id: str | None = None,
    owner_person_id: str | None = None,
    region_id: str | None = None,
    cycle_id: str | None = None,
    since: Annotated[datetime | None, Query(description="requested at or after")] = None,
    until: Annotated[datetime | None, Query(description="requested before")] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> list[dict[str, Any]] | PlainTextResponse:
    """Every target change of the selected KRs (all filters hold): old -> new target, reason,
    evidence, requester, decider, times and response times, folded from the event store."""
    selection = HistoryFilter(
        kr_id, objective_id, owner_person_id, region_id, cycle_id, since, until
    )
    async with request.app.state.pool.acquire() as conn:
        changes = await target_change_history(conn, selection)
    if format == "csv":
        return PlainTextResponse(as_csv(changes), media_type="text/csv")
    return [change_document(c) for c in changes]


@router.get("/projection-skips")
async def projection_skips(request: Request, _: AuditClient) -> list[dict[str, Any]]:
    """Every event an operator told a read-model projection to pass over (`northstar
    projections skip`): the stream, version, event, reason, who and when. The skipped event
    itself stays in the event store untouched."""
    from handlers.parked_streams import skipped_events

    async with request.app.state.pool.acquire() as conn:
        skips = await skipped_events(conn)
    return [
        {**e.payload, "skipped_by": e.actor, "skipped_at": e.occurred_at.isoformat()} for e in skips
    ]


@router.get("/weight-changes")
async def weight_changes(
    request: Request,
    _: AuditClient,
    objective_id: str | None = None,
    since: Annotated[datetime | None, Query(description="changed at or after")] = None,
    until: Annotated[datetime | None, Query(description="changed before")] = None,
) -> list[dict[str, Any]]:
    """Every change of an objective's KR weights (one objective, or all): before and after,
    who, when, and the calibration meeting that decided it, from the event store."""
    async with request.app.state.pool.acquire() as conn:
        return await weight_change_history(conn, objective_id, since, until)
