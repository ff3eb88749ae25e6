"""Turning decided domain events into recorded, hash-chained, outboxed ones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from domain.event_chain import RecordedEvent, derive_event_id
from infra.postgres.event_store import AppendResult, EventStore


async def append_decided(
    store: EventStore,
    conn: asyncpg.Connection,
    *,
    stream_id: str,
    expected_version: int,
    events: Sequence[BaseModel],
    command_id: uuid.UUID,
    actor_id: str,
    occurred_at: datetime,
    recorded_at: datetime,
    idempotency_key: str | None,
) -> AppendResult:
    records = [
        RecordedEvent(
            event_id=derive_event_id(command_id, index),
            stream_id=stream_id,
            version=expected_version + 1 + index,
            type=event.type,  # type: ignore[attr-defined]
            schema_version=event.schema_version,  # type: ignore[attr-defined]
            payload=event.model_dump(mode="json", exclude={"type", "schema_version"}),
            actor=actor_id,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            correlation_id=command_id,
        )
        for index, event in enumerate(events)
    ]
    return await store.append(conn, records, expected_version, idempotency_key)
