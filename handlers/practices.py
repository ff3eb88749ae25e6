"""Command handling for shared practices."""

from __future__ import annotations

import asyncpg

from domain.practices import PRACTICE, PracticeCommand
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class PracticeCommandHandler(StreamCommands):
    async def handle(
        self,
        conn: asyncpg.Connection,
        command: PracticeCommand,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return (await self.run(conn, PRACTICE, command, lambda org: org, idempotency_key))[0]
