"""Who may call Northstar, stored: API clients (bearer tokens kept as SHA-256 digests, each
with one role; people's tokens also name the person and the org unit they act for), and people's
logins (users with scrypt password digests, one-time login links, sessions with a CSRF token).
The API reads these; the CLI and the demo write them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

SESSION_TTL = timedelta(hours=8)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

SYSTEM_ROLES = ("ingest", "reader", "admin")
PEOPLE_ROLES = ("hq_admin", "manager", "hrbp", "rep", "auditor")
ROLES = SYSTEM_ROLES + PEOPLE_ROLES


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    role: str
    person_id: str | None = None
    unit_id: str | None = None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_client(
    conn: asyncpg.Connection,
    name: str,
    role: str,
    person_id: str | None = None,
    unit_id: str | None = None,
) -> str:
    """Create or rotate a client's token; the plain token is returned once and never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if (role in PEOPLE_ROLES) != (person_id is not None and unit_id is not None):
        raise ValueError(f"roles {', '.join(PEOPLE_ROLES)} need a person and a unit; others none")
    token = "ns_" + secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO api_client (name, token_hash, role, person_id, unit_id)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET"
        " token_hash = excluded.token_hash, role = excluded.role,"
        " person_id = excluded.person_id, unit_id = excluded.unit_id",
        name,
        token_digest(token),
        role,
        person_id,
        unit_id,
    )
    return token


async def client_for(conn: asyncpg.Connection, token: str) -> Client | None:
    row = await conn.fetchrow(
        "SELECT name, role, person_id, unit_id FROM api_client WHERE token_hash = $1",
        token_digest(token),
    )
    return Client(**dict(row)) if row else None


async def list_clients(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT name, role, person_id, unit_id FROM api_client ORDER BY name")
    return [dict(r) for r in rows]


async def revoke_client(conn: asyncpg.Connection, name: str) -> bool:
    """Forget the client's token digest; False if there is no such client."""
    return (
        await conn.fetchval("DELETE FROM api_client WHERE name = $1 RETURNING true", name) or False
    )


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


async def add_user(
    conn: asyncpg.Connection,
    username: str,
    role: str,
    person_id: str,
    unit_id: str,
    password: str | None,
) -> None:
    if role not in PEOPLE_ROLES:
        raise ValueError(f"role must be one of {', '.join(PEOPLE_ROLES)}")
    if password is not None and len(password) < 12:
        raise ValueError("password: at least 12 characters")
    await conn.execute(
        "INSERT INTO app_user (username, person_id, role, unit_id, password_hash)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO UPDATE SET"
        " person_id = excluded.person_id, role = excluded.role, unit_id = excluded.unit_id,"
        " password_hash = COALESCE(excluded.password_hash, app_user.password_hash)",
        username,
        person_id,
        role,
        unit_id,
        hash_password(password) if password else None,
    )


async def create_login_link(conn: asyncpg.Connection, username: str, valid_for: timedelta) -> str:
    """A single-use token for `username`; only its digest is kept."""
    if not await conn.fetchval("SELECT 1 FROM app_user WHERE username = $1", username):
        raise ValueError(f"no user {username!r}")
    token = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO login_link (token_hash, username, expires_at) VALUES ($1, $2, $3)",
        token_digest(token),
        username,
        datetime.now(UTC) + valid_for,
    )
    return token


async def user_by_password(conn: asyncpg.Connection, username: str, password: str) -> str | None:
    stored = await conn.fetchval("SELECT password_hash FROM app_user WHERE username = $1", username)
    # the same work whether or not the user exists, so timing does not tell
    ok = password_matches(password, stored or hash_password("x", b"\0" * 16))
    return username if ok and stored else None


async def user_by_link(conn: asyncpg.Connection, token: str) -> str | None:
    """The link's user, if it is unused and unexpired; it is used up by this call."""
    return await conn.fetchval(
        "UPDATE login_link SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL"
        " AND expires_at > now() RETURNING username",
        token_digest(token),
    )


async def open_session(conn: asyncpg.Connection, username: str) -> tuple[str, str]:
    """(session token for the cookie, CSRF token for the page). Expired sessions and login
    links of everyone are deleted on the way (both tables stay the size of what is live)."""
    await conn.execute("DELETE FROM user_session WHERE expires_at <= now()")
    await conn.execute("DELETE FROM login_link WHERE expires_at <= now()")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await conn.execute(
        "INSERT INTO user_session (token_hash, username, csrf_token, expires_at)"
        " VALUES ($1, $2, $3, $4)",
        token_digest(token),
        username,
        csrf,
        datetime.now(UTC) + SESSION_TTL,
    )
    return token, csrf


async def session_client(conn: asyncpg.Connection, token: str) -> tuple[Client, str] | None:
    """The person behind a live session, and its CSRF token."""
    row = await conn.fetchrow(
        "SELECT u.username, u.role, u.person_id, u.unit_id, s.csrf_token FROM user_session s"
        " JOIN app_user u USING (username) WHERE s.token_hash = $1 AND s.expires_at > now()",
        token_digest(token),
    )
    if row is None:
        return None
    client = Client(f"user:{row['username']}", row["role"], row["person_id"], row["unit_id"])
    return client, row["csrf_token"]


async def close_session(conn: asyncpg.Connection, token: str) -> None:
    await conn.execute("DELETE FROM user_session WHERE token_hash = $1", token_digest(token))


async def list_users(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT u.username, u.role, u.person_id, u.unit_id,"
        " u.password_hash IS NOT NULL AS has_password,"
        " (SELECT count(*) FROM user_session s WHERE s.username = u.username"
        "  AND s.expires_at > now()) AS sessions"
        " FROM app_user u ORDER BY u.username"
    )
    return [dict(r) for r in rows]


async def remove_user(conn: asyncpg.Connection, username: str) -> bool:
    """Delete the user; sessions and login links go with it (ON DELETE CASCADE)."""
    deleted = await conn.fetchval(
        "DELETE FROM app_user WHERE username = $1 RETURNING true", username
    )
    return bool(deleted)
