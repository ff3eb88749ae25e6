"""Authentication and role checks shared by every route."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request

from api.problems import ProblemError
from api.sessions import CSRF_HEADER, SESSION_COOKIE
from infra.postgres.accounts import PEOPLE_ROLES, Client, session_client

log = structlog.get_logger("northstar.api")


def require(*roles: str) -> Any:
    async def check(request: Request) -> Client:
        client = await _authenticated(request)
        if client.role not in roles:
            log.warning(
                "access_denied", client=client.name, role=client.role, path=request.url.path
            )
            raise ProblemError(403, "Forbidden", f"role {client.role!r} may not call this endpoint")
        return client

    return Depends(check)


async def _authenticated(request: Request) -> Client:
    """A bearer token (API clients, ingest producers) or a person's session cookie; a cookie
    alone never authorises a state-changing request: it must echo the session's CSRF token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        client = await request.app.state.tokens.lookup(request.app.state.pool, token.strip())
        if client is None:
            raise ProblemError(401, "Unknown or revoked token")
        return client
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise ProblemError(
            401, "Authentication required", "send 'Authorization: Bearer <token>' or log in"
        )
    async with request.app.state.pool.acquire() as conn:
        found = await session_client(conn, cookie)
    if found is None:
        raise ProblemError(401, "Session expired or unknown", "log in again")
    client, csrf = found
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, csrf):
            log.warning("csrf_refused", client=client.name, path=request.url.path)
            raise ProblemError(403, "Forbidden", f"missing or wrong {CSRF_HEADER} header")
    return client


IngestClient = Annotated[Client, require("ingest", "admin")]
# The metric catalogue and its progress: services, HQ and auditors (people use their board).
ReaderClient = Annotated[Client, require("reader", "admin", "auditor", "hq_admin")]
PersonClient = Annotated[Client, require(*PEOPLE_ROLES)]
# Auditors read everything and write nothing: every write endpoint takes a WriterClient.
WriterClient = Annotated[Client, require(*(r for r in PEOPLE_ROLES if r != "auditor"))]
AlertClient = Annotated[Client, require("reader", "admin", *PEOPLE_ROLES)]
AuditClient = Annotated[Client, require("auditor", "hq_admin", "admin")]
