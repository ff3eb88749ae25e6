"""Command handling for shared practices."""

from __future__ import annotations

import asyncpg

from domain.practices import PracticeCommand, decide_practice, practice_stream
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class PracticeCommandHandler(StreamCommands):
    async def handle(
        self,
        conn: asyncpg.Connection,
        command: PracticeCommand,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return await self.run(
            conn,
            stream_id=practice_stream(command.practice_id),
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            idempotency_key=idempotency_key,
            decide=lambda history, org: decide_practice(history, command, org),
        )
