"""`northstar audit verify`: every stream's hash chain in the event store, and the OKR events
topic carrying exactly the store's events."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

import asyncpg
from pydantic import ValidationError
from tqdm import tqdm

from domain.audit import ChainedEvent, Finding, compare_copies, first_broken_link
from domain.event_chain import RecordedEvent
from infra.kafka.connection import kafka_options
from infra.kafka.topic_reader import read_topic
from infra.postgres.event_store import EVENT_COLUMNS, recorded_event
from infra.settings import Settings

_ALL_EVENTS = f"""
SELECT {EVENT_COLUMNS}, prev_hash, hash
FROM event_store ORDER BY stream_id, version, position
"""
_UNPUBLISHED = "SELECT event_id::text FROM outbox WHERE topic = $1 AND published_at IS NULL"


@dataclass
class Verification:
    streams: int = 0
    events: int = 0
    topic_records: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings


async def verify(conn: asyncpg.Connection, settings: Settings, quiet: bool = True) -> Verification:
    result = Verification()
    store: dict[str, RecordedEvent] = {}
    rows = await conn.fetch(_ALL_EVENTS)
    chained = [
        ChainedEvent(recorded_event(r), bytes(r["prev_hash"]), bytes(r["hash"]))
        for r in tqdm(rows, desc="event store", unit="event", disable=quiet, mininterval=1)
    ]
    for stream_id, events in groupby(chained, key=lambda c: c.event.stream_id):
        stream = list(events)
        result.streams += 1
        result.events += len(stream)
        broken = first_broken_link(stream_id, stream)
        if broken:
            result.findings.append(broken)
        for stored in stream:
            store[str(stored.event.event_id)] = stored.event
    unpublished = {r[0] for r in await conn.fetch(_UNPUBLISHED, settings.okr_events_topic)}
    copies: list[RecordedEvent] = []
    values = await read_topic(
        kafka_options(settings), settings.okr_events_topic, settings.topic_partitions
    )
    with tqdm(values, desc="topic copy", unit="record", disable=quiet, mininterval=1) as bar:
        for value in bar:
            try:
                copies.append(RecordedEvent.model_validate_json(value))
            except ValidationError:
                result.findings.append(
                    Finding(settings.okr_events_topic, None, "a record is not a recorded event")
                )
    result.topic_records = len(copies)
    result.findings.extend(compare_copies(store, copies, unpublished))
    return result
