"""A process says it is alive: one row per process name in `process_heartbeat`, on a small
connection of its own (never the one its work runs on). A failed beat is only logged."""

from __future__ import annotations

import asyncio
import os
import socket

import asyncpg
import structlog

from infra.postgres.db import connect
from infra.settings import Settings

log = structlog.get_logger("northstar.heartbeat")
BEAT_EVERY_S = 2.0
UP_WITHIN_S = 10.0  # a process whose last beat is older is reported down


class Heartbeat:
    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        instance = settings.process_instance
        if instance == "@hostname":
            instance = socket.gethostname()
        self.name = f"{name}@{instance}" if instance else name
        self.restarts = int(os.environ.get("NORTHSTAR_RESTARTS", "0") or 0)
        self._conn: asyncpg.Connection | None = None
        self._first = True

    async def beat(self) -> None:
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await connect(self.settings.dsn, timeout=2.0)
            await self._conn.execute(
                "INSERT INTO process_heartbeat (name, pid, started_at, beat_at, restarts)"
                " VALUES ($1, $2, now(), now(), $3) ON CONFLICT (name) DO UPDATE SET"
                " pid = excluded.pid, beat_at = excluded.beat_at,"
                " started_at = CASE WHEN $4 THEN excluded.started_at"
                " ELSE process_heartbeat.started_at END,"
                " restarts = CASE WHEN $4 THEN excluded.restarts"
                " ELSE process_heartbeat.restarts END",
                self.name,
                os.getpid(),
                self.restarts,
                self._first,
                timeout=2.0,
            )
            self._first = False
        except Exception as exc:  # the process's work matters more than its heartbeat
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.terminate()
            log.debug("heartbeat_failed", process=self.name, error=repr(exc))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.beat()
            try:
                await asyncio.wait_for(stop.wait(), BEAT_EVERY_S)
            except TimeoutError:
                pass
        if self._conn is not None:
            self._conn.terminate()
