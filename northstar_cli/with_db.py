"""Running one piece of database work from a CLI command, on a connection of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from infra.settings import Settings


def with_connection(
    settings: Settings, work: Callable[[Any], Awaitable[Any]], dsn: str | None = None
) -> Any:
    """`await work(conn)` on a fresh connection (the app's, unless `dsn` names another role's),
    closed afterwards; returns what it returns."""
    from infra.postgres.db import connect

    async def run() -> Any:
        conn = await connect(dsn or settings.dsn)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())
