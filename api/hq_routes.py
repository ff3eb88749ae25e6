"""HTTP: planning cycles and the north star (HQ's), and reads of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request

from api.commands import Body, IdempotencyKey, appended, handlers_of, run_command
from api.deps import PersonClient, WriterClient
from api.problems import ProblemError
from domain.cycles import DefineCycle, SetNorthStar
from domain.health import DEFAULT_THRESHOLDS
from projections import okr_reads
from projections.queries import rows_json

router = APIRouter(prefix="/v1/okr", tags=["cycles"])


class CycleBody(Body):
    cycle_id: str
    kind: Literal["quarter", "month"]
    starts_on: date
    ends_on: date
    green_max_gap: Decimal = DEFAULT_THRESHOLDS.green_max
    amber_max_gap: Decimal = DEFAULT_THRESHOLDS.amber_max
    hysteresis_points: Decimal = DEFAULT_THRESHOLDS.hysteresis


class NorthStarBody(Body):
    metric: str
    target: Decimal
    unit: str
    comparison: Literal[">=", "<="] = ">="
    owner_person_id: str


@router.post("/cycles", status_code=201)
async def define_cycle(
    request: Request, body: CycleBody, client: WriterClient, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    return appended(
        await run_command(
            request,
            client,
            DefineCycle,
            body.model_dump(),
            idempotency_key,
            handlers_of(request).hq.define_cycle,
        )
    )


@router.put("/north-star")
async def set_north_star(
    request: Request,
    body: NorthStarBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return appended(
        await run_command(
            request,
            client,
            SetNorthStar,
            body.model_dump(),
            idempotency_key,
            handlers_of(request).hq.set_north_star,
        )
    )


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
