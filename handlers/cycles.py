"""Command handling for planning cycles and the north star."""

from __future__ import annotations

import asyncpg

from domain.cycles import (
    CYCLES_STREAM,
    NORTH_STAR_STREAM,
    DefineCycle,
    SetNorthStar,
    decide_cycle,
    decide_north_star,
)
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class HqCommandHandler(StreamCommands):
    async def define_cycle(
        self, conn: asyncpg.Connection, command: DefineCycle, idempotency_key: str | None = None
    ) -> AppendResult:
        return await self.run(
            conn,
            stream_id=CYCLES_STREAM,
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            idempotency_key=idempotency_key,
            decide=lambda history, _org: decide_cycle(history, command),
        )

    async def set_north_star(
        self, conn: asyncpg.Connection, command: SetNorthStar, idempotency_key: str | None = None
    ) -> AppendResult:
        return await self.run(
            conn,
            stream_id=NORTH_STAR_STREAM,
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            idempotency_key=idempotency_key,
            decide=lambda _history, _org: decide_north_star(command),
        )
