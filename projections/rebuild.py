"""`northstar projections rebuild kr_progress|okr_read_models`: replay a topic from its first
offset into fresh tables in a schema of their own, with alerts off, while the live worker keeps
serving; then swap them in atomically (ADR 0005).

The swap first stops the live projection from committing (its checkpoint rows, or its stream
positions, are locked), brings the rebuilt tables up to what live has applied, moves the live
tables out and the rebuilt ones in, all in one transaction. KR health and its history are not
rebuilt: they record what was alerted, and stay as they are."""

from __future__ import annotations

import asyncio
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from tqdm import tqdm

from domain.event_chain import RecordedEvent
from infra.failures import is_transient
from infra.kafka.codec import arrival, decode_record
from infra.kafka.connection import kafka_options
from infra.postgres.db import connect
from infra.settings import Settings
from projections.okr.okr_read_models import apply_events, carry_parked
from projections.okr.okr_topic import READ_MODELS
from projections.reads.org_directory import OrgDirectory
from projections.sales.evaluation import EVALUATION_CLOCK
from projections.sales.kr_progress import STAGE_TWO_LOCK, add_progress_rows, refresh_progress
from projections.sales.sales_rollups import (
    PROJECTION,
    PositionedFacts,
    SalesRollupProjection,
    adopt_rebuilt,
)

Ends = dict[TopicPartition, int]


@dataclass
class RebuildReport:
    records: int = 0
    seconds: float = 0.0
    swap_seconds: float = 0.0
    caught_up_records: int = 0
    swap_retries: int = 0


SWAP_LOCK_WAIT_MS = 200
SWAP_ATTEMPTS = 20


class Rebuild(ABC):
    """Replays `topic` into `rebuilt` tables (empty copies of the projection's own tables),
    then swaps them in."""

    name = ""
    rebuilt: tuple[str, ...] = ()

    def __init__(self, settings: Settings, topic: str, quiet: bool = False) -> None:
        self.settings = settings
        self.quiet = quiet
        self.schema = f"rebuild_{uuid.uuid4().hex[:10]}"
        self.partitions = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]

    async def run(self) -> RebuildReport:
        report = RebuildReport()
        started = time.monotonic()
        # Builds shadow tables and swaps them in: schema work, the owner's (ADR 0015).
        admin = await connect(self.settings.owner_dsn)
        rebuild = await connect(self.settings.owner_dsn)
        consumer = AIOKafkaConsumer(
            **kafka_options(self.settings),
            enable_auto_commit=False,
            isolation_level="read_committed",
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
                desc=f"rebuild {self.name}",
                unit="record",
                disable=self.quiet,
                mininterval=1,
            ) as bar:
                report.records += await self._replay(consumer, rebuild, ends, bar.update)
            swap_started = time.monotonic()
            for attempt in range(1, SWAP_ATTEMPTS + 1):
                try:
                    async with admin.transaction():
                        ends = await self._hold_live(admin, consumer)
                        caught_up = await self._replay(consumer, rebuild, ends, None)
                        report.caught_up_records += caught_up
                        report.records += caught_up
                        # Readers lock the tables one by one in their own order: waiting
                        # less than PostgreSQL's deadlock_timeout (1 s) makes the swap, not a
                        # reader, the one that gives way, and it tries again.
                        await admin.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_WAIT_MS}ms'")
                        await self._move_tables(admin)
                        await self._after_swap(admin)
                    break
                except asyncpg.LockNotAvailableError:
                    if attempt == SWAP_ATTEMPTS:
                        raise
                    report.swap_retries += 1
                    await asyncio.sleep(0.05 * attempt)
            report.swap_seconds = time.monotonic() - swap_started
            await admin.execute(f"DROP SCHEMA IF EXISTS replaced_{self._tag} CASCADE")
        finally:
            await admin.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            await consumer.stop()
            await rebuild.close()
            await admin.close()
        report.seconds = time.monotonic() - started
        return report

    @property
    def _tag(self) -> str:
        return self.schema.removeprefix("rebuild_")

    async def _create_tables(self, admin: asyncpg.Connection) -> None:
        async with admin.transaction():
            await admin.execute(f"CREATE SCHEMA {self.schema}")
            for table in self.rebuilt:
                await admin.execute(
                    f"CREATE TABLE {self.schema}.{table} (LIKE public.{table} INCLUDING ALL)"
                )
                # LIKE copies columns, defaults, constraints and indexes, not storage options
                options = await admin.fetchval(
                    "SELECT reloptions FROM pg_class WHERE oid = $1::regclass", f"public.{table}"
                )
                if options:
                    await admin.execute(
                        f"ALTER TABLE {self.schema}.{table} SET ({', '.join(options)})"
                    )
            await self._seed(admin)

    async def _replay(
        self,
        consumer: AIOKafkaConsumer,
        rebuild: asyncpg.Connection,
        ends: Ends,
        advance: Callable[[int], object] | None,
    ) -> int:
        """Apply records until every partition reaches `ends`; returns how many."""
        applied = 0
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            batch = await consumer.getmany(timeout_ms=500, max_records=2000)
            records: list[ConsumerRecord] = []
            for tp, messages in batch.items():
                records.extend(m for m in messages if m.offset < ends[tp])
                if messages and messages[-1].offset >= ends[tp]:
                    consumer.seek(tp, ends[tp])  # beyond the target: read again next round
            if records:
                await self._apply(rebuild, records)
                applied += len(records)
                if advance:
                    advance(len(records))
        return applied

    async def _move_tables(self, admin: asyncpg.Connection) -> None:
        await admin.execute(f"CREATE SCHEMA replaced_{self._tag}")
        for table in self.rebuilt:
            await admin.execute(f"ALTER TABLE public.{table} SET SCHEMA replaced_{self._tag}")
            await admin.execute(f"ALTER TABLE {self.schema}.{table} SET SCHEMA public")

    async def _seed(self, admin: asyncpg.Connection) -> None:
        """Rows the rebuilt tables start with (by default none: they start empty)."""
        return None

    @abstractmethod
    async def _apply(self, rebuild: asyncpg.Connection, records: Sequence[ConsumerRecord]) -> None:
        """Apply a batch of records to the rebuilt tables."""

    @abstractmethod
    async def _hold_live(self, admin: asyncpg.Connection, consumer: AIOKafkaConsumer) -> Ends:
        """Stop the live projection from committing; returns the positions to catch up to."""

    async def _after_swap(self, admin: asyncpg.Connection) -> None:
        """Last steps inside the swap transaction (by default none)."""
        return None


class SalesRebuild(Rebuild):
    name = "kr_progress"
    rebuilt = (
        "sales_fact_seen",
        "sales_rollup_daily",
        "sales_customer_month",
        "sales_scenario_daily",
        "sales_purchase",
        "sales_refund_pending",
        "sales_clock",
        "kr_progress",
    )

    def __init__(self, settings: Settings, quiet: bool = False) -> None:
        super().__init__(settings, settings.sales_topic, quiet)
        self.zone = ZoneInfo(settings.company_timezone)
        # No KR messages: the swap sums every KR afresh from the rebuilt roll-ups.
        self.projection = SalesRollupProjection(settings.sales_topic, self.zone, shards=0)
        self.directory = OrgDirectory()
        self.tolerance = timedelta(seconds=settings.sales_future_tolerance_s)

    async def _create_tables(self, admin: asyncpg.Connection) -> None:
        await super()._create_tables(admin)
        await admin.execute(
            f"CREATE TABLE {self.schema}.projection_checkpoint"
            " (LIKE public.projection_checkpoint INCLUDING ALL)"
        )

    async def _seed(self, admin: asyncpg.Connection) -> None:
        await add_progress_rows(admin, None, self.schema)

    async def _apply(self, rebuild: asyncpg.Connection, records: Sequence[ConsumerRecord]) -> None:
        # Facts dated after their arrival and facts of unknown reps were dead-lettered live;
        # they are left out here too (the same rules, on the same broker times).
        positioned = [
            PositionedFacts(
                r.partition,
                r.offset,
                decode_record(
                    r.value, self.settings.max_record_bytes, arrival(r.timestamp), self.tolerance
                ).facts,
            )
            for r in records
        ]
        known = await self.directory.known_reps(
            rebuild, {f.rep_id for p in positioned for f in p.facts}
        )
        kept = [
            PositionedFacts(p.partition, p.offset, [f for f in p.facts if f.rep_id in known])
            for p in positioned
        ]
        await self.projection.apply(rebuild, self.directory.chain_of, kept)

    async def _hold_live(self, admin: asyncpg.Connection, consumer: AIOKafkaConsumer) -> Ends:
        # No stage-2 run from here to the commit (they hold this lock shared while they run).
        await admin.execute("SELECT pg_advisory_xact_lock($1)", STAGE_TWO_LOCK)
        live = {
            r["partition"]: r["next_offset"]
            for r in await admin.fetch(
                "SELECT partition, next_offset FROM public.projection_checkpoint"
                " WHERE projection = $1 AND topic = $2 ORDER BY partition FOR UPDATE",
                PROJECTION,
                self.settings.sales_topic,
            )
        }
        return {tp: live.get(tp.partition, 0) for tp in self.partitions}

    async def _after_swap(self, admin: asyncpg.Connection) -> None:
        topic = self.settings.sales_topic
        await admin.execute(
            "ALTER TABLE public.kr_progress ADD FOREIGN KEY (kr_id)"
            " REFERENCES key_result (id) ON DELETE CASCADE"
        )
        await adopt_rebuilt(admin, self.schema, f"replaced_{self._tag}", topic, EVALUATION_CLOCK)
        # KRs defined or retargeted while the rebuild ran: counted afresh from the roll-ups.
        await add_progress_rows(admin)
        ids = [r[0] for r in await admin.fetch("SELECT kr_id FROM kr_progress ORDER BY 1")]
        await refresh_progress(admin, ids, self.zone)


class OkrRebuild(Rebuild):
    """The OKR read models only: the topic's other appliers (org rows, the sales side's KR
    definitions; `projections/okr/okr_topic.py`) own their tables and are not replayed. Streams live
    has parked stay parked at the same event (the cause may lie in another applier)."""

    name = "okr_read_models"
    rebuilt = (
        "okr_key_result",
        "okr_adjustment",
        "okr_check_in",
        "okr_objective",
        "okr_alignment",
        "okr_kr_weight",
        "okr_policy",
        "okr_cycle",
        "okr_north_star",
        "okr_stream_position",
        "okr_parked_stream",
        "okr_calibration_meeting",
        "okr_calibration_change",
        "okr_health_verdict",
        "okr_escalation",
        "okr_calibration_cadence",
        "okr_practice",
        "okr_practice_adoption",
        "okr_kr_comment",
        "okr_governance",
        "okr_proposal",
        "okr_certification",
    )

    def __init__(self, settings: Settings, quiet: bool = False) -> None:
        super().__init__(settings, settings.okr_events_topic, quiet)

    async def _seed(self, admin: asyncpg.Connection) -> None:
        await carry_parked(admin, self.schema)

    async def _apply(self, rebuild: asyncpg.Connection, records: Sequence[ConsumerRecord]) -> None:
        events = []
        for record in records:
            try:
                events.append(RecordedEvent.model_validate_json(record.value or b""))
            except ValidationError:
                continue  # dead-lettered live
        await apply_events(rebuild, events, READ_MODELS, is_transient)  # alerts nothing

    async def _hold_live(self, admin: asyncpg.Connection, consumer: AIOKafkaConsumer) -> Ends:
        # A live batch starts by writing its stream positions: it waits on this lock. Whatever
        # live has applied was on the topic before its current end.
        await admin.execute("LOCK TABLE public.okr_stream_position IN EXCLUSIVE MODE")
        return await consumer.end_offsets(self.partitions)


REBUILDS: dict[str, type[Rebuild]] = {"kr_progress": SalesRebuild, "okr_read_models": OkrRebuild}
