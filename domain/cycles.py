"""Planning cycles (quarters, months) and the north-star metric HQ owns."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from domain.aggregate import Aggregate
from domain.event_chain import EventTypes, RecordedEvent, Stamped
from domain.health import DEFAULT_THRESHOLDS
from domain.kernel import Actor, AwareDatetime, Conflict, Identifier, Invalid, Message, NotAllowed

CYCLES_STREAM = "cycles"
NORTH_STAR_STREAM = "north-star"


class HqCommand(Message):
    command_id: uuid.UUID
    actor: Actor
    at: AwareDatetime


class DefineCycle(HqCommand):
    """A quarter or a month that objectives and KRs are set for."""

    cycle_id: Identifier
    kind: Literal["quarter", "month"]
    starts_on: date
    ends_on: date
    green_max_gap: Decimal = Field(
        default=DEFAULT_THRESHOLDS.green_max,
        ge=0,
        le=100,
        description="a KR this many points behind its pacing line or less is green",
    )
    amber_max_gap: Decimal = Field(
        default=DEFAULT_THRESHOLDS.amber_max,
        ge=0,
        le=100,
        description="... this many or less is amber; further behind is red",
    )
    hysteresis_points: Decimal = Field(
        default=DEFAULT_THRESHOLDS.hysteresis,
        ge=0,
        le=25,
        description="how far past a threshold a KR must get before it is alerted as better",
    )


class SetNorthStar(HqCommand):
    """The one measurable metric the whole company steers by (owned by HQ)."""

    metric: str = Field(min_length=3, max_length=300)
    target: Decimal
    unit: str = Field(min_length=1, max_length=40)
    comparison: Literal[">=", "<="] = ">="
    owner_person_id: Identifier
    measured_by: Identifier | None = Field(
        default=None,
        description="the KR whose live value measures the north star (e.g. HQ's KR bound to the"
        " same sales metric): the board shows its value and trend",
    )


class CycleDefined(Message):
    """A planning cycle exists."""

    type: Literal["okr.cycle.defined"] = "okr.cycle.defined"
    schema_version: Literal[1] = 1
    cycle_id: str
    kind: str
    starts_on: date
    ends_on: date
    green_max_gap: Decimal = DEFAULT_THRESHOLDS.green_max
    amber_max_gap: Decimal = DEFAULT_THRESHOLDS.amber_max
    # Added later; events recorded before carry none and mean the default.
    hysteresis_points: Decimal = DEFAULT_THRESHOLDS.hysteresis


class NorthStarSet(Message):
    """The north star is now this metric and target (earlier values stay in the history)."""

    type: Literal["okr.north_star.set"] = "okr.north_star.set"
    schema_version: Literal[1] = 1
    metric: str
    target: Decimal
    unit: str
    comparison: str
    owner_person_id: str
    measured_by: str | None = None  # added later; events recorded before carry none


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def decide_cycle(
    cycles: tuple[CycleDefined, ...], command: DefineCycle, context: None
) -> tuple[CycleDefined]:
    if command.actor.role != "hq_admin":
        raise NotAllowed("only HQ defines planning cycles")
    if any(cycle.cycle_id == command.cycle_id for cycle in cycles):
        raise Conflict(f"cycle {command.cycle_id!r} already exists")
    if command.amber_max_gap < command.green_max_gap:
        raise Invalid("amber_max_gap: must be at least green_max_gap")
    if command.starts_on.day != 1:
        raise Invalid("starts_on: a cycle starts on the first day of a month")
    months = 3 if command.kind == "quarter" else 1
    if command.kind == "quarter" and command.starts_on.month % 3 != 1:
        raise Invalid("starts_on: a quarter starts in January, April, July or October")
    end = command.starts_on
    for _ in range(months):
        end = _month_end(end) + timedelta(days=1)
    if command.ends_on != end - timedelta(days=1):
        raise Invalid(
            f"ends_on: a {command.kind} starting {command.starts_on} ends on "
            f"{end - timedelta(days=1)}"
        )
    for cycle in cycles:
        if (
            cycle.starts_on <= command.ends_on
            and cycle.ends_on >= command.starts_on
            and cycle.kind == command.kind
        ):
            raise Conflict(f"overlaps {command.kind} {cycle.cycle_id}")
    return (
        CycleDefined(
            cycle_id=command.cycle_id,
            kind=command.kind,
            starts_on=command.starts_on,
            ends_on=command.ends_on,
            green_max_gap=command.green_max_gap,
            amber_max_gap=command.amber_max_gap,
            hysteresis_points=command.hysteresis_points,
        ),
    )


def _add_cycle(
    cycles: tuple[CycleDefined, ...], stamped: Stamped[CycleDefined]
) -> tuple[CycleDefined, ...]:
    return (*cycles, stamped.event)


CYCLES: Aggregate[tuple[CycleDefined, ...], DefineCycle, CycleDefined, None] = Aggregate(
    events=EventTypes(CycleDefined),
    initial=tuple,
    evolve=_add_cycle,
    decide=decide_cycle,
    stream_of=lambda _command: CYCLES_STREAM,
)


def cycle_days(history: list[RecordedEvent]) -> dict[str, tuple[date, date]]:
    """Each defined cycle's first and last day, from the cycles stream."""
    return {cycle.cycle_id: (cycle.starts_on, cycle.ends_on) for cycle in CYCLES.fold(history)}


def require_defined_cycle(cycle_id: str, defined: frozenset[str]) -> None:
    """Goals and meetings belong to a cycle HQ defined; any other string is refused (422)."""
    if cycle_id not in defined:
        known = ", ".join(sorted(defined)[-4:]) or "none yet"
        raise Invalid(
            f"cycle_id: no cycle {cycle_id!r} is defined (defined: {known}); HQ defines"
            " cycles with POST /v1/okr/cycles or `northstar okr define-cycle`"
        )


def decide_north_star(
    current: NorthStarSet | None, command: SetNorthStar, measuring_kr_target: Decimal | None
) -> tuple[NorthStarSet]:
    """`measuring_kr_target`: the current target of the KR named in `measured_by` (None: no
    such KR). The star's target and its measuring KR's are one value: the KR's, which moves
    only through the audited adjustment workflow (the banner shows the KR's target as the
    star's); a star set with another target is refused, naming both."""
    if command.actor.role != "hq_admin":
        raise NotAllowed("the north star is set by HQ")
    if command.measured_by is not None:
        if measuring_kr_target is None:
            raise Invalid(f"measured_by: no key result {command.measured_by!r}")
        if measuring_kr_target != command.target:
            raise Invalid(
                f"target: {command.target} is not the target of {command.measured_by!r}, the "
                f"KR that measures the star ({measuring_kr_target}); they are one value: set "
                f"the star's target to {measuring_kr_target}, or adjust the KR's target first "
                "(request, approve, apply)"
            )
    return (
        NorthStarSet(
            metric=command.metric,
            target=command.target,
            unit=command.unit,
            comparison=command.comparison,
            owner_person_id=command.owner_person_id,
            measured_by=command.measured_by,
        ),
    )


def _north_star_evolve(
    _current: NorthStarSet | None, stamped: Stamped[NorthStarSet]
) -> NorthStarSet | None:
    return stamped.event


NORTH_STAR: Aggregate[NorthStarSet | None, SetNorthStar, NorthStarSet, Decimal | None] = Aggregate(
    events=EventTypes(NorthStarSet),
    initial=lambda: None,
    evolve=_north_star_evolve,
    decide=decide_north_star,
    stream_of=lambda _command: NORTH_STAR_STREAM,
)
