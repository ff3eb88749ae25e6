"""Authentication and role checks shared by every route."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import Depends, Request

from api.auth import PEOPLE_ROLES, Client
from api.problems import ProblemError

log = structlog.get_logger("northstar.api")


def require(*roles: str) -> Any:
    async def check(request: Request) -> Client:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ProblemError(
                401, "Authentication required", "send 'Authorization: Bearer <token>'"
            )
        client = await request.app.state.tokens.lookup(request.app.state.pool, token.strip())
        if client is None:
            raise ProblemError(401, "Unknown or revoked token")
        if client.role not in roles:
            log.warning(
                "access_denied", client=client.name, role=client.role, path=request.url.path
            )
            raise ProblemError(403, "Forbidden", f"role {client.role!r} may not call this endpoint")
        return client

    return Depends(check)


IngestClient = Annotated[Client, require("ingest", "admin")]
ReaderClient = Annotated[Client, require("reader", "admin", "auditor")]
PersonClient = Annotated[Client, require(*PEOPLE_ROLES)]
# Auditors read everything and write nothing: every write endpoint takes a WriterClient.
WriterClient = Annotated[Client, require(*(r for r in PEOPLE_ROLES if r != "auditor"))]
AlertClient = Annotated[Client, require("reader", "admin", *PEOPLE_ROLES)]
AuditClient = Annotated[Client, require("auditor", "hq_admin", "admin")]
