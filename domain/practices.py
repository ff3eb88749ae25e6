"""Experience sharing: a unit publishes a practice that moved a KR; other units adopt it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

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

PRACTICE_STREAMS = StreamPrefix("practice-")
practice_stream = PRACTICE_STREAMS.stream
practice_of_stream = PRACTICE_STREAMS.id_of


class PracticeCommand(Message):
    command_id: uuid.UUID
    practice_id: Identifier
    unit_id: Identifier = Field(description="the unit publishing or adopting")
    actor: Actor
    at: AwareDatetime


Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\s,]+$")]


class PublishPractice(PracticeCommand):
    """Share what worked, linked to the KR it moved, with its evidence: in words, and as a
    figure of a metric (e.g. a campus scenario's first-order conversion, 27 %) others can find
    it by, with tags."""

    kr_id: Identifier
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10, max_length=5000)
    evidence: str = Field(min_length=3, max_length=1000)
    metric: str | None = Field(default=None, min_length=1, max_length=100)
    figure: Decimal | None = None
    figure_unit: str | None = Field(default=None, max_length=20)
    tags: tuple[Tag, ...] = Field(default=(), max_length=10)


class AdoptPractice(PracticeCommand):
    """Another unit takes the practice up, optionally naming its KR the practice should move
    (its progress before and after adoption is shown with the practice)."""

    note: str = Field(default="", max_length=1000)
    kr_id: Identifier | None = None


class PracticeEvent(Message):
    type: str
    schema_version: Literal[1] = 1


class PracticePublished(PracticeEvent):
    """A practice is available for others to copy."""

    type: Literal["okr.practice.published"] = "okr.practice.published"
    kr_id: str
    unit_id: str
    title: str
    description: str
    evidence: str
    # Added in issue 14; events recorded before carry none.
    metric: str | None = None
    figure: Decimal | None = None
    figure_unit: str | None = None
    tags: tuple[str, ...] = ()


class PracticeAdopted(PracticeEvent):
    """A unit adopted the practice."""

    type: Literal["okr.practice.adopted"] = "okr.practice.adopted"
    unit_id: str
    note: str
    kr_id: str | None = None  # added in issue 14


PRACTICE_EVENTS: EventTypes[PracticeEvent] = EventTypes(PracticePublished, PracticeAdopted)
practice_event_of = PRACTICE_EVENTS.decode


@dataclass(frozen=True)
class PracticeState:
    published_by: str | None = None  # the publishing unit
    adopters: frozenset[str] = frozenset()


def evolve(state: PracticeState, stamped: Stamped[PracticeEvent]) -> PracticeState:
    match stamped.event:
        case PracticePublished() as e:
            return changed(state, published_by=e.unit_id)
        case PracticeAdopted() as e:
            return changed(state, adopters=state.adopters | {e.unit_id})
    return state


def decide(
    state: PracticeState, command: PracticeCommand, org: OrgTree
) -> tuple[PracticeEvent, ...]:
    if command.unit_id not in org.units:
        raise Invalid(f"unit_id: unknown org unit {command.unit_id!r}")
    if command.actor.role == "auditor":
        raise NotAllowed("auditors read; they do not publish or adopt practices")
    if command.actor.role != "hq_admin" and command.actor.unit_id not in org.ancestors_and_self(
        command.unit_id
    ):
        raise NotAllowed("people act for their own unit (or one below it)")
    match command:
        case PublishPractice():
            if state.published_by is not None:
                raise Conflict(f"practice {command.practice_id!r} is already published")
            return (
                PracticePublished(
                    kr_id=command.kr_id,
                    unit_id=command.unit_id,
                    title=command.title,
                    description=command.description,
                    evidence=command.evidence,
                    metric=command.metric,
                    figure=command.figure,
                    figure_unit=command.figure_unit,
                    tags=tuple(sorted(set(command.tags))),
                ),
            )
        case AdoptPractice():
            if state.published_by is None:
                raise NotFound(f"no practice {command.practice_id!r}")
            if command.unit_id == state.published_by:
                raise Conflict("a unit does not adopt its own practice")
            if command.unit_id in state.adopters:
                raise Conflict(f"{command.unit_id} already adopted this practice")
            return (
                PracticeAdopted(unit_id=command.unit_id, note=command.note, kr_id=command.kr_id),
            )
    raise Invalid(f"unknown command {type(command).__name__}")


PRACTICE: Aggregate[PracticeState, PracticeCommand, PracticeEvent, OrgTree] = Aggregate(
    events=PRACTICE_EVENTS,
    initial=PracticeState,
    evolve=evolve,
    decide=decide,
    stream_of=lambda command: practice_stream(command.practice_id),
)
