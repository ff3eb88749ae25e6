"""HTTP commands for objective portfolios (define, align, KR weights, close) and HQ's focus
policy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request

from api.deps import PersonClient
from api.okr_routes import Body, IdempotencyKey, appended, build_command, execute
from domain.objectives import (
    AlignObjective,
    CloseObjective,
    Contribution,
    DefineObjective,
    PortfolioCommand,
    SetFocusPolicy,
    SetKeyResultWeights,
)

router = APIRouter(prefix="/v1/okr", tags=["objectives"])


class PortfolioBody(Body):
    owner_person_id: str
    cycle_id: str


class DefineObjectiveBody(PortfolioBody):
    objective_id: str
    title: str
    owner_unit_id: str
    contributes_to: tuple[Contribution, ...] = ()


class AlignBody(PortfolioBody):
    contributes_to: tuple[Contribution, ...]


class WeightsBody(PortfolioBody):
    weights: dict[str, Decimal]


class CloseBody(PortfolioBody):
    outcome: Literal["achieved", "dropped"]


class FocusPolicyBody(Body):
    mode: Literal["block", "warn"]


async def _portfolio(
    request: Request,
    client: Any,
    command_type: type[PortfolioCommand],
    fields: dict[str, Any],
    key: str | None,
) -> dict[str, Any]:
    command = build_command(request, client, command_type, fields, key)
    idempotency = f"{client.name}:{key}" if key else None
    result, decision = await execute(
        request,
        lambda conn: request.app.state.objective_commands.handle(conn, command, idempotency),
    )
    hints = [h.model_dump() for h in decision.hints] if decision else []
    return {**appended(result), "hints": hints}


@router.post("/objectives", status_code=201)
async def define_objective(
    request: Request,
    body: DefineObjectiveBody,
    client: PersonClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """At most three active objectives per owner per cycle (or a hint, under 'warn')."""
    return await _portfolio(request, client, DefineObjective, body.model_dump(), idempotency_key)


@router.post("/objectives/{objective_id}/align")
async def align_objective(
    request: Request,
    objective_id: str,
    body: AlignBody,
    client: PersonClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _portfolio(
        request,
        client,
        AlignObjective,
        {**body.model_dump(), "objective_id": objective_id},
        idempotency_key,
    )


@router.put("/objectives/{objective_id}/kr-weights")
async def set_kr_weights(
    request: Request,
    objective_id: str,
    body: WeightsBody,
    client: PersonClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The weights of the objective's KRs; they must add up to 100."""
    return await _portfolio(
        request,
        client,
        SetKeyResultWeights,
        {**body.model_dump(), "objective_id": objective_id},
        idempotency_key,
    )


@router.post("/objectives/{objective_id}/close")
async def close_objective(
    request: Request,
    objective_id: str,
    body: CloseBody,
    client: PersonClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _portfolio(
        request,
        client,
        CloseObjective,
        {**body.model_dump(), "objective_id": objective_id},
        idempotency_key,
    )


@router.put("/policy/focus")
async def set_focus_policy(
    request: Request,
    body: FocusPolicyBody,
    client: PersonClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """HQ only: 'block' refuses a fourth active objective, 'warn' records it with a hint."""
    command = build_command(request, client, SetFocusPolicy, body.model_dump(), idempotency_key)
    idempotency = f"{client.name}:{idempotency_key}" if idempotency_key else None
    result = await execute(
        request,
        lambda conn: request.app.state.objective_commands.set_focus_policy(
            conn, command, idempotency
        ),
    )
    return appended(result)
