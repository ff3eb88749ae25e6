"""Logging in and out: a password or a one-time link opens a session (cookie + CSRF token)."""

from __future__ import annotations

from typing import Any, Literal

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import Field

from api.commands import Body
from api.deps import PersonClient
from api.problems import ProblemError
from api.sessions import SESSION_COOKIE
from infra.postgres.accounts import (
    SESSION_TTL,
    close_session,
    open_session,
    session_client,
    user_by_link,
    user_by_password,
)
from projections.reads import okr_reads

router = APIRouter(prefix="/v1/session", tags=["session"])
log = structlog.get_logger("northstar.api")


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


@router.post("")
async def log_in(request: Request, body: LoginBody, response: Response) -> dict[str, Any]:
    """Username and password -> a session cookie (HttpOnly, SameSite=Strict) and the CSRF
    token to send as X-CSRF-Token with every state-changing request."""
    async with request.app.state.pool.acquire() as conn:
        username = await user_by_password(conn, body.username, body.password)
        if username is None:
            log.warning("login_refused", username=body.username)
            raise ProblemError(401, "Wrong username or password")
        return await _started(conn, username, response)


@router.get("/link/{token}", response_model=None)
async def log_in_by_link(
    request: Request, token: str, response: Response, then: Literal["board"] | None = None
) -> dict[str, Any] | Response:
    """A one-time login link printed by `northstar users login-link`; with `?then=board` the
    browser lands on the board."""
    async with request.app.state.pool.acquire() as conn:
        username = await user_by_link(conn, token)
        if username is None:
            log.warning("login_link_refused")
            raise ProblemError(401, "This login link is unknown, used or expired")
        if then == "board":
            redirect = RedirectResponse("/board", status_code=303)
            await _started(conn, username, redirect)
            return redirect
        return await _started(conn, username, response)


@router.get("")
async def who_am_i(request: Request, client: PersonClient) -> dict[str, Any]:
    """Who is logged in; a cookie session also gets its CSRF token back (a page reloaded by
    the board needs it; another origin cannot read this answer)."""
    document: dict[str, Any] = {
        "person_id": client.person_id,
        "role": client.role,
        "unit_id": client.unit_id,
    }
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and not request.headers.get("authorization"):
        async with request.app.state.pool.acquire() as conn:
            found = await session_client(conn, cookie)
            name = await okr_reads.person_name(conn, client.person_id)
        if found is not None:
            document["csrf_token"] = found[1]
        document["name"] = name or client.person_id
    return document


@router.delete("", status_code=204)
async def log_out(request: Request, client: PersonClient, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with request.app.state.pool.acquire() as conn:
            await close_session(conn, token)
    response.delete_cookie(SESSION_COOKIE, path="/")


async def _started(conn: Any, username: str, response: Response) -> dict[str, Any]:
    token, csrf = await open_session(conn, username)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        path="/",
    )
    log.info("logged_in", username=username)
    return {"username": username, "csrf_token": csrf}
