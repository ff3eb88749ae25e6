"""`northstar projections rebuild kr_progress`: replay the sales topic from its first offset
into fresh tables in a schema of their own, with alerts off, while the live worker keeps
serving; then swap them in atomically.

The swap holds the live checkpoint rows (a live batch cannot commit meanwhile), brings the
rebuilt tables up to the live positions, moves the live tables out and the rebuilt ones in,
and hands the rebuilt checkpoints to the live worker, all in one transaction. KR health and
its history are not rebuilt: they record what was alerted, and stay as they are."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from tqdm import tqdm

from infra.kafka.codec import decode_record
from infra.postgres.db import connect
from infra.settings import Settings
from projections.kr_progress import (
    PROJECTION,
    KrProgressProjection,
    PositionedFacts,
    refresh_progress,
)
from projections.org_directory import OrgDirectory

REBUILT_TABLES = (
    "sales_fact_seen",
    "sales_rollup_daily",
    "sales_customer_month",
    "sales_purchase",
    "sales_refund_pending",
    "sales_clock",
    "kr_progress",
)
BATCH_RECORDS = 2000


@dataclass
class Rebuild:
    records: int = 0
    facts: int = 0
    seconds: float = 0.0
    swap_seconds: float = 0.0
    caught_up_records: int = 0


class SalesRebuild:
    def __init__(self, settings: Settings, quiet: bool = False) -> None:
        self.settings = settings
        self.quiet = quiet
        self.schema = f"rebuild_{uuid.uuid4().hex[:10]}"
        self.projection = KrProgressProjection(
            settings.sales_topic, ZoneInfo(settings.company_timezone), alerts_topic=None
        )
        self.directory = OrgDirectory()
        self.partitions = [
            TopicPartition(settings.sales_topic, p) for p in range(settings.topic_partitions)
        ]

    async def run(self) -> Rebuild:
        report = Rebuild()
        started = time.monotonic()
        admin = await connect(self.settings.dsn)
        rebuild = await connect(self.settings.dsn)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            enable_auto_commit=False,
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        await consumer.start()
        try:
            await self._create_tables(admin)
            await rebuild.execute(f"SET search_path TO {self.schema}, public")
            consumer.assign(self.partitions)
            await consumer.seek_to_beginning(*self.partitions)
            ends = await consumer.end_offsets(self.partitions)
            with tqdm(
                total=sum(ends.values()),
                desc="rebuild kr_progress",
                unit="record",
                disable=self.quiet,
                mininterval=1,
            ) as bar:
                await self._replay_until(consumer, rebuild, ends, report, bar.update)
            report.swap_seconds = await self._swap(admin, rebuild, consumer, report)
        except BaseException:
            await admin.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            raise
        finally:
            await consumer.stop()
            await rebuild.close()
            await admin.close()
        report.seconds = time.monotonic() - started
        return report

    async def _create_tables(self, admin: asyncpg.Connection) -> None:
        async with admin.transaction():
            await admin.execute(f"CREATE SCHEMA {self.schema}")
            for table in (*REBUILT_TABLES, "projection_checkpoint"):
                await admin.execute(
                    f"CREATE TABLE {self.schema}.{table} (LIKE public.{table} INCLUDING ALL)"
                )
            await admin.execute(
                f"INSERT INTO {self.schema}.kr_progress (kr_id, actual, progress_pct,"
                " progress_display) SELECT id, 0, 0, 0 FROM public.key_result"
            )

    async def _replay_until(
        self,
        consumer: AIOKafkaConsumer,
        rebuild: asyncpg.Connection,
        ends: dict[TopicPartition, int],
        report: Rebuild,
        advance: Callable[[int], object],
    ) -> None:
        """Apply records until every partition reaches `ends` (its rebuild checkpoint too)."""
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            batch = await consumer.getmany(timeout_ms=500, max_records=BATCH_RECORDS)
            positioned: list[PositionedFacts] = []
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset >= ends[tp]:
                        continue  # beyond the target: read again by the next round
                    decoded = decode_record(message.value, self.settings.max_record_bytes)
                    positioned.append(PositionedFacts(tp.partition, message.offset, decoded.facts))
                if messages:
                    consumer.seek(tp, min(messages[-1].offset + 1, max(ends[tp], 0)))
            if not positioned:
                continue
            reps = {f.rep_id for p in positioned for f in p.facts}
            known = await self.directory.known_reps(rebuild, reps)
            kept = [
                PositionedFacts(p.partition, p.offset, [f for f in p.facts if f.rep_id in known])
                for p in positioned
            ]
            outcome = await self.projection.apply(rebuild, self.directory.chain_of, kept)
            report.records += len(kept)
            report.facts += outcome.facts_new
            advance(len(kept))

    async def _swap(
        self,
        admin: asyncpg.Connection,
        rebuild: asyncpg.Connection,
        consumer: AIOKafkaConsumer,
        report: Rebuild,
    ) -> float:
        started = time.monotonic()
        topic = self.settings.sales_topic
        old = f"replaced_{self.schema.removeprefix('rebuild_')}"
        async with admin.transaction():
            live = {
                r["partition"]: r["next_offset"]
                for r in await admin.fetch(
                    "SELECT partition, next_offset FROM public.projection_checkpoint"
                    " WHERE projection = $1 AND topic = $2 ORDER BY partition FOR UPDATE",
                    PROJECTION,
                    topic,
                )
            }
            # Live batches wait on these rows now; bring the rebuild up to where live stands.
            ends = {tp: live.get(tp.partition, 0) for tp in self.partitions}
            for tp, end in ends.items():
                if await consumer.position(tp) > end:
                    ends[tp] = await consumer.position(tp)  # the rebuild is ahead: fine
            before = report.records
            await self._replay_until(consumer, rebuild, ends, report, lambda _: None)
            report.caught_up_records = report.records - before
            await admin.execute(f"CREATE SCHEMA {old}")
            for table in REBUILT_TABLES:
                await admin.execute(f"ALTER TABLE public.{table} SET SCHEMA {old}")
                await admin.execute(f"ALTER TABLE {self.schema}.{table} SET SCHEMA public")
            await admin.execute(
                "ALTER TABLE public.kr_progress ADD FOREIGN KEY (kr_id)"
                " REFERENCES key_result (id) ON DELETE CASCADE"
            )
            await admin.execute(
                "DELETE FROM public.projection_checkpoint WHERE projection = $1 AND topic = $2",
                PROJECTION,
                topic,
            )
            await admin.execute(
                f"INSERT INTO public.projection_checkpoint SELECT * FROM {self.schema}"
                ".projection_checkpoint WHERE projection = $1 AND topic = $2",
                PROJECTION,
                topic,
            )
            # KRs defined or retargeted while the rebuild ran: counted afresh from the roll-ups.
            await admin.execute(
                "INSERT INTO kr_progress (kr_id, actual, progress_pct, progress_display)"
                " SELECT id, 0, 0, 0 FROM key_result ON CONFLICT DO NOTHING"
            )
            ids = [r[0] for r in await admin.fetch("SELECT kr_id FROM kr_progress ORDER BY 1")]
            await refresh_progress(admin, ids, None, ZoneInfo(self.settings.company_timezone))
            await admin.execute("ALTER TABLE kr_progress SET (fillfactor = 50)")
        await admin.execute(f"DROP SCHEMA {old} CASCADE")
        await admin.execute(f"DROP SCHEMA {self.schema} CASCADE")
        return time.monotonic() - started
