"""Certification, as the field notes describe it: a person over 100 % on the certification
metric's KRs in two calendar-adjacent cycles is *suggested* (the evaluation's
`alert.person.certification_suggested`); a manager above them *nominates* them; HQ *grants*
the certification ("customer management expert" by default) and recommends them for HQ
strategic projects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
)
from domain.org_tree import OrgTree

CERTIFICATION_STREAMS = StreamPrefix("certification-")
DEFAULT_TITLE = "客户管理专家 customer management expert"
Status = Literal["suggested", "nominated", "granted"]


# ---- commands -------------------------------------------------------------------------------


class CertificationCommand(Message):
    command_id: uuid.UUID
    person_id: Identifier
    cycle_id: Identifier = Field(description="the second of the two cycles the suggestion names")
    actor: Actor
    at: AwareDatetime


class NominateForCertification(CertificationCommand):
    """A manager above the person puts the suggestion forward to HQ."""

    note: str = Field(default="", max_length=2000)


class GrantCertification(CertificationCommand):
    """HQ certifies the person and recommends them for some of its strategic projects."""

    title: str = Field(default=DEFAULT_TITLE, min_length=1, max_length=200)
    recommended_projects: tuple[Identifier, ...] = Field(min_length=1, max_length=10)
    note: str = Field(default="", max_length=2000)


# ---- events ---------------------------------------------------------------------------------


class CertificationEvent(Message):
    type: str
    schema_version: Literal[1] = 1


class NominatedForCertification(CertificationEvent):
    type: Literal["okr.certification.nominated"] = "okr.certification.nominated"
    person_id: str
    cycle_id: str
    note: str


class CertificationGranted(CertificationEvent):
    type: Literal["okr.certification.granted"] = "okr.certification.granted"
    person_id: str
    cycle_id: str
    title: str
    recommended_projects: tuple[str, ...]
    note: str


CERTIFICATION_EVENTS: EventTypes[CertificationEvent] = EventTypes(
    NominatedForCertification, CertificationGranted
)


@dataclass(frozen=True)
class CertificationContext:
    """What the decision needs beyond the stream: the org tree, the person's unit (None: not
    a registered person), whether the evaluation suggested them for that cycle, and HQ's
    strategic projects."""

    org: OrgTree
    person_unit: str | None
    suggested: bool
    projects: frozenset[str]


@dataclass(frozen=True)
class CertificationState:
    status: Status = "suggested"


def evolve(state: CertificationState, stamped: Stamped[CertificationEvent]) -> CertificationState:
    match stamped.event:
        case NominatedForCertification():
            return CertificationState("nominated")
        case CertificationGranted():
            return CertificationState("granted")
    return state


def decide(
    state: CertificationState, command: CertificationCommand, context: CertificationContext
) -> tuple[CertificationEvent, ...]:
    if context.person_unit is None:
        raise NotFound(f"no person {command.person_id!r} is registered")
    match command:
        case NominateForCertification():
            above = context.org.ancestors_and_self(context.person_unit)[1:]
            if command.actor.role != "manager" or command.actor.unit_id not in above:
                raise NotAllowed("a manager above the person nominates them for certification")
            _suggested(command, context)
            if state.status != "suggested":
                raise Conflict(f"{command.person_id} is already {state.status}")
            nominated = NominatedForCertification(
                person_id=command.person_id, cycle_id=command.cycle_id, note=command.note
            )
            return (nominated,)
        case GrantCertification():
            if command.actor.role != "hq_admin":
                raise NotAllowed("HQ grants certifications")
            _suggested(command, context)
            if state.status != "nominated":
                raise Conflict(
                    f"{command.person_id} is {state.status}: a manager nominates them first"
                    if state.status == "suggested"
                    else f"{command.person_id} is already certified for {command.cycle_id}"
                )
            unknown = sorted(set(command.recommended_projects) - context.projects)
            if unknown:
                raise Invalid(f"recommended_projects: no HQ strategic project {', '.join(unknown)}")
            return (
                CertificationGranted(
                    person_id=command.person_id, cycle_id=command.cycle_id, title=command.title,
                    recommended_projects=command.recommended_projects, note=command.note,
                ),
            )  # fmt: skip
    raise Invalid(f"unknown command {type(command).__name__}")


def _suggested(command: CertificationCommand, context: CertificationContext) -> None:
    if not context.suggested:
        raise Conflict(
            f"{command.person_id} was not suggested for certification in {command.cycle_id}:"
            " two calendar-adjacent cycles over 100 % on the certification metric come first"
        )


def certification_stream(person_id: str, cycle_id: str) -> str:
    return CERTIFICATION_STREAMS.stream(f"{person_id}-{cycle_id}")


CERTIFICATION: Aggregate[
    CertificationState, CertificationCommand, CertificationEvent, CertificationContext
] = Aggregate(
    events=CERTIFICATION_EVENTS,
    initial=CertificationState,
    evolve=evolve,
    decide=decide,
    stream_of=lambda command: certification_stream(command.person_id, command.cycle_id),
)
