"""Command handling for KR streams."""

from __future__ import annotations

import asyncpg

from domain.key_result.commands import KrCommand
from domain.key_result.decide import KEY_RESULT
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class KeyResultCommandHandler(StreamCommands):
    async def handle(
        self, conn: asyncpg.Connection, command: KrCommand, idempotency_key: str | None = None
    ) -> AppendResult:
        return (await self.run(conn, KEY_RESULT, command, lambda org: org, idempotency_key))[0]
