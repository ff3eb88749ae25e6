"""Command handling for objective portfolios and HQ's focus policy."""

from __future__ import annotations

import asyncpg

from domain.objectives import (
    FOCUS_POLICY,
    OBJECTIVES,
    PortfolioCommand,
    SetFocusPolicy,
    hints,
)
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
        context = await self.portfolio_context(conn, command)
        result, state = await self.run(conn, OBJECTIVES, command, context, idempotency_key)
        return result, (() if state is None else hints(state, command))

    async def set_focus_policy(
        self,
        conn: asyncpg.Connection,
        command: SetFocusPolicy,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return (await self.run(conn, FOCUS_POLICY, command, lambda _org: None, idempotency_key))[0]
