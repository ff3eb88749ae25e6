"""Turns a batch of OKR event records into one read-model transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import tzinfo

import asyncpg
import structlog
from pydantic import ValidationError

from domain.event_chain import RecordedEvent
from infra import metrics
from infra.failures import is_transient
from infra.kafka.codec import Reject
from infra.logging import batch_context
from projections.okr.okr_read_models import PROJECTION
from projections.okr.okr_topic import after_batch, apply_okr_topic
from streams.dead_letters import DeadLetterPublisher
from streams.retrying import RetryingConnection
from streams.sales_projection import RawRecord

log = structlog.get_logger("northstar.streams")


class OkrProjectionHandler:
    def __init__(
        self,
        topic: str,
        dead_letters: DeadLetterPublisher,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        zone: tzinfo,
        alerts_topic: str,
    ) -> None:
        self.topic = topic
        self.alerts_topic = alerts_topic
        self.zone = zone
        self.dead_letters = dead_letters
        self.db = RetryingConnection(connect, PROJECTION)

    async def handle(self, records: Sequence[RawRecord]) -> None:
        with batch_context(records):
            await self._handle(records)

    async def _handle(self, records: Sequence[RawRecord]) -> None:
        events: list[RecordedEvent] = []
        rejects: list[tuple[Reject, str, int, int]] = []
        for record in records:
            try:
                events.append(RecordedEvent.model_validate_json(record.value or b""))
            except ValidationError as exc:
                reject = Reject("schema_invalid", str(exc)[:4000], record.value or b"")
                rejects.append((reject, self.topic, record.partition, record.offset))
        if rejects:
            await self.dead_letters.publish(rejects)
            log.warning("okr_records_dead_lettered", count=len(rejects))
        if events:
            outcome = await self.db.run(
                lambda conn: apply_okr_topic(
                    conn, events, is_transient, self.alerts_topic, self.zone
                )
            )
            metrics.OKR_EVENTS.labels(outcome="applied").inc(outcome.applied)
            metrics.OKR_EVENTS.labels(outcome="held").inc(outcome.held)
            metrics.OKR_EVENTS.labels(outcome="parked").inc(len(outcome.parked))
            log.debug(
                "okr_batch_applied",
                records=len(records),
                applied=outcome.applied,
                held=outcome.held,
                parked=outcome.parked,
            )
        await self.db.run(lambda conn: after_batch(conn, self.zone, self.alerts_topic))
