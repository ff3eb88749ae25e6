"""The worker's in-memory copy of the org tree, reloaded when a sale names an unknown rep."""

from __future__ import annotations

import asyncpg

from domain.org import OrgTree, OrgUnit


class OrgDirectory:
    def __init__(self) -> None:
        self.tree: OrgTree | None = None

    async def load(self, conn: asyncpg.Connection) -> OrgTree:
        rows = await conn.fetch("SELECT id, name, level, parent_id FROM org_unit")
        self.tree = OrgTree(OrgUnit(**dict(r)) for r in rows) if rows else None
        return self.tree  # type: ignore[return-value]

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
