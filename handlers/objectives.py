"""Command handling for objective portfolios and HQ's focus policy."""

from __future__ import annotations

import asyncpg

from domain.objectives import (
    FOCUS_POLICY,
    OBJECTIVES,
    PortfolioCommand,
    PortfolioContext,
    SetFocusPolicy,
    hints,
)
from domain.org_tree import OrgTree
from domain.quality_hints import Hint
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class ObjectiveCommandHandler(StreamCommands):
    async def handle(
        self,
        conn: asyncpg.Connection,
        command: PortfolioCommand,
        idempotency_key: str | None = None,
    ) -> tuple[AppendResult, tuple[Hint, ...]]:
        """The append's result and the hints to show with it (none when a retry was
        answered)."""
        build = await self.portfolio_context(conn, command)
        decided_on: list[PortfolioContext] = []

        def context(org: OrgTree) -> PortfolioContext:
            decided_on.append(build(org))
            return decided_on[-1]

        result, state = await self.run(conn, OBJECTIVES, command, context, idempotency_key)
        return result, (() if state is None else hints(state, command, decided_on[-1]))

    async def set_focus_policy(
        self,
        conn: asyncpg.Connection,
        command: SetFocusPolicy,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return (await self.run(conn, FOCUS_POLICY, command, lambda _org: None, idempotency_key))[0]
