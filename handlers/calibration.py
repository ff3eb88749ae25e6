"""Command handling for calibration meetings."""

from __future__ import annotations

import asyncpg

from domain.calibration import CALIBRATION, CalibrationCommand, CalibrationContext
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
        return (
            await self.run(
                conn,
                CALIBRATION,
                command,
                lambda org: CalibrationContext(org, cycles),
                idempotency_key,
            )
        )[0]
