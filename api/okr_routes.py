"""HTTP commands and reads for key-result streams (define, target-adjustment workflow)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import APIRouter, Query, Request

from api.commands import (
    Body,
    IdempotencyKey,
    appended,
    envelope,
    execute,
    handlers_of,
    idempotency_of,
)
from api.deps import PersonClient, WriterClient
from api.problems import ProblemError
from api.scope import ReadScope, readable_kr
from api.views import record_view
from audit.history import change_document
from domain.event_chain import RecordedEvent
from domain.kernel import NotAllowed, NotFound
from domain.key_result.commands import DefineKeyResult
from domain.key_result.events import kr_stream
from domain.key_result.state import target_changes
from domain.key_result.three_fields import ThreeFieldKeyResult, defined_from
from domain.objectives import SetKeyResultWeights, weights_with
from domain.quality_hints import key_result_hints
from handlers.bootstrap import CommandHandlers
from infra.postgres.accounts import Client
from infra.postgres.event_store import AppendResult
from projections.okr.check_in_health import check_in_health_history
from projections.reads import okr_reads
from projections.reads.progress_reads import rows_json

router = APIRouter(prefix="/v1/okr", tags=["okr"])


class ThreeFieldBody(ThreeFieldKeyResult, Body):
    """The three-field form as a request body: text PostgreSQL cannot store is refused (422)."""


@router.get("/hints")
async def hints_for(
    title: Annotated[str, Query(min_length=1, max_length=300)], client: PersonClient
) -> list[dict[str, str]]:
    """Quality hints for a KR title, as it is being typed."""
    return [h.model_dump() for h in key_result_hints(title)]


@router.post("/key-results/three-fields", status_code=201)
async def propose_key_result(
    request: Request,
    body: ThreeFieldBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Define a KR from three fields — description, sales metric (or none: checked in by hand),
    target — owned by the caller in their unit, from 0 over the current quarter (the rules of
    `POST /key-results` apply). Answers with the new KR's id and quality hints."""
    now = request.app.state.clock()
    zone = ZoneInfo(request.app.state.settings.company_timezone)
    async with request.app.state.pool.acquire() as conn:
        quarter = await okr_reads.quarter(conn, None, now.astimezone(zone).date())
    if quarter is None:
        raise ProblemError(
            422, "Invalid command", "no quarter is defined for today: HQ defines the cycle first"
        )
    fields = envelope(request, client, idempotency_key)
    define = defined_from(
        body, fields["command_id"], fields["actor"], fields["at"],
        (quarter["starts_on"], quarter["ends_on"]),
    )  # fmt: skip
    idempotency = idempotency_of(client, idempotency_key)
    handlers = handlers_of(request)

    async def define_and_attach(conn: asyncpg.Connection) -> AppendResult:
        async with conn.transaction():
            result = await handlers.key_results.handle(conn, define, idempotency)
            if body.objective_id is not None:
                await _attach(conn, handlers, define, body.objective_id)
        return result

    result = await execute(request, define_and_attach)
    hints = [h.model_dump() for h in key_result_hints(body.description)]
    return {
        **appended(result),
        "kr_id": define.kr_id,
        "objective_id": body.objective_id,
        "hints": hints,
    }


async def _attach(
    conn: asyncpg.Connection, handlers: CommandHandlers, define: DefineKeyResult, objective_id: str
) -> None:
    """The new KR joins the proposer's objective (`weights_with`), in the same transaction."""
    objective = (await handlers.objectives.objective_chain(conn, [objective_id])).get(objective_id)
    if objective is None:
        raise NotFound(f"objective_id: no objective {objective_id!r}")
    if objective.owner_person_id != define.actor.person_id:
        raise NotAllowed(f"objective_id: {objective_id!r} is not one of your objectives")
    await handlers.objectives.handle(
        conn,
        SetKeyResultWeights(
            command_id=uuid.uuid5(define.command_id, "weights"),
            owner_person_id=objective.owner_person_id,
            cycle_id=objective.cycle_id,
            actor=define.actor,
            at=define.at,
            objective_id=objective_id,
            weights=weights_with(dict(objective.weights), define.kr_id),
        ),
    )


@router.get("/key-results/{kr_id}")
async def key_result(request: Request, kr_id: str, client: PersonClient) -> dict[str, Any]:
    """The KR as the read models have it: target, open request, blocker, last check-in; for a
    KR fed by check-ins its health history (sales-fed KRs: `GET /v1/key-results/{kr_id}`); and
    the health verdicts calibration meetings gave it; the comments HQ and its managers left."""
    async with request.app.state.pool.acquire() as conn:
        row = await readable_kr(request, client, conn, kr_id)
        verdicts = await okr_reads.health_verdicts(conn, kr_id)
        history = await check_in_health_history(conn, kr_id)
        comments = await okr_reads.kr_comments(conn, kr_id)
    await record_view(request, client, "key_result", kr_id)
    shown = {
        **dict(row),
        "health_history": history,
        "health_verdicts": verdicts,
        "comments": comments,
    }
    return rows_json([shown])[0]  # type: ignore[no-any-return]


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
        events = await handlers_of(request).store.load(conn, kr_stream(kr_id))
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
