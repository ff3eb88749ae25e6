"""Command handling for objective portfolios and HQ's focus policy."""

from __future__ import annotations

import asyncpg

from domain.event_chain import RecordedEvent
from domain.objectives import (
    FOCUS_POLICY_STREAM,
    Decision,
    PortfolioCommand,
    PortfolioEvent,
    SetFocusPolicy,
    decide,
    decide_focus_policy,
    focus_mode,
    fold,
    portfolio_event_of,
    portfolio_stream,
)
from domain.org import OrgTree
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class ObjectiveCommandHandler(StreamCommands):
    async def handle(
        self,
        conn: asyncpg.Connection,
        command: PortfolioCommand,
        idempotency_key: str | None = None,
    ) -> tuple[AppendResult, Decision | None]:
        """The append's result and the decision (None when a retry was answered)."""
        policy = focus_mode(await self.store.load(conn, FOCUS_POLICY_STREAM))
        cycles = await self.defined_cycles(conn)
        decisions: list[Decision] = []

        def decide_now(history: list[RecordedEvent], org: OrgTree) -> tuple[PortfolioEvent, ...]:
            state = fold([e for r in history if (e := portfolio_event_of(r)) is not None])
            decisions.append(decide(state, command, org, cycles, policy))
            return decisions[0].events

        result = await self.run(
            conn,
            stream_id=portfolio_stream(command.owner_person_id, command.cycle_id),
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            idempotency_key=idempotency_key,
            decide=decide_now,
        )
        return result, (decisions[0] if decisions else None)

    async def set_focus_policy(
        self,
        conn: asyncpg.Connection,
        command: SetFocusPolicy,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return await self.run(
            conn,
            stream_id=FOCUS_POLICY_STREAM,
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            idempotency_key=idempotency_key,
            decide=lambda history, org: decide_focus_policy(command),
        )
