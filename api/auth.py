"""Bearer-token lookups on the API's hot path, cached briefly."""

from __future__ import annotations

import time

import asyncpg

from infra.postgres.accounts import Client, client_for, token_digest


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
