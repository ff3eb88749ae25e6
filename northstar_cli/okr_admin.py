"""Admin commands from the CLI: they act as HQ (person `cli-admin`), through the same handlers
and rules as the API."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from domain.cycles import DefineCycle, SetNorthStar
from domain.kernel import Actor
from domain.objectives import (
    AlignObjective,
    Contribution,
    DefineObjective,
    FocusMode,
    SetFocusPolicy,
)
from handlers.bootstrap import CLI_ADMIN, CommandHandlers, Handle, configured_handlers
from infra.postgres.db import connect
from infra.postgres.event_store import AppendResult
from infra.settings import Settings
from projections.reads.org_directory import OrgDirectory


async def as_hq(
    settings: Settings,
    command_type: type[BaseModel],
    pick: Callable[[CommandHandlers], Handle],
    **fields: Any,
) -> AppendResult:
    """Issue `command_type(**fields)` as HQ's CLI admin through the handle `pick` chooses."""
    conn = await connect(settings.dsn)
    try:
        tree = await OrgDirectory().load(conn)
        hq = tree.hq_id if tree is not None else "hq"
        actor = Actor(person_id=CLI_ADMIN, role="hq_admin", unit_id=hq)
        command = command_type(command_id=uuid.uuid4(), actor=actor, at=datetime.now(UTC), **fields)
        handle = pick(configured_handlers(settings))
        outcome = await handle(conn, command, None)
        return outcome[0] if isinstance(outcome, tuple) else outcome  # (result, hints)
    finally:
        await conn.close()


async def define_cycle(
    settings: Settings,
    cycle_id: str,
    kind: str,
    starts_on: date,
    ends_on: date,
    thresholds: tuple[Decimal, Decimal, Decimal] = (Decimal(0), Decimal(25), Decimal(2)),
) -> AppendResult:
    green, amber, hysteresis = thresholds
    return await as_hq(
        settings,
        DefineCycle,
        lambda h: h.hq.define_cycle,
        cycle_id=cycle_id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        green_max_gap=green,
        amber_max_gap=amber,
        hysteresis_points=hysteresis,
    )


async def set_north_star(
    settings: Settings,
    metric: str,
    target: Decimal,
    unit: str,
    owner_person_id: str,
    measured_by: str | None = None,
) -> AppendResult:
    return await as_hq(
        settings,
        SetNorthStar,
        lambda h: h.hq.set_north_star,
        metric=metric,
        target=target,
        unit=unit,
        owner_person_id=owner_person_id,
        measured_by=measured_by,
    )


async def set_focus_policy(settings: Settings, mode: FocusMode) -> AppendResult:
    return await as_hq(settings, SetFocusPolicy, lambda h: h.objectives.set_focus_policy, mode=mode)


async def define_objective(
    settings: Settings,
    objective_id: str,
    title: str,
    owner: tuple[str, str],
    cycle_id: str,
    contributes_to: tuple[Contribution, ...],
) -> AppendResult:
    return await as_hq(
        settings,
        DefineObjective,
        lambda h: h.objectives.handle,
        owner_person_id=owner[0],
        owner_unit_id=owner[1],
        cycle_id=cycle_id,
        objective_id=objective_id,
        title=title,
        contributes_to=contributes_to,
    )


async def align_objective(
    settings: Settings,
    objective_id: str,
    owner_person_id: str,
    cycle_id: str,
    contributes_to: tuple[Contribution, ...],
) -> AppendResult:
    return await as_hq(
        settings,
        AlignObjective,
        lambda h: h.objectives.handle,
        owner_person_id=owner_person_id,
        cycle_id=cycle_id,
        objective_id=objective_id,
        contributes_to=contributes_to,
    )
