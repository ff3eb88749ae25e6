"""Postgres event store: expected-version appends, idempotency keys, hash chain, outbox rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from domain.event_chain import GENESIS_HASH, RecordedEvent, chain_hash
from domain.kernel import Conflict, DomainError
from domain.unique_ids import claims_of, taken_message
from infra.postgres.outbox import add_events


class ConcurrencyConflict(DomainError):
    """The stream moved on since the command read it (HTTP 409)."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        seen = "another writer got there first" if actual is None else f"it is at {actual}"
        super().__init__(
            f"stream {stream_id!r} is not at version {expected}: {seen}; reload and retry"
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class _AlreadyRecorded(Exception):
    """The events' ids are in the store already."""


class _IdTaken(Exception):
    """An id the events claim company-wide is held by another stream."""

    def __init__(self, namespace: str, claimed_id: str) -> None:
        super().__init__(namespace, claimed_id)
        self.namespace, self.claimed_id = namespace, claimed_id


@dataclass(frozen=True, slots=True)
class AppendResult:
    stream_id: str
    first_version: int
    last_version: int
    replayed: bool  # True when the idempotency key had been used: nothing was appended now


_INSERT_EVENTS = """
INSERT INTO event_store (stream_id, version, event_id, event_type, schema_version, payload,
                         actor, occurred_at, recorded_at, correlation_id, causation_id,
                         prev_hash, hash)
SELECT * FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::int[], $6::jsonb[],
                     $7::text[], $8::timestamptz[], $9::timestamptz[], $10::uuid[], $11::uuid[],
                     $12::bytea[], $13::bytea[])
"""
_STREAM_HEAD = """
SELECT version, event_id FROM event_store WHERE stream_id = $1 ORDER BY version DESC LIMIT 1
"""
# The columns a RecordedEvent is read from (see recorded_event); audit readers select them too.
EVENT_COLUMNS = """event_id, stream_id, version, event_type AS type, schema_version, payload,
       actor, occurred_at, recorded_at, correlation_id, causation_id"""
_SELECT_STREAM = f"""
SELECT {EVENT_COLUMNS}
FROM event_store WHERE stream_id = $1 AND version > $2 ORDER BY version
"""

# A stream's events after a version and, in the same round trip, another stream's head (the
# command side's org tree checks its fold against it): always one row, the events' columns
# NULL when there are none.
_SELECT_STREAM_WITH_HEAD = f"""
SELECT h.version AS head_version, h.event_id AS head_event_id, e.*
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT version, event_id FROM event_store WHERE stream_id = $3 ORDER BY version DESC LIMIT 1
) h ON true
LEFT JOIN LATERAL (
    SELECT {EVENT_COLUMNS} FROM event_store WHERE stream_id = $1 AND version > $2
) e ON true
ORDER BY e.version
"""

_FIELDS = tuple(RecordedEvent.model_fields)


def recorded_event(row: asyncpg.Record) -> RecordedEvent:
    """A stored event from a row holding EVENT_COLUMNS (others are ignored)."""
    return RecordedEvent.model_validate(
        {name: row[name] for name in _FIELDS} | {"payload": json.loads(row["payload"])}
    )


class EventStore:
    def __init__(self, topic: str) -> None:
        self.topic = topic

    async def append(
        self,
        conn: asyncpg.Connection,
        events: Sequence[RecordedEvent],
        expected_version: int,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Append `events` (versions expected+1, expected+2, ...) to their one stream, or raise
        ConcurrencyConflict; a used idempotency key returns the first result instead."""
        if not events:
            raise ValueError("nothing to append")
        stream_id = events[0].stream_id
        versions = [e.version for e in events]
        if {e.stream_id for e in events} != {stream_id} or versions != list(
            range(expected_version + 1, expected_version + 1 + len(events))
        ):
            raise ValueError("events must be consecutive versions of one stream after expected")
        try:
            return await self._append(conn, events, expected_version, idempotency_key)
        except _AlreadyRecorded:
            # Event ids derive from the command id: these events are a retried command's.
            return await self._recorded(conn, events)
        except _IdTaken as taken:
            holder = await self.claim_holder(conn, taken.namespace, taken.claimed_id)
            detail = holder.payload if holder else {}
            raise Conflict(taken_message(taken.namespace, taken.claimed_id, detail)) from None

    async def claim_holder(
        self, conn: asyncpg.Connection, namespace: str, claimed_id: str
    ) -> RecordedEvent | None:
        """The event that took a company-wide id (e.g. the definition of an objective, in
        its owner's portfolio stream), or None if nobody holds it."""
        row = await conn.fetchrow(
            f"SELECT {EVENT_COLUMNS} FROM event_store WHERE (stream_id, version) ="
            " (SELECT stream_id, version FROM unique_id_claim WHERE namespace = $1 AND id = $2)",
            namespace,
            claimed_id,
        )
        return None if row is None else recorded_event(row)

    async def _append(
        self,
        conn: asyncpg.Connection,
        events: Sequence[RecordedEvent],
        expected_version: int,
        idempotency_key: str | None,
    ) -> AppendResult:
        stream_id = events[0].stream_id
        versions = [e.version for e in events]
        async with conn.transaction():
            if idempotency_key is not None:
                first = await conn.fetchrow(
                    "INSERT INTO command_idempotency (idempotency_key, stream_id, first_version,"
                    " last_version) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                    idempotency_key,
                    stream_id,
                    versions[0],
                    versions[-1],
                )
                if first is None:
                    return await self._replayed(conn, idempotency_key)
            head = await conn.fetchrow(
                "SELECT version, hash FROM event_store WHERE stream_id = $1"
                " ORDER BY version DESC LIMIT 1",
                stream_id,
            )
            current = head["version"] if head else 0
            if current != expected_version:
                raise ConcurrencyConflict(stream_id, expected_version, current)
            prev = head["hash"] if head else GENESIS_HASH
            prev_hashes, hashes = [], []
            for event in events:
                prev_hashes.append(prev)
                prev = chain_hash(prev, event)
                hashes.append(prev)
            try:
                await conn.execute(_INSERT_EVENTS, *_event_columns(events), prev_hashes, hashes)
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == "event_store_event_id_key":
                    raise _AlreadyRecorded from exc
                if exc.constraint_name == "event_store_stream_id_version_key":
                    raise ConcurrencyConflict(stream_id, expected_version, None) from exc
                raise
            await self._claim_ids(conn, events)
            await add_events(
                conn,
                stream_id,
                versions,
                self.topic,
                [(e.event_id, e.model_dump_json().encode()) for e in events],
            )
        return AppendResult(stream_id, versions[0], versions[-1], replayed=False)

    async def _claim_ids(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            for namespace, claimed_id in claims_of(event.type, event.payload):
                taken = await conn.fetchval(
                    "INSERT INTO unique_id_claim (namespace, id, stream_id, version)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING false",
                    namespace,
                    claimed_id,
                    event.stream_id,
                    event.version,
                )
                if taken is None:
                    raise _IdTaken(namespace, claimed_id)

    async def _recorded(
        self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]
    ) -> AppendResult:
        result = await self._by_event_ids(conn, [e.event_id for e in events])
        assert result is not None
        return result

    async def _by_event_ids(
        self, conn: asyncpg.Connection, event_ids: Sequence[uuid.UUID]
    ) -> AppendResult | None:
        row = await conn.fetchrow(
            "SELECT stream_id, min(version) AS first, max(version) AS last FROM event_store"
            " WHERE event_id = ANY($1::uuid[]) GROUP BY stream_id",
            list(event_ids),
        )
        return AppendResult(row["stream_id"], row["first"], row["last"], True) if row else None

    async def earlier_result(
        self, conn: asyncpg.Connection, idempotency_key: str | None, first_event_id: uuid.UUID
    ) -> AppendResult | None:
        """What a command already appended, known by its key or its first derived event id;
        checked before deciding, so a retry is answered instead of refused."""
        if idempotency_key is not None:
            row = await conn.fetchrow(
                "SELECT stream_id, first_version, last_version FROM command_idempotency"
                " WHERE idempotency_key = $1",
                idempotency_key,
            )
            if row:
                return AppendResult(row[0], row[1], row[2], replayed=True)
        return await self._by_event_ids(conn, [first_event_id])

    async def _replayed(self, conn: asyncpg.Connection, key: str) -> AppendResult:
        row = await conn.fetchrow(
            "SELECT stream_id, first_version, last_version FROM command_idempotency"
            " WHERE idempotency_key = $1",
            key,
        )
        return AppendResult(row["stream_id"], row["first_version"], row["last_version"], True)

    async def stream_head(
        self, conn: asyncpg.Connection, stream_id: str
    ) -> tuple[int, uuid.UUID | None]:
        """The stream's last version and that event's id ((0, None) for an empty stream): one
        index probe, enough to tell whether a fold is still the whole stream."""
        row = await conn.fetchrow(_STREAM_HEAD, stream_id)
        return (0, None) if row is None else (row["version"], row["event_id"])

    async def load(
        self, conn: asyncpg.Connection, stream_id: str, after_version: int = 0
    ) -> list[RecordedEvent]:
        rows = await conn.fetch(_SELECT_STREAM, stream_id, after_version)
        return [recorded_event(r) for r in rows]

    async def load_with_head(
        self, conn: asyncpg.Connection, stream_id: str, head_of: str
    ) -> tuple[list[RecordedEvent], tuple[int, uuid.UUID | None]]:
        """`load(stream_id)` and `stream_head(head_of)` in one round trip."""
        rows = await conn.fetch(_SELECT_STREAM_WITH_HEAD, stream_id, 0, head_of)
        head = rows[0]["head_version"] or 0, rows[0]["head_event_id"]
        return [recorded_event(r) for r in rows if r["event_id"] is not None], head


def _event_columns(events: Sequence[RecordedEvent]) -> list[list[object]]:
    return [
        [e.stream_id for e in events],
        [e.version for e in events],
        [e.event_id for e in events],
        [e.type for e in events],
        [e.schema_version for e in events],
        [json.dumps(e.payload, sort_keys=True) for e in events],
        [e.actor for e in events],
        [e.occurred_at for e in events],
        [e.recorded_at for e in events],
        [e.correlation_id for e in events],
        [e.causation_id for e in events],
    ]
