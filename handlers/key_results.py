"""Command handling for KR streams; an escalated blocker also opens an escalation in the
target level's inbox, in the same transaction."""

from __future__ import annotations

import uuid

import asyncpg

from domain.escalations import ESCALATION, OpenEscalation
from domain.event_chain import derive_event_id
from domain.key_result.commands import DefineKeyResult, EscalateBlocker, KrCommand
from domain.key_result.decide import KEY_RESULT
from domain.okr_governance import GoalContext
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class KeyResultCommandHandler(StreamCommands):
    async def handle(
        self, conn: asyncpg.Connection, command: KrCommand, idempotency_key: str | None = None
    ) -> AppendResult:
        async with conn.transaction():
            governance = await self.governance(conn, isinstance(command, DefineKeyResult))
            result, state = await self.run(
                conn, KEY_RESULT, command, lambda org: GoalContext(org, governance), idempotency_key
            )
            if state is not None and isinstance(command, EscalateBlocker):
                await self._open_escalation(conn, command, state.open_blocker or "", result)
        return result

    async def _open_escalation(
        self, conn: asyncpg.Connection, command: EscalateBlocker, blocker: str, result: AppendResult
    ) -> None:
        note = f"{blocker} — {command.note}" if command.note else blocker
        opening = OpenEscalation(
            command_id=uuid.uuid5(command.command_id, "escalation"),
            escalation_id=f"{command.kr_id}:v{result.first_version}",
            actor=command.actor,
            at=command.at,
            kr_id=command.kr_id,
            to_unit_id=command.to_unit_id,
            to_person_id=command.to_person_id,
            note=note[:2000],
            source="owner",
            respond_within=self.respond_within,
        )
        cause = derive_event_id(command.command_id, 0)
        await self.run(conn, ESCALATION, opening, lambda org: org, None, cause)
