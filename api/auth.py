"""Per-client bearer tokens, stored as SHA-256 digests, each with one role; people's tokens
also name the person and the org unit they act for."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import asyncpg

SYSTEM_ROLES = ("ingest", "reader", "admin")
PEOPLE_ROLES = ("hq_admin", "manager", "rep", "auditor")
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


class TokenCache:
    """Recent token lookups, so a busy client costs one query per `ttl_s` instead of one per
    request; a rotated or revoked token stops working within `ttl_s`."""

    def __init__(self, ttl_s: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Client | None]] = {}

    async def lookup(self, pool: asyncpg.Pool, token: str) -> Client | None:
        digest = token_digest(token)
        now = time.monotonic()
        cached = self._entries.get(digest)
        if cached is not None and now - cached[0] < self.ttl_s:
            return cached[1]
        async with pool.acquire() as conn:
            client = await client_for(conn, token)
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[digest] = (now, client)
        return client


async def list_clients(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT name, role, person_id, unit_id FROM api_client ORDER BY name")
    return [dict(r) for r in rows]


async def revoke_client(conn: asyncpg.Connection, name: str) -> bool:
    """Forget the client's token digest; False if there is no such client."""
    return (
        await conn.fetchval("DELETE FROM api_client WHERE name = $1 RETURNING true", name) or False
    )
