"""Recorded events, their deterministic ids, and the per-stream hash chain that proves them."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from domain.kernel import AwareDatetime, Message

GENESIS_HASH = b"\x00" * 32
_EVENT_NAMESPACE = uuid.UUID("6f1c1c53-4a5e-4d0a-9a4e-2d5f0b3b7e11")


class RecordedEvent(Message):
    """One event as stored: envelope plus payload, at a version of its stream."""

    event_id: uuid.UUID
    stream_id: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)
    type: str = Field(min_length=1, max_length=200)
    schema_version: int = Field(ge=1)
    payload: dict[str, Any]
    actor: str = Field(min_length=1, max_length=200)
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None


def derive_event_id(command_id: uuid.UUID, index: int) -> uuid.UUID:
    """The id of the `index`-th event a command produces: the same command, the same ids."""
    return uuid.uuid5(_EVENT_NAMESPACE, f"{command_id}:{index}")


def canonical_bytes(event: RecordedEvent) -> bytes:
    """Stable encoding for hashing: sorted keys, no spaces, UTC times, UUIDs as text."""
    document = event.model_dump(mode="json")
    for field in ("occurred_at", "recorded_at"):
        moment: datetime = getattr(event, field)
        document[field] = moment.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: bytes, event: RecordedEvent) -> bytes:
    """hash = SHA-256(prev_hash || canonical event)."""
    return hashlib.sha256(prev_hash + canonical_bytes(event)).digest()


E = TypeVar("E", bound=BaseModel)


class EventTypes(Generic[E]):
    """One family of events by wire name; turns stored events of the family back into them."""

    def __init__(self, *classes: type[E]) -> None:
        self.by_name: dict[str, type[E]] = {c.model_fields["type"].default: c for c in classes}

    def decode(self, recorded: RecordedEvent) -> E | None:
        """The domain event a stored one carries (None for types this family does not know)."""
        event_class = self.by_name.get(recorded.type)
        if event_class is None:
            return None
        return event_class.model_validate(
            {**recorded.payload, "type": recorded.type, "schema_version": recorded.schema_version}
        )

    def stamped(self, history: Iterable[RecordedEvent]) -> Iterator[Stamped[E]]:
        """The family's events of a stream, in order, each with who recorded it and when."""
        for recorded in history:
            event = self.decode(recorded)
            if event is not None:
                yield Stamped(event, recorded.actor, recorded.occurred_at)


@dataclass(frozen=True, slots=True)
class Stamped(Generic[E]):
    """A domain event with the envelope facts a fold may need: who recorded it, and when."""

    event: E
    actor: str
    occurred_at: datetime
