"""One database connection per handler, and the in-place retry loop every agent uses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import structlog

from infra.failures import backoff_seconds, is_transient

log = structlog.get_logger("northstar.streams")
T = TypeVar("T")


class RetryingConnection:
    """Runs a step on a live connection; transient failures reconnect and retry the step,
    anything else propagates (the agent then exits hard)."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]], name: str) -> None:
        self.connect = connect
        self.name = name
        self._conn: asyncpg.Connection | None = None

    async def run(self, step: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await self.connect()
                return await step(self._conn)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                conn, self._conn = self._conn, None
                if conn is not None:
                    conn.terminate()
                delay = backoff_seconds(attempt)
                log.warning(
                    "projection_retry",
                    projection=self.name,
                    error=repr(exc),
                    attempt=attempt,
                    delay_s=delay,
                )
                attempt += 1
                await asyncio.sleep(delay)
