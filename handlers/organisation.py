"""Command handling for the org stream, and the CSV import that drives it."""

from __future__ import annotations

import asyncpg

from domain.organisation import ORG_STREAM, OrgCommand, decide_org, org_state
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class OrgCommandHandler(StreamCommands):
    async def handle(
        self, conn: asyncpg.Connection, command: OrgCommand, idempotency_key: str | None = None
    ) -> AppendResult:
        return await self.run(
            conn,
            stream_id=ORG_STREAM,
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            idempotency_key=idempotency_key,
            decide=lambda history, _org: decide_org(org_state(history), command),
        )
