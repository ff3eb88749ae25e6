"""The bi-weekly calibration meeting: an agenda generated from the data, and its outcomes
(health verdicts, weight changes, escalations, decisions) recorded in one command."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from domain.aggregate import Aggregate, StreamPrefix
from domain.cycles import require_defined_cycle
from domain.escalations import OpenEscalation
from domain.event_chain import EventTypes, Stamped
from domain.focus import MAX_ACTIVE_OBJECTIVES, CleanupTask
from domain.health import STALE_AFTER, Health
from domain.kernel import (
    Actor,
    AwareDatetime,
    Conflict,
    Identifier,
    Message,
    NotAllowed,
    NotFound,
    changed,
)
from domain.key_result.commands import RecordHealthVerdict
from domain.objectives import CalibrateKeyResultWeights
from domain.org_tree import OrgTree


@dataclass(frozen=True)
class KrSnapshot:
    """One KR as the board shows it (its reading: progress and where it comes from, the pacing
    line's expectation, health and why), with what the agenda asks about."""

    kr_id: str
    title: str
    owner_person_id: str
    owner_unit_id: str
    provenance: Literal["auto", "manual", "none"]
    progress: Decimal
    expected: Decimal
    health: Health | None
    reasons: tuple[str, ...]
    last_check_in_at: datetime | None
    open_blocker: str | None
    open_request_id: str | None
    request_waiting_since: datetime | None


Section = Literal[
    "cleanup_due", "off_track", "no_check_in", "blockers", "pending_adjustments", "objective"
]
Question = Literal["is_progress_healthy", "which_blockers_need_support", "should_weights_change"]
# The three questions of a calibration meeting, and the sections that answer the first two
# (the third is answered with the objectives' weights, beside the agenda).
QUESTIONS: dict[Section, Question] = {
    "cleanup_due": "is_progress_healthy",
    "off_track": "is_progress_healthy",
    "no_check_in": "is_progress_healthy",
    "blockers": "which_blockers_need_support",
    "pending_adjustments": "which_blockers_need_support",
    "objective": "should_weights_change",
}


@dataclass(frozen=True)
class AgendaItem:
    section: Section
    kr_id: str | None  # None: an item about a person's objectives (the cleanup)
    title: str
    owner_person_id: str
    detail: str
    health: Health | None = None
    objective_ids: tuple[str, ...] = ()
    progress: Decimal | None = None  # an objective's number

    @property
    def question(self) -> str:
        return QUESTIONS[self.section]

    def document(self) -> dict[str, object]:
        """The item as the API and the CLI show it, with the question it answers."""
        return {**asdict(self), "question": self.question}


@dataclass(frozen=True)
class ObjectiveSnapshot:
    """One objective with its number (`domain.objective_scores`), as the board shows it."""

    objective_id: str
    title: str
    owner_person_id: str
    progress: Decimal
    health: Health | None
    basis: str


def calibration_agenda(
    krs: list[KrSnapshot],
    now: datetime,
    cleanups: Sequence[CleanupTask] = (),
    objectives: Sequence[ObjectiveSnapshot] = (),
) -> list[AgendaItem]:
    """The quarter's cleanup tasks not done yet (`domain.focus`), then red and amber KRs
    (furthest behind the pacing line first), open blockers, pending adjustments (longest
    waiting first), KRs fed by check-ins that nobody has checked in on for 14 days (a KR fed
    by sales needs none), and last the objectives with their numbers, weakest first (the
    weights question)."""
    items = [
        AgendaItem(
            "cleanup_due",
            None,
            f"quarterly cleanup {task.cycle_id}",
            task.owner_person_id,
            f"{task.active_now} objectives in force (at most {MAX_ACTIVE_OBJECTIVES})"
            + (f"; to close: {', '.join(task.to_close)}" if task.to_close else ""),
            objective_ids=task.objective_ids,
        )
        for task in cleanups
        if not task.done
    ]
    behind = sorted(
        (kr for kr in krs if kr.health not in ("green", None)),
        key=lambda kr: kr.progress - kr.expected,
    )
    items += [
        AgendaItem(
            "off_track", kr.kr_id, kr.title, kr.owner_person_id, "; ".join(kr.reasons), kr.health
        )
        for kr in behind
    ]
    items += [
        AgendaItem("blockers", kr.kr_id, kr.title, kr.owner_person_id, kr.open_blocker)
        for kr in krs
        if kr.open_blocker
    ]
    waiting = sorted(
        (
            (kr.request_waiting_since, kr)
            for kr in krs
            if kr.open_request_id and kr.request_waiting_since is not None
        ),
        key=lambda pair: pair[0],
    )
    items += [
        AgendaItem(
            "pending_adjustments",
            kr.kr_id,
            kr.title,
            kr.owner_person_id,
            f"request {kr.open_request_id} waiting {_days(now - since)}",
        )
        for since, kr in waiting
    ]
    items += [
        AgendaItem(
            "no_check_in",
            kr.kr_id,
            kr.title,
            kr.owner_person_id,
            "never checked in"
            if kr.last_check_in_at is None
            else f"last check-in {_days(now - kr.last_check_in_at)} ago",
        )
        for kr in krs
        if kr.provenance != "auto"
        and (kr.last_check_in_at is None or now - kr.last_check_in_at > STALE_AFTER)
    ]
    items += [
        AgendaItem(
            "objective",
            None,
            o.title,
            o.owner_person_id,
            f"{o.progress} % ({o.basis.replace('_', ' ')})",
            o.health,
            (o.objective_id,),
            o.progress,
        )
        for o in sorted(objectives, key=lambda o: (o.progress, o.objective_id))
    ]
    return items


def _days(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.1f} days"


# ---- the meeting's stream -------------------------------------------------------------------


MEETING_STREAMS = StreamPrefix("calibration-")
meeting_stream = MEETING_STREAMS.stream
meeting_of_stream = MEETING_STREAMS.id_of


class Verdict(Message):
    kr_id: Identifier
    health: Health
    note: str = Field(default="", max_length=1000)


class WeightChange(Message):
    objective_id: Identifier
    weights: dict[Identifier, Decimal]


class Escalation(Message):
    kr_id: Identifier
    to_unit_id: Identifier
    note: str = Field(default="", max_length=1000)


class CalibrationCommand(Message):
    command_id: uuid.UUID
    meeting_id: Identifier
    actor: Actor
    at: AwareDatetime


class ScheduleCalibration(CalibrationCommand):
    """Put a calibration meeting for an org unit's subtree in the calendar."""

    unit_id: Identifier
    cycle_id: Identifier
    starts_at: AwareDatetime
    duration_minutes: int = Field(default=45, ge=15, le=240)


class RecordCalibrationOutcomes(CalibrationCommand):
    """Everything the meeting decided, in one go."""

    verdicts: tuple[Verdict, ...] = ()
    weight_changes: tuple[WeightChange, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    decisions: tuple[str, ...] = ()


class CalibrationEvent(Message):
    type: str
    schema_version: Literal[1] = 1


class CalibrationScheduled(CalibrationEvent):
    """A calibration meeting was scheduled."""

    type: Literal["okr.calibration.scheduled"] = "okr.calibration.scheduled"
    unit_id: str
    cycle_id: str
    starts_at: datetime
    duration_minutes: int


class CalibrationOutcomesRecorded(CalibrationEvent):
    """What the meeting concluded."""

    type: Literal["okr.calibration.outcomes_recorded"] = "okr.calibration.outcomes_recorded"
    verdicts: tuple[Verdict, ...]
    weight_changes: tuple[WeightChange, ...]
    escalations: tuple[Escalation, ...]
    decisions: tuple[str, ...]


CALIBRATION_EVENTS: EventTypes[CalibrationEvent] = EventTypes(
    CalibrationScheduled, CalibrationOutcomesRecorded
)
calibration_event_of = CALIBRATION_EVENTS.decode


@dataclass(frozen=True)
class MeetingState:
    unit_id: str | None = None
    concluded: bool = False


def evolve(state: MeetingState, stamped: Stamped[CalibrationEvent]) -> MeetingState:
    match stamped.event:
        case CalibrationScheduled() as e:
            return MeetingState(unit_id=e.unit_id)
        case CalibrationOutcomesRecorded():
            return changed(state, concluded=True)
    return state


@dataclass(frozen=True)
class CalibrationContext:
    """What a calibration decision needs beyond the stream: the org tree, the defined cycles."""

    org: OrgTree
    cycles: frozenset[str]


def chairs(actor: Actor, unit_id: str, org: OrgTree) -> bool:
    """Who runs a unit's calibration: a manager of the unit or of one above it, or HQ."""
    if actor.role == "hq_admin":
        return True
    return actor.role == "manager" and actor.unit_id in org.ancestors_and_self(unit_id)


def decide(
    state: MeetingState, command: CalibrationCommand, context: CalibrationContext
) -> tuple[CalibrationEvent, ...]:
    """Events for a calibration command, or a DomainError."""
    org = context.org
    match command:
        case ScheduleCalibration():
            if state.unit_id is not None:
                raise Conflict(f"meeting {command.meeting_id!r} is already scheduled")
            require_defined_cycle(command.cycle_id, context.cycles)
            if command.unit_id not in org.units:
                raise NotFound(f"unknown org unit {command.unit_id!r}")
            if not chairs(command.actor, command.unit_id, org):
                raise NotAllowed("a calibration is scheduled by a manager of the unit or by HQ")
            return (
                CalibrationScheduled(
                    unit_id=command.unit_id,
                    cycle_id=command.cycle_id,
                    starts_at=command.starts_at,
                    duration_minutes=command.duration_minutes,
                ),
            )
        case RecordCalibrationOutcomes():
            if state.unit_id is None:
                raise NotFound(f"no calibration meeting {command.meeting_id!r}")
            if not chairs(command.actor, state.unit_id, org):
                raise NotAllowed("outcomes are recorded by a manager of the unit or by HQ")
            if state.concluded:
                raise Conflict(f"outcomes of meeting {command.meeting_id!r} are already recorded")
            for change in command.weight_changes:
                total = sum(change.weights.values(), Decimal(0))
                if total != 100:
                    raise Conflict(
                        f"weight change for {change.objective_id}: weights add up to {total},"
                        " not 100"
                    )
            return (
                CalibrationOutcomesRecorded(
                    verdicts=command.verdicts,
                    weight_changes=command.weight_changes,
                    escalations=command.escalations,
                    decisions=command.decisions,
                ),
            )
    raise NotFound(f"unknown command {type(command).__name__}")


CALIBRATION: Aggregate[MeetingState, CalibrationCommand, CalibrationEvent, CalibrationContext] = (
    Aggregate(
        events=CALIBRATION_EVENTS,
        initial=MeetingState,
        evolve=evolve,
        decide=decide,
        stream_of=lambda command: meeting_stream(command.meeting_id),
    )
)


# ---- what recorded outcomes do --------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveOwner:
    """Where an objective lives: its owner's portfolio for its cycle."""

    owner_person_id: str
    cycle_id: str


FollowOn = CalibrateKeyResultWeights | RecordHealthVerdict | OpenEscalation


def follow_on_commands(
    outcomes: RecordCalibrationOutcomes,
    owners: Mapping[str, ObjectiveOwner],
    respond_within: timedelta,
) -> tuple[FollowOn, ...]:
    """The commands a meeting's outcomes issue, in the chair's name and at the meeting's time:
    each weight change to its objective's portfolio, each verdict to its KR's stream, each
    escalation opened in the target level's inbox (answered within `respond_within`). Their ids
    derive from the outcomes command's, so a retried meeting issues the same ones again (and the
    store answers them). `owners` holds every objective a weight change names."""
    commands: list[FollowOn] = []
    for change in outcomes.weight_changes:
        owner = owners.get(change.objective_id)
        if owner is None:
            raise NotFound(f"weight change: no objective {change.objective_id!r}")
        commands.append(
            CalibrateKeyResultWeights(
                command_id=uuid.uuid5(outcomes.command_id, f"weights:{change.objective_id}"),
                owner_person_id=owner.owner_person_id,
                cycle_id=owner.cycle_id,
                actor=outcomes.actor,
                at=outcomes.at,
                objective_id=change.objective_id,
                weights=change.weights,
                meeting_id=outcomes.meeting_id,
            )
        )
    for verdict in outcomes.verdicts:
        commands.append(
            RecordHealthVerdict(
                command_id=uuid.uuid5(outcomes.command_id, f"verdict:{verdict.kr_id}"),
                kr_id=verdict.kr_id,
                actor=outcomes.actor,
                at=outcomes.at,
                health=verdict.health,
                note=verdict.note,
                meeting_id=outcomes.meeting_id,
            )
        )
    for escalation in outcomes.escalations:
        commands.append(
            OpenEscalation(
                command_id=uuid.uuid5(outcomes.command_id, f"escalation:{escalation.kr_id}"),
                escalation_id=f"{outcomes.meeting_id}:{escalation.kr_id}",
                actor=outcomes.actor,
                at=outcomes.at,
                kr_id=escalation.kr_id,
                to_unit_id=escalation.to_unit_id,
                note=escalation.note,
                source="calibration",
                meeting_id=outcomes.meeting_id,
                respond_within=respond_within,
            )
        )
    return tuple(commands)
