"""An operator's decision to skip one event that a read-model projection cannot apply: the
event stays in the store untouched, the read models go on without it, and the decision is
itself recorded (who, when, why), so auditors see every gap between the store and the views."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from domain.aggregate import Aggregate
from domain.event_chain import EventTypes
from domain.kernel import AwareDatetime, Message

PROJECTION_SKIPS_STREAM = "projection-skips"


class SkipParkedEvent(Message):
    """Let the projection pass over the event a stream is parked at."""

    command_id: uuid.UUID
    projection: str = Field(min_length=1, max_length=100)
    stream_id: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)
    event_id: uuid.UUID
    event_type: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=10, max_length=2000, description="why skipping is right")
    actor_id: str = Field(min_length=1, max_length=200)
    at: AwareDatetime


class ParkedEventSkipped(Message):
    """The projection passed over this event by an operator's decision."""

    type: Literal["ops.projection.event_skipped"] = "ops.projection.event_skipped"
    schema_version: Literal[1] = 1
    projection: str
    stream_id: str
    version: int
    event_id: uuid.UUID
    event_type: str
    reason: str


def decide_skip(
    _state: None, command: SkipParkedEvent, _context: None
) -> tuple[ParkedEventSkipped]:
    """A skip is always recorded; whether the stream is parked there is checked by the caller
    holding the projection's lock."""
    return (
        ParkedEventSkipped(
            projection=command.projection,
            stream_id=command.stream_id,
            version=command.version,
            event_id=command.event_id,
            event_type=command.event_type,
            reason=command.reason,
        ),
    )


PROJECTION_SKIPS: Aggregate[None, SkipParkedEvent, ParkedEventSkipped, None] = Aggregate(
    events=EventTypes(ParkedEventSkipped),
    initial=lambda: None,
    evolve=lambda state, _stamped: state,
    decide=decide_skip,
    stream_of=lambda _command: PROJECTION_SKIPS_STREAM,
    recorded_by=lambda command: command.actor_id,
)
