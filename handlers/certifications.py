"""Command handling for certification: the decision needs the person's unit, whether the
evaluation suggested them for that cycle (its alert is in the outbox) and HQ's strategic
projects, read in the command's transaction."""

from __future__ import annotations

import asyncpg

from domain.alerts import rule_alert_id
from domain.certifications import CERTIFICATION, CertificationCommand, CertificationContext
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult
from projections.okr.certifications import certification_facts


class CertificationCommandHandler(StreamCommands):
    async def handle(
        self,
        conn: asyncpg.Connection,
        command: CertificationCommand,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        async with conn.transaction():
            alert_id = rule_alert_id("certification", command.person_id, command.cycle_id)
            unit, suggested, projects = await certification_facts(conn, command.person_id, alert_id)
            result, _ = await self.run(
                conn,
                CERTIFICATION,
                command,
                lambda org: CertificationContext(org, unit, suggested, projects),
                idempotency_key,
            )
        return result
