"""Command handling for planning cycles and the north star."""

from __future__ import annotations

import asyncpg

from domain.cycles import CYCLES, NORTH_STAR, DefineCycle, SetNorthStar
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class HqCommandHandler(StreamCommands):
    async def define_cycle(
        self, conn: asyncpg.Connection, command: DefineCycle, idempotency_key: str | None = None
    ) -> AppendResult:
        return (await self.run(conn, CYCLES, command, lambda _org: None, idempotency_key))[0]

    async def set_north_star(
        self, conn: asyncpg.Connection, command: SetNorthStar, idempotency_key: str | None = None
    ) -> AppendResult:
        kr = command.measured_by
        measuring = (await self.key_results(conn, [kr])).get(kr) if kr is not None else None
        target = measuring.target if measuring is not None else None
        return (await self.run(conn, NORTH_STAR, command, lambda _org: target, idempotency_key))[0]
