"""Turns a batch of raw sales records into one projection transaction; never lets an error out
unhandled: transient failures are retried in place, poison records are dead-lettered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import structlog

from infra.kafka.codec import Decoded, Reject, arrival, decode_record
from infra.logging import batch_context
from projections.reads.org_directory import OrgDirectory
from projections.sales.sales_rollups import PositionedFacts, SalesRollupProjection
from streams.dead_letters import DeadLetterPublisher
from streams.retrying import RetryingConnection

log = structlog.get_logger("northstar.streams")


@dataclass(frozen=True, slots=True)
class RawRecord:
    partition: int
    offset: int
    value: bytes | None
    timestamp_ms: int = -1  # the record's timestamp (the broker's append time), -1 if unknown


@dataclass(frozen=True, slots=True)
class DecodedBatch:
    """Records of a fetch, decoded (stage 1 applies them)."""

    items: Sequence[tuple[RawRecord, Decoded]]

    def partitions(self) -> set[int]:
        return {record.partition for record, _ in self.items}

    def only(self, partitions: set[int]) -> DecodedBatch:
        return DecodedBatch([(r, d) for r, d in self.items if r.partition in partitions])

    def next_offsets(self) -> dict[int, int]:
        """Per partition: the offset after the last record."""
        after: dict[int, int] = {}
        for record, _ in self.items:
            after[record.partition] = max(after.get(record.partition, 0), record.offset + 1)
        return after


class SalesProjectionHandler:
    def __init__(
        self,
        topic: str,
        projection: SalesRollupProjection,
        dead_letters: DeadLetterPublisher,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        max_record_bytes: int,
        future_tolerance: timedelta,
        left_messages: Callable[[Iterable[int]], None] = lambda shards: None,
    ) -> None:
        self.topic = topic
        self.projection = projection
        self.left_messages = left_messages  # called with the KR shards a committed batch moved
        self.dead_letters = dead_letters
        self.db = RetryingConnection(connect, "kr_progress")
        self.max_record_bytes = max_record_bytes
        self.future_tolerance = future_tolerance
        self.directory = OrgDirectory()

    def decode(self, records: Sequence[RawRecord]) -> DecodedBatch:
        limit, tolerance = self.max_record_bytes, self.future_tolerance
        return DecodedBatch(
            [
                (r, decode_record(r.value, limit, arrival(r.timestamp_ms), tolerance))
                for r in records
            ]
        )

    async def apply_decoded(self, batch: DecodedBatch) -> None:
        """Apply the batch exactly once in effect; returns only when it is durably done."""
        if batch.items:
            with batch_context(record for record, _ in batch.items):
                await self._apply_isolating(batch.items)

    async def _apply_isolating(self, decoded: Sequence[tuple[RawRecord, Decoded]]) -> None:
        """A batch that fails for a lasting reason (the connection retries passing ones in
        place) is split in halves, in offset order, until the record that cannot apply is
        alone: it is dead-lettered `apply_failed` and passed over; the rest are applied."""
        try:
            await self.db.run(lambda conn: self._apply(conn, decoded))
            return
        except Exception as exc:
            if len(decoded) > 1:
                middle = len(decoded) // 2
                await self._apply_isolating(decoded[:middle])
                await self._apply_isolating(decoded[middle:])
                return
            failure = exc
        record = decoded[0][0]
        detail = f"{type(failure).__name__}: {failure}"[:4000]
        reject = Reject("apply_failed", detail, record.value or b"")
        await self.dead_letters.publish([(reject, self.topic, record.partition, record.offset)])
        log.error(
            "record_apply_failed",
            partition=record.partition,
            offset=record.offset,
            detail=detail[:300],
        )
        await self.db.run(lambda conn: self._apply(conn, [(record, Decoded())]))

    async def _apply(
        self, conn: asyncpg.Connection, decoded: Sequence[tuple[RawRecord, Decoded]]
    ) -> None:
        rep_ids = {f.rep_id for _, d in decoded for f in d.facts}
        known = await self.directory.known_reps(conn, rep_ids)
        rejects: list[tuple[Reject, str, int, int]] = []
        positioned: list[PositionedFacts] = []
        for record, result in decoded:
            kept = []
            for index, fact in enumerate(result.facts):
                if fact.rep_id in known:
                    kept.append(fact)
                    continue
                original = record.value if len(result.facts) == 1 and not result.rejects else None
                rejects.append(
                    (
                        Reject(
                            "unknown_rep",
                            f"rep_id {fact.rep_id!r} is not a rep of the org tree",
                            original or fact.model_dump_json().encode(),
                            None if original else index,
                        ),
                        self.topic,
                        record.partition,
                        record.offset,
                    )
                )
            rejects.extend((r, self.topic, record.partition, record.offset) for r in result.rejects)
            positioned.append(
                PositionedFacts(record.partition, record.offset, kept, record.timestamp_ms)
            )
        if rejects:
            await self.dead_letters.publish(rejects)
            for reject, _, partition, offset in rejects:
                log.warning(
                    "record_dead_lettered",
                    reason=reject.reason,
                    detail=reject.detail[:200],
                    partition=partition,
                    offset=offset,
                    index=reject.index,
                )
        outcome = await self.projection.apply(conn, self.directory.chain_of, positioned)
        self.left_messages(outcome.shards)
        log.debug(
            "batch_applied",
            records=len(decoded),
            applied=outcome.records_applied,
            skipped=outcome.records_skipped,
            new=outcome.facts_new,
            duplicates=outcome.facts_duplicate,
            shards=outcome.shards,
        )
