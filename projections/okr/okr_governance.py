"""Projection: each region's OKR governance mode, and the HRBP proposals HQ decides on."""

from __future__ import annotations

import json

import asyncpg

from domain.event_chain import RecordedEvent
from domain.okr_governance import GOVERNANCE, GOVERNANCE_STREAM, GovernanceModeSet
from domain.okr_proposals import (
    PROPOSAL_EVENTS,
    PROPOSAL_STREAMS,
    GoalProposed,
    ProposalApproved,
    ProposalRejected,
)


async def apply_governance_event(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    """One recorded event's effect on the policy and proposal rows (others change nothing)."""
    at, by = recorded.occurred_at, recorded.actor
    if recorded.stream_id == GOVERNANCE_STREAM:
        event = GOVERNANCE.events.decode(recorded)
        if isinstance(event, GovernanceModeSet):
            await conn.execute(
                "INSERT INTO okr_governance (region_id, mode, reason, set_by, set_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region_id) DO UPDATE SET"
                " mode = EXCLUDED.mode, reason = EXCLUDED.reason, set_by = EXCLUDED.set_by,"
                " set_at = EXCLUDED.set_at",
                event.region_id,
                event.mode,
                event.reason,
                by,
                at,
            )
        return
    proposal_id = PROPOSAL_STREAMS.id_of(recorded.stream_id)
    if proposal_id is None:
        return
    match PROPOSAL_EVENTS.decode(recorded):
        case GoalProposed() as e:
            await conn.execute(
                "INSERT INTO okr_proposal (proposal_id, goal, goal_id, title, owner_unit_id,"
                " region_id, definition, proposed_by, proposed_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)",
                proposal_id,
                e.goal,
                e.goal_id,
                e.title,
                e.owner_unit_id,
                e.region_id,
                json.dumps(e.definition, ensure_ascii=False),
                by,
                at,
            )
        case ProposalApproved() as e:
            await _decided(conn, proposal_id, "approved", by, recorded, e.note)
        case ProposalRejected() as e:
            await _decided(conn, proposal_id, "rejected", by, recorded, e.reason)


async def _decided(
    conn: asyncpg.Connection,
    proposal_id: str,
    status: str,
    by: str,
    recorded: RecordedEvent,
    note: str,
) -> None:
    await conn.execute(
        "UPDATE okr_proposal SET status = $2, decided_by = $3, decided_at = $4,"
        " decision_note = $5 WHERE proposal_id = $1",
        proposal_id,
        status,
        by,
        recorded.occurred_at,
        note,
    )
