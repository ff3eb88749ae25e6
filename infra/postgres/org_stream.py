"""The org tree as the store says it: the org stream's events, folded once and then only the
events added since (one indexed query per read when nothing changed). A unit HQ just created is
known at once, before any read model has it: to the very next command, and to the sales worker
the moment a sale names a rep it has not seen."""

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

    stream_id = ORG_STREAM

    async def __call__(self, conn: asyncpg.Connection) -> OrgTree:
        return await self.at_head(conn, await self.store.stream_head(conn, ORG_STREAM))

    async def at_head(
        self, conn: asyncpg.Connection, head: tuple[int, uuid.UUID | None]
    ) -> OrgTree:
        """The tree, given the org stream's head read in this transaction (a command reads it
        with its own stream: `EventStore.load_with_head`)."""
        if head != (self.version, self.last_event_id):
            if head[0] < self.version or (self.version and not await self._still_a_prefix(conn)):
                self.state, self.version, self.last_event_id = OrgState(), 0, None
            added = await self.store.load(conn, ORG_STREAM, after_version=self.version)
            for stamped in ORGANISATION.events.stamped(added):
                self.state = ORGANISATION.evolve(self.state, stamped)
            if added:
                self.version, self.last_event_id = added[-1].version, added[-1].event_id
            self.tree = self.state.tree()
        return self.tree  # type: ignore[return-value]

    async def _still_a_prefix(self, conn: asyncpg.Connection) -> bool:
        """Whether the event folded last is still in the stream at its version (an append
        folded from a transaction that then rolled back is not)."""
        events = await self.store.load(conn, ORG_STREAM, after_version=self.version - 1)
        return bool(events) and events[0].event_id == self.last_event_id
