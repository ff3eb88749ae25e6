"""Stage 1's input inside the sales worker (ADR 0009): the Faust app stays the process and the
consumer-group member (`<app_id>-sales`) and says which partitions this worker holds; the
records of those partitions are fetched in batches by an aiokafka consumer of our own, not
through Faust's per-message stream (Faust's own fetching of them is paused). Each partition is
read from its checkpoint in PostgreSQL (the offsets that count), and the next batch is decoded
while the current one is being applied."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import faust
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from infra import metrics
from infra.kafka.connection import kafka_options
from infra.kafka.topics import consumer_group
from infra.settings import Settings
from projections.sales.sales_rollups import checkpoints
from streams.sales_projection import DecodedBatch, RawRecord, SalesProjectionHandler

log = structlog.get_logger("northstar.streams")
IDLE_S = 0.05  # nothing assigned: look again this soon


class SalesConsumer:
    def __init__(
        self,
        settings: Settings,
        handler: SalesProjectionHandler,
    ) -> None:
        self.settings = settings
        self.handler = handler
        self._consumer: AIOKafkaConsumer | None = None  # made in `run` (it needs the loop)
        self._held: set[int] = set()  # what the group gave this worker
        self._reading: set[int] = set()  # what the consumer is positioned on
        self._applying = asyncio.Lock()  # held while a batch is applied or partitions move

    def assigned(self) -> set[int]:
        """The sales partitions this worker holds now."""
        return set(self._held)

    def follow(self, app: faust.App) -> None:
        """Take partitions from the Faust app's group membership."""
        topic = self.settings.sales_topic

        @app.on_partitions_revoked.connect  # type: ignore[misc]
        async def revoked(_app: faust.App, revoked: set[TopicPartition], **_: object) -> None:
            await self._move(self._held - {tp.partition for tp in revoked if tp.topic == topic})

        @app.on_partitions_assigned.connect  # type: ignore[misc]
        async def assigned(_app: faust.App, assigned: set[TopicPartition], **_: object) -> None:
            mine = {tp for tp in assigned if tp.topic == topic}
            app.consumer.pause_partitions(mine)  # fetched here, in batches, instead
            await self._move({tp.partition for tp in mine})

    async def _move(self, partitions: set[int]) -> None:
        """Hold `partitions` from now on: the batch in flight commits first."""
        async with self._applying:
            self._held = set(partitions)
            if self._consumer is not None:
                await self._position()

    async def _position(self) -> None:
        """Read each held partition from its checkpoint (the start when it has none)."""
        held = sorted(self._held)
        tps = [TopicPartition(self.settings.sales_topic, p) for p in held]
        self.consumer.assign(tps)
        positions = await self.checkpoints(held)
        for tp in tps:
            if tp.partition in positions:
                self.consumer.seek(tp, positions[tp.partition])
            else:
                await self.consumer.seek_to_beginning(tp)
        self._reading = set(held)
        log.info("sales_partitions_held", partitions=held, from_offsets=positions)

    @property
    def consumer(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("the sales consumer is not running")
        return self._consumer

    async def run(self) -> None:
        self._consumer = AIOKafkaConsumer(
            **kafka_options(self.settings),
            client_id=consumer_group(self.settings, "sales"),
            enable_auto_commit=False,
            # Never "latest": a reset of its own, racing the seek to a partition's start when it
            # has no checkpoint yet, would skip the records already on it.
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        await self.consumer.start()
        async with self._applying:
            await self._position()
        decoded: asyncio.Queue[DecodedBatch] = asyncio.Queue(maxsize=1)
        fetching = asyncio.create_task(self._fetch(decoded))
        try:
            while True:
                batch = await self._next(decoded, fetching)
                async with self._applying:
                    if not batch.partitions() <= self._held:
                        batch = batch.only(self._held)  # moved meanwhile: not ours now
                    started = time.monotonic()
                    await self.handler.apply_decoded(batch)
                    self._measure(batch, time.monotonic() - started)
        finally:
            fetching.cancel()
            await self.consumer.stop()

    def _measure(self, batch: DecodedBatch, seconds: float) -> None:
        """A committed batch's figures (per batch, never per fact: this is the hot path)."""
        if not batch.items:
            return
        metrics.SALES_RECORDS.inc(len(batch.items))
        metrics.SALES_FACTS.inc(sum(len(decoded.facts) for _, decoded in batch.items))
        metrics.BATCH_SECONDS.observe(seconds)
        metrics.BATCH_RECORDS.observe(len(batch.items))
        stamps = [r.timestamp_ms for r, _ in batch.items if r.timestamp_ms > 0]
        if stamps:
            metrics.FRESHNESS.observe(max(0.0, time.time() - min(stamps) / 1000))
        last: dict[int, int] = {}
        for record, _ in batch.items:
            last[record.partition] = max(last.get(record.partition, -1), record.offset)
        for partition, offset in last.items():
            end = self.consumer.highwater(TopicPartition(self.settings.sales_topic, partition))
            if end is not None:
                metrics.WORKER_LAG.labels(partition=str(partition)).set(max(0, end - offset - 1))

    @staticmethod
    async def _next(
        decoded: asyncio.Queue[DecodedBatch], fetching: asyncio.Task[None]
    ) -> DecodedBatch:
        """The next decoded batch; a fetch loop that failed fails here."""
        getting = asyncio.ensure_future(decoded.get())
        await asyncio.wait({getting, fetching}, return_when=asyncio.FIRST_COMPLETED)
        if not getting.done():
            getting.cancel()
            fetching.result()  # raises what stopped it
            raise RuntimeError("the sales fetch loop ended")
        return getting.result()

    async def _fetch(self, decoded: asyncio.Queue[DecodedBatch]) -> None:
        """Batches of up to `worker_batch_size` records gathered for at most
        `worker_batch_within_s` after the first arrives (one transaction per batch, not per
        fetch: a fetch returns whatever the broker had, often a handful of records)."""
        within = self.settings.worker_batch_within_s
        size = self.settings.worker_batch_size
        while True:
            if not self._reading:
                await asyncio.sleep(IDLE_S)
                continue
            records = _records(
                (
                    await self.consumer.getmany(timeout_ms=int(within * 1000), max_records=size)
                ).items()
            )
            deadline = time.monotonic() + within
            while records and len(records) < size and (left := deadline - time.monotonic()) > 0:
                more = await self.consumer.getmany(
                    timeout_ms=max(1, int(left * 1000)), max_records=size - len(records)
                )
                records += _records(more.items())
            if records:
                await decoded.put(self.handler.decode(records))

    async def checkpoints(self, partitions: list[int]) -> dict[int, int]:
        topic = self.settings.sales_topic
        found: dict[int, int] = await self.handler.db.run(
            lambda conn: checkpoints(conn, topic, partitions)
        )
        return found


def _records(fetched: Iterable[tuple[TopicPartition, list]]) -> list[RawRecord]:  # type: ignore[type-arg]
    return [
        RawRecord(tp.partition, r.offset, r.value, r.timestamp)
        for tp, batch in fetched
        for r in batch
    ]
