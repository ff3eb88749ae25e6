"""A person's objectives in one cycle (their portfolio stream): definition, alignment to
parents, KR weights, closing; and the focus rule's cap (`domain.focus`) on definition."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, tzinfo
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from pydantic import Field

from domain.aggregate import Aggregate
from domain.cycles import require_defined_cycle
from domain.event_chain import EventTypes, Stamped
from domain.focus import MAX_ACTIVE_OBJECTIVES, HeldObjective, in_force, over_the_cap
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
from domain.key_result.state import KeyResultState
from domain.okr_governance import EVERY_REGION_DISTRIBUTED, Governance, definition_refusal
from domain.org_tree import OrgTree
from domain.quality_hints import Hint, focus_hint

FocusMode = Literal["block", "warn"]
NORTH_STAR_PARENT = "north-star"  # the parent id by which an objective contributes to the star


def portfolio_stream(owner_person_id: str, cycle_id: str) -> str:
    return f"portfolio-{owner_person_id}-{cycle_id}"


class Contribution(Message):
    """This objective contributes `weight` percent to a parent objective (or the north star)."""

    parent_id: Identifier
    weight: Decimal = Field(gt=0, le=100)


# ---- commands -------------------------------------------------------------------------------


class PortfolioCommand(Message):
    command_id: uuid.UUID
    owner_person_id: Identifier
    cycle_id: Identifier
    actor: Actor
    at: AwareDatetime


class ObjectiveSpec(Message):
    """What defines an objective (directly, or in an HRBP's proposal)."""

    objective_id: Identifier
    owner_person_id: Identifier
    cycle_id: Identifier
    title: str = Field(min_length=1, max_length=300)
    owner_unit_id: Identifier
    contributes_to: tuple[Contribution, ...] = Field(default=(), max_length=10)


class DefineObjective(PortfolioCommand, ObjectiveSpec):
    """Give a person a new objective for the cycle."""


class AlignObjective(PortfolioCommand):
    """Replace the parents an objective contributes to."""

    objective_id: Identifier
    contributes_to: tuple[Contribution, ...] = Field(min_length=1, max_length=10)


class SetKeyResultWeights(PortfolioCommand):
    """Set how much each KR counts towards the objective; the weights must total 100."""

    objective_id: Identifier
    weights: dict[Identifier, Decimal] = Field(min_length=1, max_length=20)


class CalibrateKeyResultWeights(SetKeyResultWeights):
    """A calibration meeting's weight change (issued by the meeting's outcomes, not by a
    route): the same rules, and the event names the meeting."""

    meeting_id: Identifier


class CloseObjective(PortfolioCommand):
    """The objective is done or dropped; it no longer counts as active."""

    objective_id: Identifier
    outcome: Literal["achieved", "dropped"]


# ---- events ---------------------------------------------------------------------------------


class PortfolioEvent(Message):
    type: str
    schema_version: Literal[1] = 1


class ObjectiveDefined(PortfolioEvent):
    """A person has a new objective in the cycle."""

    type: Literal["okr.objective.defined"] = "okr.objective.defined"
    objective_id: str
    title: str
    owner_person_id: str
    owner_unit_id: str
    cycle_id: str
    contributes_to: tuple[Contribution, ...]


class ObjectiveAligned(PortfolioEvent):
    """The objective's contributions to its parents changed."""

    type: Literal["okr.objective.aligned"] = "okr.objective.aligned"
    objective_id: str
    contributes_to: tuple[Contribution, ...]


class KeyResultWeightsSet(PortfolioEvent):
    """The objective's KRs now weigh this much each (total 100); `previous` is what they
    weighed before (empty when none were set; events recorded before the field carry none)."""

    type: Literal["okr.objective.kr_weights_set"] = "okr.objective.kr_weights_set"
    objective_id: str
    weights: dict[str, Decimal]
    previous: dict[str, Decimal] = Field(default_factory=dict)
    meeting_id: str | None = None  # the calibration meeting that decided it, if one did


class ObjectiveClosed(PortfolioEvent):
    """The objective was achieved or dropped."""

    type: Literal["okr.objective.closed"] = "okr.objective.closed"
    objective_id: str
    outcome: str


class FocusPolicySet(PortfolioEvent):
    """From now on, more than three active objectives are blocked or warned about."""

    type: Literal["okr.policy.focus_set"] = "okr.policy.focus_set"
    mode: FocusMode


PORTFOLIO_EVENTS: EventTypes[PortfolioEvent] = EventTypes(
    ObjectiveDefined,
    ObjectiveAligned,
    KeyResultWeightsSet,
    ObjectiveClosed,
    FocusPolicySet,
)


portfolio_event_of = PORTFOLIO_EVENTS.decode


# ---- state ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveState:
    objective_id: str
    owner_unit_id: str
    title: str = ""
    owner_person_id: str = ""
    cycle_id: str = ""
    contributes_to: tuple[Contribution, ...] = ()
    active: bool = True
    outcome: str | None = None
    weights: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class PortfolioState:
    objectives: tuple[ObjectiveState, ...] = ()

    def find(self, objective_id: str) -> ObjectiveState | None:
        return next((o for o in self.objectives if o.objective_id == objective_id), None)


def _with(state: PortfolioState, objective_id: str, **changes: object) -> PortfolioState:
    return changed(
        state,
        objectives=tuple(
            changed(o, **changes) if o.objective_id == objective_id else o for o in state.objectives
        ),
    )


def evolve(state: PortfolioState, stamped: Stamped[PortfolioEvent]) -> PortfolioState:
    """The one place a portfolio event's meaning is coded (decider and audit snapshot)."""
    match stamped.event:
        case ObjectiveDefined() as e:
            added = ObjectiveState(
                e.objective_id,
                e.owner_unit_id,
                e.title,
                e.owner_person_id,
                e.cycle_id,
                e.contributes_to,
            )
            return changed(state, objectives=(*state.objectives, added))
        case ObjectiveAligned() as e:
            return _with(state, e.objective_id, contributes_to=e.contributes_to)
        case KeyResultWeightsSet() as e:
            return _with(state, e.objective_id, weights=tuple(sorted(e.weights.items())))
        case ObjectiveClosed() as e:
            return _with(state, e.objective_id, active=False, outcome=e.outcome)
    return state


# ---- decide ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioContext:
    """What a portfolio decision needs beyond the stream: the org tree, the cycles HQ defined,
    HQ's focus policy and who sets each region's OKRs."""

    org: OrgTree
    cycles: frozenset[str]
    focus: FocusMode = "block"
    governance: Governance = EVERY_REGION_DISTRIBUTED
    cycle_days: Mapping[str, tuple[date, date]] = field(default_factory=dict)
    # the objectives a command names as parents and every objective above them, as now
    chain: Mapping[str, ObjectiveState] = field(default_factory=dict)
    # the KRs a weights command names, as their streams say now (absent: no such KR)
    key_results: Mapping[str, KeyResultState] = field(default_factory=dict)
    # a definition's owner's open objectives in their other cycles, and the company's time
    # zone (the focus rule counts by the company's day of the command)
    held: tuple[HeldObjective, ...] = ()
    zone: tzinfo = UTC

    def in_force_with(self, state: PortfolioState, command: DefineObjective) -> list[HeldObjective]:
        """The owner's objectives in force in the new objective's cycle on the command's day
        (`domain.focus`): this portfolio's open ones and those of other cycles, the new one not
        counted."""
        days = self.cycle_days.get(command.cycle_id)
        if days is None:
            return []
        own = [
            HeldObjective(command.owner_person_id, o.objective_id, command.cycle_id, days, date.min)
            for o in state.objectives
            if o.active
        ]
        return in_force([*own, *self.held], days, command.at.astimezone(self.zone).date())


def _may_manage(actor: Actor, owner_unit_id: str, org: OrgTree, owner_person_id: str) -> bool:
    if actor.role == "hq_admin" or actor.person_id == owner_person_id:
        return actor.role != "auditor"
    return actor.role == "manager" and actor.unit_id in org.ancestors_and_self(owner_unit_id)


def decide(
    state: PortfolioState, command: PortfolioCommand, context: PortfolioContext
) -> tuple[PortfolioEvent, ...]:
    """Events for a portfolio command, or a DomainError."""
    org = context.org
    if isinstance(command, DefineObjective):
        return _define(state, command, context)
    objective = state.find(command.objective_id)  # type: ignore[attr-defined]
    if objective is None:
        raise NotFound(f"objective {command.objective_id!r} does not exist")  # type: ignore[attr-defined]
    if not _may_manage(command.actor, objective.owner_unit_id, org, command.owner_person_id):
        raise NotAllowed("objectives are changed by their owner, a manager above them, or HQ")
    if not objective.active:
        raise Conflict(f"objective {objective.objective_id!r} is closed")
    match command:
        case AlignObjective():
            _check_parents(
                command.contributes_to, objective.objective_id, objective.cycle_id, context
            )
            return (
                ObjectiveAligned(
                    objective_id=objective.objective_id, contributes_to=command.contributes_to
                ),
            )
        case SetKeyResultWeights():
            total = sum(command.weights.values(), Decimal(0))
            if total != 100:
                raise Invalid(
                    f"weights: they add up to {total}; KR weights inside an objective "
                    "must add up to 100"
                )
            if any(w <= 0 for w in command.weights.values()):
                raise Invalid("weights: every weight must be above 0")
            _check_weighted_krs(command.weights, objective, context)
            return (
                KeyResultWeightsSet(
                    objective_id=objective.objective_id,
                    weights=dict(command.weights),
                    previous=dict(objective.weights),
                    meeting_id=(
                        command.meeting_id
                        if isinstance(command, CalibrateKeyResultWeights)
                        else None
                    ),
                ),
            )
        case CloseObjective():
            return (ObjectiveClosed(objective_id=objective.objective_id, outcome=command.outcome),)
    raise Invalid(f"unknown command {type(command).__name__}")


def _define(
    state: PortfolioState, command: DefineObjective, context: PortfolioContext
) -> tuple[PortfolioEvent, ...]:
    require_defined_cycle(command.cycle_id, context.cycles)
    if command.owner_unit_id not in context.org.units:
        raise Invalid(f"owner_unit_id: unknown org unit {command.owner_unit_id!r}")
    refusal = definition_refusal(
        command.actor, command.owner_unit_id, context.org, context.governance
    )
    if refusal:
        raise NotAllowed(refusal)
    if not _may_manage(command.actor, command.owner_unit_id, context.org, command.owner_person_id):
        raise NotAllowed("objectives are set by their owner, a manager above them, or HQ")
    if state.find(command.objective_id):
        raise Conflict(f"objective {command.objective_id!r} already exists")
    counted = context.in_force_with(state, command)
    if over_the_cap(len(counted) + 1) and context.focus == "block":
        day = command.at.astimezone(context.zone).date()
        named = ", ".join(
            f"{h.objective_id} ({h.cycle_id}{', cycle over' if h.over_by(day) else ''})"
            for h in counted
        )
        raise Conflict(
            f"{command.owner_person_id} already has {len(counted)} objectives in force in "
            f"{command.cycle_id}: {named}; at most {MAX_ACTIVE_OBJECTIVES}. Close or merge one"
            " first (HQ can switch this policy to 'warn')"
        )
    _check_parents(command.contributes_to, command.objective_id, command.cycle_id, context)
    return (
        ObjectiveDefined(
            objective_id=command.objective_id,
            title=command.title,
            owner_person_id=command.owner_person_id,
            owner_unit_id=command.owner_unit_id,
            cycle_id=command.cycle_id,
            contributes_to=command.contributes_to,
        ),
    )


def hints(
    state: PortfolioState, command: PortfolioCommand, context: PortfolioContext
) -> tuple[Hint, ...]:
    """What to tell the person along with an accepted command (under the 'warn' policy, that
    they now hold more than three objectives in force)."""
    if not isinstance(command, DefineObjective):
        return ()
    hint = focus_hint(len(context.in_force_with(state, command)) + 1)
    return (hint,) if hint else ()


def _check_parents(
    parents: tuple[Contribution, ...], objective_id: str, cycle_id: str, context: PortfolioContext
) -> None:
    """Alignment that holds: each parent is the north star or an existing objective whose
    cycle is this one or encloses it, named once, and no chain of parents leads back here."""
    ids = [p.parent_id for p in parents]
    if objective_id in ids:
        raise Invalid("contributes_to: an objective cannot contribute to itself")
    if len(set(ids)) != len(ids):
        raise Invalid("contributes_to: each parent may appear once")
    for parent_id in ids:
        if parent_id == NORTH_STAR_PARENT:
            continue
        parent = context.chain.get(parent_id)
        if parent is None:
            raise Invalid(f"contributes_to: objective {parent_id!r} does not exist")
        if not _encloses(context.cycle_days, parent.cycle_id, cycle_id):
            raise Invalid(
                f"contributes_to: objective {parent_id!r} is in cycle {parent.cycle_id!r},"
                f" which does not contain {cycle_id!r}; a parent is in the same cycle or one"
                " that encloses it"
            )
        loop = _path_to(objective_id, parent_id, context.chain)
        if loop:
            raise Invalid(
                "contributes_to: " + " -> ".join([objective_id, *loop]) + " would be a loop"
            )


def _check_weighted_krs(
    weights: Mapping[str, Decimal], objective: ObjectiveState, context: PortfolioContext
) -> None:
    """A weighted KR exists and belongs to the objective: it is owned in the objective's unit
    or below it."""
    for kr_id in sorted(weights):
        kr = context.key_results.get(kr_id)
        if kr is None or not kr.defined:
            raise Invalid(f"weights: key result {kr_id!r} does not exist")
        if objective.owner_unit_id not in context.org.ancestors_and_self(kr.owner_unit_id):
            raise Invalid(
                f"weights: key result {kr_id!r} is owned in {kr.owner_unit_id!r}, outside"
                f" {objective.owner_unit_id!r} where objective {objective.objective_id!r} is"
            )


def _encloses(days: Mapping[str, tuple[date, date]], outer: str, inner: str) -> bool:
    if outer == inner:
        return True
    if outer not in days or inner not in days:
        return False
    return days[outer][0] <= days[inner][0] and days[inner][1] <= days[outer][1]


def _path_to(target: str, start: str, chain: Mapping[str, ObjectiveState]) -> list[str]:
    """The parent ids from `start` up to `target` (ending with it), or [] when no chain of
    parents leads there."""
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop()
        objective = chain.get(path[-1])
        for contribution in objective.contributes_to if objective else ():
            if contribution.parent_id == target:
                return [*path, target]
            if contribution.parent_id not in seen:
                seen.add(contribution.parent_id)
                paths.append([*path, contribution.parent_id])
    return []


OBJECTIVES: Aggregate[PortfolioState, PortfolioCommand, PortfolioEvent, PortfolioContext] = (
    Aggregate(
        events=PORTFOLIO_EVENTS,
        initial=PortfolioState,
        evolve=evolve,
        decide=decide,
        stream_of=lambda command: portfolio_stream(command.owner_person_id, command.cycle_id),
    )
)


# ---- HQ's focus policy (its own small stream) -----------------------------------------------

FOCUS_POLICY_STREAM = "policy-focus"


class SetFocusPolicy(Message):
    """HQ decides whether a fourth active objective is blocked or only warned about."""

    command_id: uuid.UUID
    actor: Actor
    at: AwareDatetime
    mode: FocusMode


def _focus_evolve(mode: FocusMode, stamped: Stamped[FocusPolicySet]) -> FocusMode:
    return stamped.event.mode


def _decide_focus(
    mode: FocusMode, command: SetFocusPolicy, context: None
) -> tuple[FocusPolicySet, ...]:
    if command.actor.role != "hq_admin":
        raise NotAllowed("only HQ sets the focus policy")
    return (FocusPolicySet(mode=command.mode),)


# The policy in force is the last one HQ set, blocking by default.
FOCUS_POLICY: Aggregate[FocusMode, SetFocusPolicy, FocusPolicySet, None] = Aggregate(
    events=EventTypes(FocusPolicySet),
    initial=lambda: "block",
    evolve=_focus_evolve,
    decide=_decide_focus,
    stream_of=lambda _command: FOCUS_POLICY_STREAM,
)


def weights_with(weights: Mapping[str, Decimal], kr_id: str) -> dict[str, Decimal]:
    """An objective's KR weights with `kr_id` joined at an equal share (100 / n of the n KRs it
    then has): the others keep their proportions in the rest. Hundredths, rounded down, the
    remainder to the largest, so they total exactly 100. A KR already weighted changes nothing."""
    if kr_id in weights:
        return dict(weights)
    cent = Decimal("0.01")
    share = (Decimal(100) / (len(weights) + 1)).quantize(cent, ROUND_DOWN)
    before = sum(weights.values(), Decimal(0))
    rest = Decimal(100) - share
    joined = {
        k: ((w * rest / before) if before else rest / len(weights)).quantize(cent, ROUND_DOWN)
        for k, w in weights.items()
    }
    joined[kr_id] = share
    largest = max(joined, key=lambda k: (joined[k], k))
    joined[largest] += Decimal(100) - sum(joined.values(), Decimal(0))
    return joined
