"""Applying the read scope (`domain/access.py`) to people reading goals: refusals are logged
with who, what and why, and answered 403."""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import Request

from api.problems import ProblemError
from domain.access import SEES_EVERYTHING, read_refusal, unit_refusal
from infra.postgres.accounts import Client
from projections.reads import okr_reads

log = structlog.get_logger("northstar.api")


class ReadScope:
    """One viewer's scope for the length of a request."""

    def __init__(self, request: Request, client: Client) -> None:
        self.request = request
        self.client = client
        self._chain: set[str] | None = None

    async def chain(self, conn: asyncpg.Connection) -> set[str]:
        if self._chain is None:
            if self.client.role in SEES_EVERYTHING:
                self._chain = set()
            else:
                self._chain = await okr_reads.alignment_of_person(conn, self.client.person_id)
        return self._chain

    async def refusal(
        self,
        conn: asyncpg.Connection,
        owner_person_id: str,
        owner_unit_id: str,
        objective_ids: set[str],
    ) -> str | None:
        """Why the viewer may not read a goal (None: they may); `objective_ids` are the goal
        itself if it is an objective, or the objectives a KR belongs to."""
        org = await self.request.app.state.org.current(conn)
        first = read_refusal(
            self.client.role,
            self.client.person_id or "",
            self.client.unit_id or "",
            owner_person_id,
            owner_unit_id,
            org,
        )
        if first is None or not objective_ids:
            return first
        on_chain = bool(objective_ids & await self.chain(conn))
        return None if on_chain else first

    async def require_unit(self, conn: asyncpg.Connection, unit_id: str) -> None:
        """Reads about a whole unit (its calibration agenda): its managers, HQ, auditors."""
        org = await self.request.app.state.org.current(conn)
        reason = unit_refusal(self.client.role, self.client.unit_id or "", unit_id, org)
        if reason is not None:
            self._refuse(f"unit {unit_id!r}", reason)

    async def require_known_unit(self, conn: asyncpg.Connection, unit_id: str) -> None:
        """As `require_unit`, for a unit that must exist (404 otherwise)."""
        org = await self.request.app.state.org.current(conn)
        if unit_id not in org.units:
            raise ProblemError(404, "NotFound", f"unknown org unit {unit_id!r}")
        await self.require_unit(conn, unit_id)

    async def require(
        self,
        conn: asyncpg.Connection,
        what: str,
        owner_person_id: str,
        owner_unit_id: str,
        objective_ids: set[str],
    ) -> None:
        reason = await self.refusal(conn, owner_person_id, owner_unit_id, objective_ids)
        if reason is not None:
            self._refuse(what, reason)

    def _refuse(self, what: str, reason: str) -> None:
        log.warning(
            "access_denied",
            client=self.client.name,
            person=self.client.person_id,
            role=self.client.role,
            what=what,
            path=self.request.url.path,
            why=reason,
        )
        raise ProblemError(403, "Forbidden", f"{what} is {reason}")


async def readable_kr(
    request: Request, client: Client, conn: asyncpg.Connection, kr_id: str
) -> asyncpg.Record:
    """The KR's read-model row, if it exists (404) and the person may read it (403)."""
    row = await okr_reads.key_result(conn, kr_id)
    if row is None:
        raise ProblemError(404, "NotFound", f"key result {kr_id!r} does not exist")
    await ReadScope(request, client).require(
        conn,
        f"key result {kr_id!r}",
        row["owner_person_id"],
        row["owner_unit_id"],
        await okr_reads.kr_objectives(conn, kr_id),
    )
    return row
