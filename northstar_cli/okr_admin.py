"""Admin commands from the CLI: they act as HQ (person `cli-admin`), through the same handlers
and rules as the API."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from domain.cycles import DefineCycle, SetNorthStar
from domain.kernel import Actor
from domain.objectives import Contribution, DefineObjective, FocusMode, SetFocusPolicy
from handlers.bootstrap import command_handlers
from infra.postgres.db import connect
from infra.postgres.event_store import AppendResult
from infra.settings import Settings
from projections.org_directory import OrgDirectory

CLI_ADMIN = "cli-admin"


async def _as_hq(
    settings: Settings,
    act: Callable[[asyncpg.Connection, Actor, Any, Any], Awaitable[AppendResult]],
) -> AppendResult:
    conn = await connect(settings.dsn)
    try:
        tree = await OrgDirectory().load(conn)
        hq = tree.hq_id if tree is not None else "hq"
        actor = Actor(person_id=CLI_ADMIN, role="hq_admin", unit_id=hq)
        handlers = command_handlers(settings.okr_events_topic, OrgDirectory().load)
        return await act(conn, actor, handlers.hq, handlers.objectives)
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
    return await _as_hq(
        settings,
        lambda conn, actor, hq, _: hq.define_cycle(
            conn,
            DefineCycle(
                command_id=uuid.uuid4(),
                actor=actor,
                at=datetime.now(UTC),
                cycle_id=cycle_id,
                kind=kind,
                starts_on=starts_on,
                ends_on=ends_on,
                green_max_gap=thresholds[0],
                amber_max_gap=thresholds[1],
                hysteresis_points=thresholds[2],
            ),
        ),
    )


async def set_north_star(
    settings: Settings, metric: str, target: Decimal, unit: str, owner_person_id: str
) -> AppendResult:
    return await _as_hq(
        settings,
        lambda conn, actor, hq, _: hq.set_north_star(
            conn,
            SetNorthStar(
                command_id=uuid.uuid4(),
                actor=actor,
                at=datetime.now(UTC),
                metric=metric,
                target=target,
                unit=unit,
                owner_person_id=owner_person_id,
            ),
        ),
    )


async def set_focus_policy(settings: Settings, mode: FocusMode) -> AppendResult:
    return await _as_hq(
        settings,
        lambda conn, actor, _, objectives: objectives.set_focus_policy(
            conn,
            SetFocusPolicy(command_id=uuid.uuid4(), actor=actor, at=datetime.now(UTC), mode=mode),
        ),
    )


async def define_objective(
    settings: Settings,
    objective_id: str,
    title: str,
    owner: tuple[str, str],
    cycle_id: str,
    contributes_to: tuple[Contribution, ...],
) -> AppendResult:
    async def act(conn: asyncpg.Connection, actor: Actor, _: Any, objectives: Any) -> AppendResult:
        result, _hints = await objectives.handle(
            conn,
            DefineObjective(
                command_id=uuid.uuid4(),
                actor=actor,
                at=datetime.now(UTC),
                owner_person_id=owner[0],
                owner_unit_id=owner[1],
                cycle_id=cycle_id,
                objective_id=objective_id,
                title=title,
                contributes_to=contributes_to,
            ),
        )
        return result  # type: ignore[no-any-return]

    return await _as_hq(settings, act)
