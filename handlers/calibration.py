"""Command handling for calibration meetings: recorded outcomes take effect in the same
transaction — each weight change on its objective, each verdict in its KR's history, each
escalation in the target level's inbox — through those aggregates' own deciders, or nothing is
recorded."""

from __future__ import annotations

from datetime import datetime, tzinfo

import asyncpg
import structlog

from domain.calibration import (
    CALIBRATION,
    CalibrationCommand,
    CalibrationContext,
    ObjectiveOwner,
    RecordCalibrationOutcomes,
    follow_on_commands,
)
from domain.calibration_cadence import (
    CADENCE,
    Cadence,
    SetCalibrationCadence,
    meeting_to_schedule,
    next_meeting_at,
)
from domain.escalations import ESCALATION, OpenEscalation
from domain.event_chain import derive_event_id
from domain.kernel import DomainError
from domain.key_result.commands import RecordHealthVerdict
from domain.key_result.decide import KEY_RESULT
from domain.objectives import OBJECTIVES
from domain.okr_governance import GoalContext
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult
from projections.reads import okr_reads

log = structlog.get_logger("northstar.handlers")


class CalibrationCommandHandler(StreamCommands):
    async def handle(
        self,
        conn: asyncpg.Connection,
        command: CalibrationCommand,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        cycles = await self.defined_cycles(conn)
        async with conn.transaction():
            result, state = await self.run(
                conn,
                CALIBRATION,
                command,
                lambda org: CalibrationContext(org, cycles),
                idempotency_key,
            )
            if state is not None and isinstance(command, RecordCalibrationOutcomes):
                await self._take_effect(conn, command)
        return result

    async def _take_effect(
        self, conn: asyncpg.Connection, outcomes: RecordCalibrationOutcomes
    ) -> None:
        owners: dict[str, ObjectiveOwner] = {}
        for change in outcomes.weight_changes:
            defined = await self.store.claim_holder(conn, "objective", change.objective_id)
            if defined is not None:
                owners[change.objective_id] = ObjectiveOwner(
                    defined.payload["owner_person_id"], defined.payload["cycle_id"]
                )
        cause = derive_event_id(outcomes.command_id, 0)  # the outcomes event
        for command in follow_on_commands(outcomes, owners, self.respond_within):
            try:
                if isinstance(command, RecordHealthVerdict):
                    await self.run(conn, KEY_RESULT, command, GoalContext, None, cause)
                elif isinstance(command, OpenEscalation):
                    await self.run(conn, ESCALATION, command, lambda org: org, None, cause)
                else:
                    context = await self.portfolio_context(conn, command)
                    await self.run(conn, OBJECTIVES, command, context, None, cause)
            except DomainError as refused:
                what = (
                    f"verdict on {command.kr_id}"
                    if isinstance(command, RecordHealthVerdict)
                    else f"escalation of {command.kr_id}"
                    if isinstance(command, OpenEscalation)
                    else f"weight change for {command.objective_id}"
                )
                raise type(refused)(f"{what}: {refused}") from refused

    async def set_cadence(
        self,
        conn: asyncpg.Connection,
        command: SetCalibrationCadence,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return (await self.run(conn, CADENCE, command, lambda org: org, idempotency_key))[0]

    async def schedule_due(self, conn: asyncpg.Connection, now: datetime, zone: tzinfo) -> int:
        """Schedule each unit's next meeting its rhythm calls for (once: the same unit and day
        give the same ids, so a second scheduler or a retry records nothing new); a day no
        defined cycle covers is passed over. Returns how many were newly scheduled."""
        scheduled = 0
        for row in await okr_reads.cadences(conn):
            cadence = Cadence(
                row["unit_id"], row["every_days"], row["first_at"], row["duration_minutes"]
            )
            day = next_meeting_at(cadence, now).astimezone(zone).date()
            cycle_id = await okr_reads.cycle_of_day(conn, day)
            if cycle_id is None:
                log.warning("calibration_not_scheduled", unit_id=cadence.unit_id, day=str(day))
                continue
            command = meeting_to_schedule(cadence, now, cycle_id, zone)
            try:
                result = await self.handle(conn, command)
            except DomainError as refused:  # e.g. someone booked that meeting id by hand
                log.warning(
                    "calibration_not_scheduled", unit_id=cadence.unit_id, error=str(refused)
                )
                continue
            scheduled += not result.replayed
        return scheduled
