"""Command handling for escalations: acknowledged and resolved at the level they name."""

from __future__ import annotations

import asyncpg

from domain.escalations import ESCALATION, EscalationCommand
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class EscalationCommandHandler(StreamCommands):
    async def handle(
        self,
        conn: asyncpg.Connection,
        command: EscalationCommand,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return (await self.run(conn, ESCALATION, command, lambda org: org, idempotency_key))[0]
