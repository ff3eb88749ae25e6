"""Command handling for KR streams."""

from __future__ import annotations

import asyncpg

from domain.key_result_stream import KrCommand, decide, fold, kr_event_of, kr_stream
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class KeyResultCommandHandler(StreamCommands):
    async def handle(
        self, conn: asyncpg.Connection, command: KrCommand, idempotency_key: str | None = None
    ) -> AppendResult:
        return await self.run(
            conn,
            stream_id=kr_stream(command.kr_id),
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            idempotency_key=idempotency_key,
            decide=lambda history, org: decide(
                fold([(e, r.actor) for r in history if (e := kr_event_of(r)) is not None]),
                command,
                org,
            ),
        )
