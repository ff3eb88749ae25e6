"""The command side's org tree, read from its own store: the org stream's events, folded once
and then only the events added since (one indexed query per command when nothing changed). A
unit HQ just created is known to the very next command, before any read model has it."""

from __future__ import annotations

import uuid

import asyncpg

from domain.org_tree import OrgTree
from domain.organisation import ORG_STREAM, ORGANISATION, OrgState
from infra.postgres.event_store import EventStore


class RecordedOrg:
    """An `OrgSource`: the tree as the org stream says now (None before HQ exists)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.state = OrgState()
        self.version = 0
        self.last_event_id: uuid.UUID | None = None
        self.tree: OrgTree | None = None

    async def __call__(self, conn: asyncpg.Connection) -> OrgTree:
        row = await conn.fetchrow(_LATEST, ORG_STREAM, self.version)
        if row["latest"] != self.version or row["event_id"] != self.last_event_id:
            if row["event_id"] != self.last_event_id:  # a rolled-back append was folded
                self.state, self.version = OrgState(), 0
            added = await self.store.load(conn, ORG_STREAM, after_version=self.version)
            for stamped in ORGANISATION.events.stamped(added):
                self.state = ORGANISATION.evolve(self.state, stamped)
            if added:
                self.version, self.last_event_id = added[-1].version, added[-1].event_id
            self.tree = self.state.tree()
        return self.tree  # type: ignore[return-value]


# The org stream's last version, and the id of the event at the version folded so far.
_LATEST = """
SELECT coalesce((SELECT max(version) FROM event_store WHERE stream_id = $1), 0) AS latest,
       (SELECT event_id FROM event_store WHERE stream_id = $1 AND version = $2) AS event_id
"""
