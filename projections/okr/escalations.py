"""Projection: escalations as the inboxes show them — open, acknowledged, resolved, due when."""

from __future__ import annotations

import asyncpg

from domain.escalations import (
    EscalationAcknowledged,
    EscalationOpened,
    EscalationResolved,
    escalation_event_of,
    escalation_of_stream,
)
from domain.event_chain import RecordedEvent


async def apply_escalation_event(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    """One recorded event's effect on the escalations (other streams' events change nothing)."""
    escalation_id = escalation_of_stream(recorded.stream_id)
    if escalation_id is None:
        return
    at, by = recorded.occurred_at, recorded.actor
    match escalation_event_of(recorded):
        case EscalationOpened() as e:
            await conn.execute(
                "INSERT INTO okr_escalation (escalation_id, kr_id, to_unit_id, to_person_id,"
                " note, source, meeting_id, raised_by, raised_at, due_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                escalation_id,
                e.kr_id,
                e.to_unit_id,
                e.to_person_id,
                e.note,
                e.source,
                e.meeting_id,
                by,
                at,
                e.due_at,
            )
        case EscalationAcknowledged() as e:
            await conn.execute(
                "UPDATE okr_escalation SET acknowledged_by = $2, acknowledged_at = $3,"
                " acknowledge_note = $4 WHERE escalation_id = $1",
                escalation_id,
                by,
                at,
                e.note,
            )
        case EscalationResolved() as e:
            await conn.execute(
                "UPDATE okr_escalation SET resolved_by = $2, resolved_at = $3, resolution = $4"
                " WHERE escalation_id = $1",
                escalation_id,
                by,
                at,
                e.note,
            )
