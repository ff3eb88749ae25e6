"""Escalations: a blocker raised to another level for support — by a calibration meeting or by
the KR's owner — waits in the target's inbox until someone there acknowledges and resolves it,
within an agreed response time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from domain.aggregate import Aggregate, StreamPrefix
from domain.event_chain import EventTypes, Stamped
from domain.kernel import (
    Actor,
    AwareDatetime,
    Conflict,
    Identifier,
    Invalid,
    Message,
    NotAllowed,
    NotFound,
    changed,
)
from domain.org_tree import OrgTree

ESCALATION_STREAMS = StreamPrefix("escalation-")
escalation_stream = ESCALATION_STREAMS.stream
escalation_of_stream = ESCALATION_STREAMS.id_of
Source = Literal["calibration", "owner"]


# ---- commands -------------------------------------------------------------------------------


class EscalationCommand(Message):
    command_id: uuid.UUID
    escalation_id: Identifier
    actor: Actor
    at: AwareDatetime


class OpenEscalation(EscalationCommand):
    """Raise a KR's blocker to an org unit's managers or a named person (issued by a meeting's
    outcomes or a KR's blocker escalation, not by a route of its own)."""

    kr_id: Identifier
    to_unit_id: Identifier | None = None
    to_person_id: Identifier | None = None
    note: str = Field(default="", max_length=2000)
    source: Source
    meeting_id: Identifier | None = None
    respond_within: timedelta = Field(gt=timedelta(0))


class AcknowledgeEscalation(EscalationCommand):
    """Someone at the target level has seen it and is on it."""

    note: str = Field(default="", max_length=2000)


class ResolveEscalation(EscalationCommand):
    """The support was given (or refused), saying how."""

    note: str = Field(min_length=3, max_length=2000)


# ---- events ---------------------------------------------------------------------------------


class EscalationEvent(Message):
    type: str
    schema_version: Literal[1] = 1


class EscalationOpened(EscalationEvent):
    """A blocker waits for support from the target level, answered by `due_at`."""

    type: Literal["okr.escalation.opened"] = "okr.escalation.opened"
    kr_id: str
    to_unit_id: str | None
    to_person_id: str | None
    note: str
    source: Source
    meeting_id: str | None
    due_at: datetime


class EscalationAcknowledged(EscalationEvent):
    type: Literal["okr.escalation.acknowledged"] = "okr.escalation.acknowledged"
    note: str


class EscalationResolved(EscalationEvent):
    type: Literal["okr.escalation.resolved"] = "okr.escalation.resolved"
    note: str


ESCALATION_EVENTS: EventTypes[EscalationEvent] = EventTypes(
    EscalationOpened, EscalationAcknowledged, EscalationResolved
)
escalation_event_of = ESCALATION_EVENTS.decode


# ---- state and decide -----------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationState:
    opened: bool = False
    to_unit_id: str | None = None
    to_person_id: str | None = None
    acknowledged: bool = False
    resolved: bool = False


def evolve(state: EscalationState, stamped: Stamped[EscalationEvent]) -> EscalationState:
    match stamped.event:
        case EscalationOpened() as e:
            return EscalationState(True, e.to_unit_id, e.to_person_id)
        case EscalationAcknowledged():
            return changed(state, acknowledged=True)
        case EscalationResolved():
            return changed(state, resolved=True)
    return state


def may_answer(
    actor: Actor, to_unit_id: str | None, to_person_id: str | None, org: OrgTree
) -> bool:
    """HQ, the person it names, or a manager of the unit it names (or of one above it)."""
    if actor.role == "hq_admin" or (to_person_id is not None and actor.person_id == to_person_id):
        return True
    return (
        actor.role == "manager"
        and to_unit_id is not None
        and to_unit_id in org.units
        and actor.unit_id in org.ancestors_and_self(to_unit_id)
    )


def decide(
    state: EscalationState, command: EscalationCommand, org: OrgTree
) -> tuple[EscalationEvent, ...]:
    match command:
        case OpenEscalation():
            if state.opened:
                raise Conflict(f"escalation {command.escalation_id!r} is already open")
            if (command.to_unit_id is None) == (command.to_person_id is None):
                raise Invalid("to_unit_id or to_person_id: name exactly one level or person")
            if command.to_unit_id is not None and command.to_unit_id not in org.units:
                raise Invalid(f"to_unit_id: unknown org unit {command.to_unit_id!r}")
            return (
                EscalationOpened(
                    kr_id=command.kr_id,
                    to_unit_id=command.to_unit_id,
                    to_person_id=command.to_person_id,
                    note=command.note,
                    source=command.source,
                    meeting_id=command.meeting_id,
                    due_at=command.at + command.respond_within,
                ),
            )
    if not state.opened:
        raise NotFound(f"no escalation {command.escalation_id!r}")
    if state.resolved:
        raise Conflict(f"escalation {command.escalation_id!r} is already resolved")
    if not may_answer(command.actor, state.to_unit_id, state.to_person_id, org):
        raise NotAllowed("an escalation is answered at the level it names (or by HQ)")
    match command:
        case AcknowledgeEscalation():
            if state.acknowledged:
                raise Conflict(f"escalation {command.escalation_id!r} is already acknowledged")
            return (EscalationAcknowledged(note=command.note),)
        case ResolveEscalation():
            return (EscalationResolved(note=command.note),)
    raise Invalid(f"unknown command {type(command).__name__}")


ESCALATION: Aggregate[EscalationState, EscalationCommand, EscalationEvent, OrgTree] = Aggregate(
    events=ESCALATION_EVENTS,
    initial=EscalationState,
    evolve=evolve,
    decide=decide,
    stream_of=lambda command: escalation_stream(command.escalation_id),
)
