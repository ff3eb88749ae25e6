"""The rhythm of a unit's calibration meetings (fortnightly by default): set as an event by the
unit's manager or HQ; each next meeting is scheduled ahead of time from it, with an id and a
command id derived from the unit and the day, so scheduling it twice records it once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from pydantic import Field

from domain.aggregate import Aggregate, StreamPrefix
from domain.calibration import ScheduleCalibration, chairs
from domain.event_chain import EventTypes, Stamped
from domain.kernel import Actor, AwareDatetime, Identifier, Invalid, Message, NotAllowed
from domain.org_tree import OrgTree

cadence_stream = StreamPrefix("cadence-").stream
_SCHEDULE_NAMESPACE = uuid.UUID("5b1f0f7e-2c4a-4d8e-9f3b-7a6c5d4e3b21")
# Who schedules the meetings a cadence calls for (a process, acting with HQ's rights).
SCHEDULER = Actor(person_id="northstar-scheduler", role="hq_admin", unit_id="hq")


class SetCalibrationCadence(Message):
    """Meet every `every_days` days from `first_at` for the unit's subtree."""

    command_id: uuid.UUID
    actor: Actor
    at: AwareDatetime
    unit_id: Identifier
    every_days: int = Field(default=14, ge=7, le=31)
    first_at: AwareDatetime
    duration_minutes: int = Field(default=45, ge=15, le=240)


class CalibrationCadenceSet(Message):
    """The unit's meetings now follow this rhythm (a later one replaces it)."""

    type: Literal["okr.calibration.cadence_set"] = "okr.calibration.cadence_set"
    schema_version: Literal[1] = 1
    unit_id: str
    every_days: int
    first_at: datetime
    duration_minutes: int


CADENCE_EVENTS: EventTypes[CalibrationCadenceSet] = EventTypes(CalibrationCadenceSet)
cadence_event_of = CADENCE_EVENTS.decode


def _evolve(
    _current: CalibrationCadenceSet | None, stamped: Stamped[CalibrationCadenceSet]
) -> CalibrationCadenceSet | None:
    return stamped.event


def decide(
    _current: CalibrationCadenceSet | None, command: SetCalibrationCadence, org: OrgTree
) -> tuple[CalibrationCadenceSet]:
    if command.unit_id not in org.units:
        raise Invalid(f"unit_id: unknown org unit {command.unit_id!r}")
    if not chairs(command.actor, command.unit_id, org):
        raise NotAllowed("a unit's calibration rhythm is set by its managers or by HQ")
    return (
        CalibrationCadenceSet(
            unit_id=command.unit_id,
            every_days=command.every_days,
            first_at=command.first_at,
            duration_minutes=command.duration_minutes,
        ),
    )


CADENCE: Aggregate[
    CalibrationCadenceSet | None, SetCalibrationCadence, CalibrationCadenceSet, OrgTree
] = Aggregate(
    events=CADENCE_EVENTS,
    initial=lambda: None,
    evolve=_evolve,
    decide=decide,
    stream_of=lambda command: cadence_stream(command.unit_id),
)


@dataclass(frozen=True)
class Cadence:
    unit_id: str
    every_days: int
    first_at: datetime
    duration_minutes: int


def next_meeting_at(cadence: Cadence, now: datetime) -> datetime:
    """The first meeting of the rhythm at or after `now`."""
    if now <= cadence.first_at:
        return cadence.first_at
    step = timedelta(days=cadence.every_days)
    passed = -((cadence.first_at - now) // step)  # ceiling of (now - first) / step
    return cadence.first_at + passed * step


def meeting_to_schedule(
    cadence: Cadence, now: datetime, cycle_id: str, zone: tzinfo
) -> ScheduleCalibration:
    """The command scheduling the next meeting of the rhythm, named by the unit and its day in
    the company's zone: the same unit and day give the same ids."""
    starts_at = next_meeting_at(cadence, now)
    meeting_id = f"{cadence.unit_id}-{starts_at.astimezone(zone):%Y%m%d}"
    return ScheduleCalibration(
        command_id=uuid.uuid5(_SCHEDULE_NAMESPACE, meeting_id),
        meeting_id=meeting_id,
        actor=SCHEDULER,
        at=now,
        unit_id=cadence.unit_id,
        cycle_id=cycle_id,
        starts_at=starts_at,
        duration_minutes=cadence.duration_minutes,
    )
