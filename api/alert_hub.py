"""One LISTEN connection per API process fans the alerts out to every SSE subscriber. An alert
is read once (from the outbox, the very bytes the alerts topic carries) with what scope checks
need (the KR's owner and objectives, the org tree), then offered to each subscriber's queue.
Subscribers hold no database connection; a subscriber too slow to keep up is closed and
resumes exactly with Last-Event-ID."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import structlog

from domain.org_tree import OrgTree
from infra import metrics
from infra.failures import backoff_seconds
from infra.postgres.db import connect
from infra.postgres.outbox import ALERT_CHANNEL
from projections.reads import alert_reads
from projections.reads.org_directory import OrgDirectory

log = structlog.get_logger("northstar.api")
# Alerts come in bursts (a batch of sales moves many KRs): gathering them this long means one
# wake-up per subscriber per burst instead of one per alert.
GATHER_S = 0.1
FAN_OUT_SLICE = 50  # subscribers woken per turn of the event loop


@dataclass(frozen=True, slots=True)
class KrSubject:
    """Whose goal a KR alert is about, for the read-scope check."""

    person_id: str
    unit_id: str
    objectives: frozenset[str]


@dataclass(frozen=True, slots=True)
class Delivery:
    alert_id: str
    seq: int
    frame: bytes  # the server-sent event, rendered once for every subscriber
    alert: dict[str, Any]
    kr: KrSubject | None  # None: not a KR alert, or the KR is unknown
    org: OrgTree


def sse_frame(alert_id: str, alert: dict[str, Any], value: bytes) -> bytes:
    kind = str(alert["type"]).removeprefix("alert.")
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (alert_id.encode(), kind.encode(), value)


@dataclass(eq=False)
class Subscription:
    """What one SSE client is yet to be sent: batches of alerts in commit order; None ends it."""

    queue: asyncio.Queue[tuple[Delivery, ...] | None]  # bounded: the bursts it may lag behind
    overflowed: bool = False


async def deliveries(
    conn: asyncpg.Connection, org: OrgDirectory, rows: Sequence[asyncpg.Record]
) -> list[Delivery]:
    """Alerts with what the scope check needs, read once for all subscribers."""
    tree = await org.current(conn)
    subjects: dict[str, KrSubject | None] = {}
    found = []
    for row in rows:
        alert = orjson.loads(row["value"])
        kr_id = alert.get("kr_id")
        if kr_id is not None and kr_id not in subjects:
            subject = await alert_reads.kr_subject(conn, kr_id)
            subjects[kr_id] = (
                KrSubject(subject["person_id"] or "", subject["unit_id"], frozenset(subject[2]))
                if subject
                else None
            )
        kr = subjects.get(kr_id) if kr_id is not None else None
        frame = sse_frame(row["alert_id"], alert, row["value"])
        found.append(Delivery(row["alert_id"], row["seq"], frame, alert, kr, tree))
    return found


class AlertHub:
    def __init__(
        self, dsn: str, topic: str, pool: asyncpg.Pool, org: OrgDirectory, queue_bursts: int
    ) -> None:
        self.dsn, self.topic, self.pool, self.org = dsn, topic, pool, org
        self.queue_bursts = queue_bursts  # bursts a subscriber may lag behind before it is closed
        self.subscribers: set[Subscription] = set()
        self._wake = asyncio.Event()
        self._last_seq: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with self.pool.acquire() as conn:
            self._last_seq = await alert_reads.latest_alert_seq(conn, self.topic)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sub in list(self.subscribers):
            self._close(sub)

    def subscribe(self) -> Subscription:
        sub = Subscription(asyncio.Queue(self.queue_bursts))
        self.subscribers.add(sub)
        metrics.SSE_CLIENTS.set(len(self.subscribers))
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)
        metrics.SSE_CLIENTS.set(len(self.subscribers))

    async def _run(self) -> None:
        attempt = 0
        while True:
            listener: asyncpg.Connection | None = None
            try:
                listener = await connect(self.dsn, timeout=5.0)
                await listener.add_listener(ALERT_CHANNEL, lambda *_: self._wake.set())
                attempt = 0
                self._wake.set()  # catch up on whatever committed while nobody listened
                while not listener.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), 5.0)
                    await asyncio.sleep(GATHER_S)
                    self._wake.clear()
                    await self._fan_out()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff_seconds(attempt)
                attempt += 1
                log.warning("alert_listener_retry", error=repr(exc), delay_s=delay)
                await asyncio.sleep(delay)
            finally:
                if listener is not None:
                    listener.terminate()

    async def _fan_out(self) -> None:
        """Everything committed after the last alert fanned out, in commit order."""
        while True:
            async with self.pool.acquire() as conn:
                rows = await alert_reads.alerts_after(
                    conn, self.topic, self._last_seq, None, None, 500
                )
                if not rows:
                    return
                batch = await deliveries(conn, self.org, rows)
            self._last_seq = batch[-1].seq
            shared = tuple(batch)
            for n, sub in enumerate(list(self.subscribers), start=1):
                try:
                    sub.queue.put_nowait(shared)
                except asyncio.QueueFull:
                    self._close(sub)
                if n % FAN_OUT_SLICE == 0:
                    # Let other requests in between: a thousand subscribers woken at once would
                    # hold the event loop for one long stretch.
                    await asyncio.sleep(0)

    def _close(self, sub: Subscription) -> None:
        """Ends a subscriber's stream (it resumes with Last-Event-ID, losing nothing). The
        batches it was yet to be sent are dropped, all of them: dropping only the oldest to
        make room for the end would send it the later ones past a gap, and a client resuming
        after the last alert it got would never see the gap's."""
        self.subscribers.discard(sub)
        sub.overflowed = True
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)
