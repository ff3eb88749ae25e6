"""Projection of the org stream: `org_unit` and `person` rows, read by the worker's org
directory, every scope check and the board. Applied by the OKR agent in the same transaction as
the OKR read models (one stream position per stream)."""

from __future__ import annotations

import asyncpg

from domain.event_chain import RecordedEvent
from domain.organisation import OrgUnitCreated, PersonRegistered, PersonRoleChanged, org_event_of


async def apply_org_event(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    """One recorded event's effect on the org rows (events of other streams change nothing)."""
    event = org_event_of(recorded)
    match event:
        case OrgUnitCreated():
            await conn.execute(
                "INSERT INTO org_unit (id, name, level, parent_id) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level,"
                " parent_id = excluded.parent_id",
                event.unit_id,
                event.name,
                event.level,
                event.parent_id,
            )
        case PersonRegistered():
            await conn.execute(
                "INSERT INTO person (person_id, name, role, unit_id, updated_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                event.person_id,
                event.name,
                event.role,
                event.unit_id,
                recorded.occurred_at,
            )
        case PersonRoleChanged():
            await conn.execute(
                "UPDATE person SET role = $2, unit_id = $3, updated_at = $4 WHERE person_id = $1",
                event.person_id,
                event.role,
                event.unit_id,
                recorded.occurred_at,
            )
