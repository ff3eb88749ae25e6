"""HTTP commands and reads for key-result streams (define, target-adjustment workflow)."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.commands import Body, IdempotencyKey, record
from api.deps import PersonClient, WriterClient
from api.problems import ProblemError
from api.scope import ReadScope, readable_kr
from api.views import record_view
from audit.history import change_document
from domain.event_chain import RecordedEvent
from domain.key_result_stream import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    CancelTargetAdjustment,
    DefineKeyResult,
    EscalateBlocker,
    MetricBinding,
    RecordCheckIn,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
    target_changes,
)
from domain.key_results import KrKind
from domain.quality_hints import key_result_hints
from handlers.key_results import stream_id_of
from infra.postgres.accounts import Client
from projections import okr_reads
from projections.queries import rows_json

router = APIRouter(prefix="/v1/okr", tags=["okr"])


class DefineKeyResultBody(Body):
    kr_id: str
    title: str
    owner_person_id: str
    owner_unit_id: str
    kind: KrKind
    unit: str
    start: Decimal
    target: Decimal
    binding: MetricBinding | None = None


class RequestAdjustmentBody(Body):
    request_id: str
    proposed_target: Decimal
    reason: str
    evidence: tuple[str, ...] = ()


class ApproveBody(Body):
    note: str = ""


class RejectBody(Body):
    reason: str


class EmptyBody(Body):
    pass


class CheckInBody(Body):
    summary: str
    progress_value: Decimal
    blocker: str


class EscalateBody(Body):
    to_unit_id: str | None = None
    to_person_id: str | None = None
    note: str = ""


_run = partial(record, handler="kr_commands")


@router.post("/key-results", status_code=201)
async def define_key_result(
    request: Request,
    body: DefineKeyResultBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    result = await _run(request, client, DefineKeyResult, body.model_dump(), idempotency_key)
    return {**result, "hints": [h.model_dump() for h in key_result_hints(body.title)]}


@router.get("/hints")
async def hints_for(
    title: Annotated[str, Query(min_length=1, max_length=300)], client: PersonClient
) -> list[dict[str, str]]:
    """Quality hints for a KR title, as it is being typed."""
    return [h.model_dump() for h in key_result_hints(title)]


@router.post("/key-results/{kr_id}/adjustments", status_code=201)
async def request_adjustment(
    request: Request,
    kr_id: str,
    body: RequestAdjustmentBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _run(
        request,
        client,
        RequestTargetAdjustment,
        {**body.model_dump(), "kr_id": kr_id},
        idempotency_key,
    )


@router.post("/key-results/{kr_id}/adjustments/{request_id}/approve")
async def approve_adjustment(
    request: Request,
    kr_id: str,
    request_id: str,
    body: ApproveBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _run(
        request,
        client,
        ApproveTargetAdjustment,
        {**body.model_dump(), "kr_id": kr_id, "request_id": request_id},
        idempotency_key,
    )


@router.post("/key-results/{kr_id}/adjustments/{request_id}/reject")
async def reject_adjustment(
    request: Request,
    kr_id: str,
    request_id: str,
    body: RejectBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _run(
        request,
        client,
        RejectTargetAdjustment,
        {**body.model_dump(), "kr_id": kr_id, "request_id": request_id},
        idempotency_key,
    )


@router.post("/key-results/{kr_id}/adjustments/{request_id}/apply")
async def apply_adjustment(
    request: Request,
    kr_id: str,
    request_id: str,
    body: EmptyBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _run(
        request,
        client,
        ApplyTargetAdjustment,
        {"kr_id": kr_id, "request_id": request_id},
        idempotency_key,
    )


@router.post("/key-results/{kr_id}/adjustments/{request_id}/cancel")
async def cancel_adjustment(
    request: Request,
    kr_id: str,
    request_id: str,
    body: EmptyBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _run(
        request,
        client,
        CancelTargetAdjustment,
        {"kr_id": kr_id, "request_id": request_id},
        idempotency_key,
    )


@router.post("/key-results/{kr_id}/check-ins", status_code=201)
async def check_in(
    request: Request,
    kr_id: str,
    body: CheckInBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Exactly three fields: summary, progress value, blocker (text, or "none")."""
    return await _run(
        request, client, RecordCheckIn, {**body.model_dump(), "kr_id": kr_id}, idempotency_key
    )


@router.post("/key-results/{kr_id}/blocker/escalate", status_code=201)
async def escalate_blocker(
    request: Request,
    kr_id: str,
    body: EscalateBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _run(
        request, client, EscalateBlocker, {**body.model_dump(), "kr_id": kr_id}, idempotency_key
    )


@router.get("/key-results/{kr_id}")
async def key_result(request: Request, kr_id: str, client: PersonClient) -> dict[str, Any]:
    """The KR as the read models have it: target, open request, blocker, last check-in."""
    async with request.app.state.pool.acquire() as conn:
        row = await readable_kr(request, client, conn, kr_id)
    await record_view(request, client, "key_result", kr_id)
    return rows_json([dict(row)])[0]  # type: ignore[no-any-return]


@router.get("/key-results/{kr_id}/adjustments")
async def adjustment_history(
    request: Request, kr_id: str, client: PersonClient
) -> list[dict[str, Any]]:
    """Every target-adjustment request with its response times, derived from the stream."""
    history = await _readable_stream(request, client, kr_id)
    return [change_document(t) for t in target_changes(kr_id, history)]


@router.get("/key-results/{kr_id}/events")
async def key_result_events(
    request: Request, kr_id: str, client: PersonClient
) -> list[dict[str, Any]]:
    """The KR's stream as recorded (every target change with actor and times)."""
    events = await _readable_stream(request, client, kr_id)
    return [e.model_dump(mode="json") for e in events]


async def _readable_stream(request: Request, client: Client, kr_id: str) -> list[RecordedEvent]:
    """The KR's stream, if it exists and the person may read it (owner from its definition)."""
    async with request.app.state.pool.acquire() as conn:
        events = await request.app.state.kr_commands.store.load(conn, stream_id_of(kr_id))
        if not events:
            raise ProblemError(404, "NotFound", f"key result {kr_id!r} does not exist")
        defined = events[0].payload
        await ReadScope(request, client).require(
            conn,
            f"key result {kr_id!r}",
            defined["owner_person_id"],
            defined["owner_unit_id"],
            await okr_reads.kr_objectives(conn, kr_id),
        )
    return events
