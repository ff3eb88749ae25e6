"""The worker's in-memory copy of the org tree, reloaded when a sale names an unknown rep. It
is read from the org stream of the event store, not from the `org_unit` read model: a rep HQ
has created is known as soon as the event is committed, so a sale that names them right away
is counted instead of dead-lettered as from an unknown rep while the OKR agent catches up."""

from __future__ import annotations

import math
import time

import asyncpg

from domain.org_tree import OrgTree
from infra.postgres.event_store import EventStore
from infra.postgres.org_stream import RecordedOrg


class OrgDirectory:
    def __init__(self, max_age_s: float = 2.0) -> None:
        self.tree: OrgTree | None = None
        self.max_age_s = max_age_s
        self._loaded_at = -math.inf
        self._recorded = RecordedOrg(EventStore(topic=""))  # reads only: no topic to copy to

    async def load(self, conn: asyncpg.Connection) -> OrgTree:
        self.tree = await self._recorded(conn)
        self._loaded_at = time.monotonic()
        return self.tree

    async def current(self, conn: asyncpg.Connection) -> OrgTree:
        """The tree, reloaded when older than `max_age_s` (building it costs ~0.4 ms, a large
        share of a command's time; org changes show up within that many seconds)."""
        if self.tree is None or time.monotonic() - self._loaded_at > self.max_age_s:
            return await self.load(conn)
        return self.tree

    async def known_reps(self, conn: asyncpg.Connection, rep_ids: set[str]) -> set[str]:
        """Which of `rep_ids` are reps of the tree, reloading it once if any is unknown."""
        if self.tree is None or any(not self.tree.is_rep(r) for r in rep_ids):
            await self.load(conn)
        if self.tree is None:
            return set()
        return {r for r in rep_ids if self.tree.is_rep(r)}

    def chain_of(self, rep_id: str) -> tuple[str, ...]:
        """The rep and the units above it; only called for reps `known_reps` confirmed."""
        if self.tree is None:
            raise LookupError(f"no org tree is loaded (rep {rep_id!r})")
        return self.tree.ancestors_and_self(rep_id)
