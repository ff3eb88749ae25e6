"""Command handling for the org stream."""

from __future__ import annotations

import asyncpg

from domain.organisation import ORGANISATION, OrgCommand
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class OrgCommandHandler(StreamCommands):
    async def handle(
        self, conn: asyncpg.Connection, command: OrgCommand, idempotency_key: str | None = None
    ) -> AppendResult:
        return (await self.run(conn, ORGANISATION, command, lambda _org: None, idempotency_key))[0]
