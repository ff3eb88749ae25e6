"""Stage 2 in a worker: folds the `kr_delta` messages of the KR shards this worker owns (the
numbers of the sales partitions Kafka assigned it) into KR progress, health and alerts. It wakes
when this worker's stage 1 leaves messages, and looks for other workers' messages for its shards
every `POLL_S` (a NOTIFY would serialise every commit on PostgreSQL's notification queue lock);
a shard whose messages wait longer than `ORPHAN_AFTER_S` (its owner died or is being replaced)
is taken by whoever is free. Never waits on another worker: a shard someone else holds is left
to them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import tzinfo

import asyncpg
import structlog

from infra.logging import shards_context
from infra.postgres.outbox import number_alerts, unnumbered_alerts
from projections.sales.kr_health import record_health
from projections.sales.kr_progress import SNAPSHOT, business_now, settle, shard_locks
from projections.sales.sales_rollups import pending_shards
from streams.retrying import RetryingConnection

log = structlog.get_logger("northstar.streams")
ORPHAN_AFTER_S = 1.0
POLL_S = 0.02  # look for messages other workers left for our shards (and orphans) this often
DUTY = 0.4  # at most this share of the time in stage-2 runs, when they come back to back


class KrSettler:
    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        owned: Callable[[], set[int]],
        zone: tzinfo,
        alerts_topic: str | None,
    ) -> None:
        self.connect = connect
        self.owned = owned
        self.zone = zone
        self.alerts_topic = alerts_topic
        self.db = RetryingConnection(connect, "kr_progress stage 2")
        self._woken = asyncio.Event()

    def wake(self, shards: Iterable[int]) -> None:
        """This worker's stage 1 left messages for `shards`."""
        if set(shards) & self.owned():
            self._woken.set()

    async def run(self) -> None:
        rest = 0.0
        while True:
            if rest > 0:
                await asyncio.sleep(rest)
            try:
                await asyncio.wait_for(self._woken.wait(), POLL_S)
            except TimeoutError:
                pass
            self._woken.clear()
            started = time.monotonic()
            await self.db.run(self.round)
            # A run costs about the same for a few sales as for thousands (every KR they move
            # is recomputed): under load, runs gather more messages instead of taking the CPU
            # stage 1 needs. After a run of d seconds the next waits (1/DUTY - 1) * d.
            rest = (time.monotonic() - started) * (1 / DUTY - 1)
            await self.db.run(self.number_alerts)

    async def round(self, conn: asyncpg.Connection) -> set[int]:
        """One stage-2 transaction over the shards with messages this worker may work on now;
        returns those it could not lock (someone else is on them)."""
        candidates = await self._pending(conn)
        if not candidates:
            return set()
        async with shard_locks(conn, candidates, wait=False) as held:
            if held:
                with shards_context(held):
                    await self._settle(conn, held)
        return candidates - set(held or ())

    async def _settle(self, conn: asyncpg.Connection, held: list[int]) -> None:
        async with conn.transaction(isolation=SNAPSHOT):
            settled = await settle(conn, self.zone, held)
            if settled.rows and self.alerts_topic is not None:
                now = await business_now(conn)
                await record_health(
                    conn, settled.rows, now, self.alerts_topic, self.zone, in_order=False
                )

    async def number_alerts(self, conn: asyncpg.Connection) -> None:
        """Alerts wait unnumbered (ADR 0008): numbered by whichever worker gets there first."""
        if self.alerts_topic is not None and await unnumbered_alerts(conn, self.alerts_topic):
            await number_alerts(conn, self.alerts_topic)

    async def _pending(self, conn: asyncpg.Connection) -> set[int]:
        """Our shards with messages, and anyone's whose messages wait too long."""
        return await pending_shards(conn, self.owned(), ORPHAN_AFTER_S)
