"""Connections and schema migrations for Northstar's PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import asyncpg

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: serialises concurrent migrators (demo start, tests, CI) on one database.
_MIGRATION_LOCK = 7_242_001


async def connect(dsn: str, timeout: float = 10.0) -> asyncpg.Connection:
    return await asyncpg.connect(dsn, timeout=timeout)


async def create_pool(dsn: str, size: int = 4) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size)
    assert pool is not None
    return pool


async def migrate(dsn: str) -> list[str]:
    """Apply every migration file not yet recorded, in name order; returns those applied."""
    conn = await connect(dsn)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migration")}
        for path in sorted(MIGRATIONS.glob("*.sql")):
            if path.stem in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migration (version) VALUES ($1)", path.stem)
            applied.append(path.stem)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        await conn.close()
    return applied
