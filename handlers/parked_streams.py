"""Operator actions on OKR streams the read-model projection parked: list them, retry them
after a repair, or skip the event they are parked at (the skip is recorded in the store)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

import asyncpg

from domain.event_chain import RecordedEvent
from domain.kernel import DomainError
from domain.projection_skips import PROJECTION_SKIPS, PROJECTION_SKIPS_STREAM, SkipParkedEvent
from handlers.recording import StreamCommands
from infra.failures import is_transient
from infra.postgres.event_store import EventStore
from infra.postgres.org_stream import RecordedOrg
from projections.okr.okr_read_models import (
    PROJECTION,
    AppliedBatch,
    locked_parking,
    parked_rows,
    skip_to,
    unpark,
)
from projections.okr.okr_topic import after_batch, apply_okr_topic


class NotParked(DomainError):
    """The stream is not parked (or not at the version named)."""


@dataclass(frozen=True, slots=True)
class ParkedStream:
    stream_id: str
    version: int
    event_type: str
    reason: str
    detail: str
    parked_at: datetime
    waiting: int  # events of the stream held behind the parked one, itself included


async def parked_streams(conn: asyncpg.Connection) -> list[ParkedStream]:
    return [ParkedStream(**row) for row in await parked_rows(conn)]


async def skipped_events(conn: asyncpg.Connection) -> list[RecordedEvent]:
    """Every recorded skip, oldest first."""
    return await EventStore("").load(conn, PROJECTION_SKIPS_STREAM)


async def retry_stream(
    conn: asyncpg.Connection, stream_id: str, alerts_topic: str, zone: tzinfo
) -> AppliedBatch:
    """Apply the parked stream's waiting events from the event store, in order; it parks again
    (at the same or a later event) if one still cannot apply."""
    async with conn.transaction():
        await _parked_row(conn, stream_id, None)
        outcome = await _resume(conn, stream_id, alerts_topic, zone)
    await after_batch(conn, zone, alerts_topic)
    return outcome


async def skip_parked_event(
    conn: asyncpg.Connection,
    store: EventStore,
    stream_id: str,
    version: int,
    reason: str,
    actor_id: str,
    alerts_topic: str,
    zone: tzinfo,
) -> AppliedBatch:
    """Record the skip, pass over the event and apply the stream's later events."""
    async with conn.transaction():
        parked = await _parked_row(conn, stream_id, version)
        command = SkipParkedEvent(
            command_id=uuid.uuid4(),
            projection=PROJECTION,
            stream_id=stream_id,
            version=version,
            event_id=parked["event_id"],
            event_type=parked["event_type"],
            reason=reason,
            actor_id=actor_id,
            at=datetime.now(UTC),
        )
        await _record_skip(conn, store, command)
        await skip_to(conn, stream_id, version)
        outcome = await _resume(conn, stream_id, alerts_topic, zone)
    await after_batch(conn, zone, alerts_topic)
    return outcome


async def _parked_row(
    conn: asyncpg.Connection, stream_id: str, version: int | None
) -> asyncpg.Record:
    row = await locked_parking(conn, stream_id)
    if row is None:
        raise NotParked(f"stream {stream_id!r} is not parked")
    if version is not None and row["version"] != version:
        raise NotParked(
            f"stream {stream_id!r} is parked at version {row['version']}, not {version}"
        )
    return row


async def _resume(
    conn: asyncpg.Connection, stream_id: str, alerts_topic: str, zone: tzinfo
) -> AppliedBatch:
    position = await unpark(conn, stream_id)
    waiting = await EventStore("").load(conn, stream_id, position)
    return await apply_okr_topic(conn, waiting, is_transient, alerts_topic, zone)


async def _record_skip(
    conn: asyncpg.Connection, store: EventStore, command: SkipParkedEvent
) -> None:
    recorder = StreamCommands(store, RecordedOrg(store), lambda: command.at)
    await recorder.run(conn, PROJECTION_SKIPS, command, lambda _org: None, None)
