"""Command handling for calibration meetings."""

from __future__ import annotations

import asyncpg

from domain.calibration import (
    CalibrationCommand,
    decide_calibration,
    meeting_state,
    meeting_stream,
)
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class CalibrationCommandHandler(StreamCommands):
    async def handle(
        self,
        conn: asyncpg.Connection,
        command: CalibrationCommand,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        cycles = await self.defined_cycles(conn)
        return await self.run(
            conn,
            stream_id=meeting_stream(command.meeting_id),
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            idempotency_key=idempotency_key,
            decide=lambda history, org: decide_calibration(
                meeting_state(history), command, org, cycles
            ),
        )
