"""Per-client bearer tokens, stored as SHA-256 digests, each with one role."""

from __future__ import annotations

import hashlib
import secrets

import asyncpg

ROLES = ("ingest", "reader", "admin")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_client(conn: asyncpg.Connection, name: str, role: str) -> str:
    """Create or rotate a client's token; the plain token is returned once and never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = "ns_" + secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO api_client (name, token_hash, role) VALUES ($1, $2, $3)"
        " ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, role = excluded.role",
        name,
        token_digest(token),
        role,
    )
    return token


async def client_for(conn: asyncpg.Connection, token: str) -> tuple[str, str] | None:
    row = await conn.fetchrow(
        "SELECT name, role FROM api_client WHERE token_hash = $1", token_digest(token)
    )
    return (row["name"], row["role"]) if row else None
