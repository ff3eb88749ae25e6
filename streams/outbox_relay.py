"""Publishes the outbox to Kafka in per-stream order, each event exactly once on the topic.

One relay is active at a time (a PostgreSQL advisory lock). It writes each batch in a Kafka
transaction under a fixed transactional id, so a relay that dies mid-batch is fenced and its
open transaction aborted when the next one starts. Rows are marked published after the Kafka
commit; the window between the two is closed at start-up by reading back, read_committed, what
the topic holds beyond the last confirmed offsets and marking those events too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from infra import metrics
from infra.kafka.connection import kafka_options
from infra.postgres.db import connect
from infra.postgres.outbox import OUTBOX_CHANNEL, mark_published, next_batch, relay_positions
from infra.settings import Settings

log = structlog.get_logger("northstar.relay")
RELAY_LOCK = 7_242_002
EVENT_ID_HEADER = "northstar.event_id"


class OutboxRelay:
    def __init__(self, settings: Settings, batch_size: int = 500) -> None:
        self.settings = settings
        self.batch_size = batch_size
        self.wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        conn = await connect(self.settings.dsn)
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", RELAY_LOCK)
            await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self.wake.set())
            producer = AIOKafkaProducer(
                **kafka_options(self.settings),
                transactional_id=self.settings.relay_transactional_id,
                enable_idempotence=True,
                acks="all",
            )
            await producer.start()  # fences a predecessor and aborts its open transaction
            try:
                for topic in (self.settings.okr_events_topic, self.settings.alerts_topic):
                    await self.reconcile(conn, topic, await producer.partitions_for(topic))
                while not stop.is_set():
                    published = await self.publish_batch(conn, producer)
                    if published == 0:
                        self.wake.clear()
                        await _first(self.wake.wait(), stop.wait(), timeout=0.5)
            finally:
                await producer.stop()
        finally:
            await conn.close()

    async def publish_batch(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        rows = await next_batch(conn, self.batch_size)
        if not rows:
            return 0
        ends = await self.send_rows(producer, rows)
        await self._mark(conn, [row["event_id"] for row in rows], ends)
        self._measure(rows)
        return len(rows)

    def _measure(self, rows: Sequence[asyncpg.Record]) -> None:
        """Published events by topic, alerts by type, and each event's time from being stored
        to being marked published."""
        now = datetime.now(UTC)
        for row in rows:
            metrics.RELAY_PUBLISHED.labels(topic=row["topic"]).inc()
            metrics.RELAY_LATENCY.observe(max(0.0, (now - row["created_at"]).total_seconds()))
            if row["topic"] == self.settings.alerts_topic:
                kind = orjson.loads(row["value"]).get("type", "unknown")
                metrics.ALERTS_SENT.labels(type=kind).inc()

    async def send_rows(
        self, producer: AIOKafkaProducer, rows: Sequence[asyncpg.Record]
    ) -> dict[tuple[str, int], int]:
        """Write the rows in one Kafka transaction; returns each partition's next offset."""
        async with producer.transaction():
            futures = [
                await producer.send(
                    row["topic"],
                    value=row["value"],
                    key=row["stream_id"].encode(),
                    headers=[(EVENT_ID_HEADER, str(row["event_id"]).encode())],
                )
                for row in rows
            ]
        metadata = [await future for future in futures]
        ends: dict[tuple[str, int], int] = {}
        for meta in metadata:
            key = (meta.topic, meta.partition)
            ends[key] = max(ends.get(key, 0), meta.offset + 1)
        return ends

    async def _mark(
        self,
        conn: asyncpg.Connection,
        event_ids: Sequence[uuid.UUID],
        ends: dict[tuple[str, int], int],
    ) -> None:
        await mark_published(conn, event_ids, ends)

    async def reconcile(self, conn: asyncpg.Connection, topic: str, partition_ids: set[int]) -> int:
        """Mark as published what a predecessor committed to Kafka but did not get to mark."""
        positions = await relay_positions(conn, topic)
        consumer = AIOKafkaConsumer(
            **kafka_options(self.settings),
            isolation_level="read_committed",
            enable_auto_commit=False,
        )
        await consumer.start()
        found: list[uuid.UUID] = []
        ends: dict[tuple[str, int], int] = {}
        try:
            partitions = [TopicPartition(topic, p) for p in sorted(partition_ids)]
            consumer.assign(partitions)
            last = await consumer.end_offsets(partitions)  # last stable offsets
            for tp in partitions:
                consumer.seek(tp, positions.get(tp.partition, 0))
            while await lagging(consumer, last):
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp, messages in batch.items():
                    for message in messages:
                        event_id = dict(message.headers).get(EVENT_ID_HEADER)
                        if event_id:
                            found.append(uuid.UUID(event_id.decode()))
                        ends[(tp.topic, tp.partition)] = message.offset + 1
        finally:
            await consumer.stop()
        if found or ends:
            await self._mark(conn, found, ends)
        log.info("relay_reconciled", topic=topic, events_marked=len(found))
        return len(found)


async def lagging(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """True while the consumer's position is before `ends` on any partition."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def _first(*waits: object, timeout: float) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]  # type: ignore[arg-type]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def run_relay(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT, restarting after transient failures with back-off."""
    from infra.failures import backoff_seconds, is_transient
    from infra.heartbeat import Heartbeat
    from infra.signals import stop_on_signals

    async def supervise() -> None:
        stop = stop_on_signals()
        metrics.serve(
            settings.metrics_port + metrics.RELAY_PORT_OFFSET if settings.metrics_port else 0,
            metrics.RELAY,
        )
        beating = asyncio.create_task(Heartbeat(settings, "relay").run(stop))
        attempt = 0
        while not stop.is_set():
            try:
                await OutboxRelay(settings).run(stop)
            except Exception as exc:
                if not is_transient(exc) and not isinstance(exc, KafkaError):
                    raise
                delay = backoff_seconds(attempt)
                log.warning("relay_retry", error=repr(exc), delay_s=delay)
                attempt += 1
                await asyncio.sleep(delay)
        await beating

    asyncio.run(supervise())
