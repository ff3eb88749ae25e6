"""Command handling for objective portfolios and HQ's focus policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg

from domain.event_chain import derive_event_id
from domain.objectives import (
    FOCUS_POLICY_STREAM,
    Decision,
    PortfolioCommand,
    SetFocusPolicy,
    decide,
    decide_focus_policy,
    focus_mode,
    fold,
    portfolio_event_of,
    portfolio_stream,
)
from domain.org import OrgTree
from handlers.recording import append_decided
from infra.postgres.event_store import AppendResult, EventStore


class ObjectiveCommandHandler:
    def __init__(
        self,
        store: EventStore,
        org: Callable[[asyncpg.Connection], Awaitable[OrgTree]],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.org = org
        self.clock = clock

    async def handle(
        self,
        conn: asyncpg.Connection,
        command: PortfolioCommand,
        idempotency_key: str | None = None,
    ) -> tuple[AppendResult, Decision | None]:
        """The append's result and the decision (None when a retry was answered)."""
        earlier = await self.store.earlier_result(
            conn, idempotency_key, derive_event_id(command.command_id, 0)
        )
        if earlier is not None:
            return earlier, None
        stream_id = portfolio_stream(command.owner_person_id, command.cycle_id)
        history = await self.store.load(conn, stream_id)
        state = fold([e for r in history if (e := portfolio_event_of(r)) is not None])
        policy = focus_mode(await self.store.load(conn, FOCUS_POLICY_STREAM))
        decision = decide(state, command, await self.org(conn), policy)
        result = await append_decided(
            self.store,
            conn,
            stream_id=stream_id,
            expected_version=len(history),
            events=decision.events,
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            recorded_at=self.clock(),
            idempotency_key=idempotency_key,
        )
        return result, decision

    async def set_focus_policy(
        self,
        conn: asyncpg.Connection,
        command: SetFocusPolicy,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        earlier = await self.store.earlier_result(
            conn, idempotency_key, derive_event_id(command.command_id, 0)
        )
        if earlier is not None:
            return earlier
        events = decide_focus_policy(command)
        history = await self.store.load(conn, FOCUS_POLICY_STREAM)
        return await append_decided(
            self.store,
            conn,
            stream_id=FOCUS_POLICY_STREAM,
            expected_version=len(history),
            events=events,
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            recorded_at=self.clock(),
            idempotency_key=idempotency_key,
        )
