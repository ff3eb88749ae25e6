"""A key result's own stream: its definition and the target-adjustment workflow.

decide(state, command, org) -> events and evolve(state, event) -> state are pure; who may
decide on an adjustment is a rule here, not in the API.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import reduce
from typing import Literal

from pydantic import Field

from domain.event_chain import EventTypes, RecordedEvent
from domain.key_results import KrKind, MetricScope
from domain.messages import AwareDatetime, DomainError, Message
from domain.org import OrgTree
from domain.sales import Identifier

Role = Literal["hq_admin", "manager", "rep", "auditor"]


class Actor(Message):
    """Who issues a command: a person, their role and the org unit they belong to or manage."""

    person_id: Identifier
    role: Role
    unit_id: Identifier


# ---- refusals -------------------------------------------------------------------------------


class NotFound(DomainError):
    """The key result or the adjustment request does not exist (HTTP 404)."""


class NotAllowed(DomainError):
    """The actor may not do this (HTTP 403)."""


class Conflict(DomainError):
    """The command does not fit the key result's current state (HTTP 409)."""


class Invalid(DomainError):
    """The command's values break a rule (HTTP 422)."""


# ---- commands -------------------------------------------------------------------------------


KR_STREAM_PREFIX = "kr-"


def kr_stream(kr_id: str) -> str:
    """The event stream of a KR. (KR ids chosen as `kr-…` give `kr-kr-…`: kept, as stored
    streams are hash-chained under their ids.)"""
    return f"{KR_STREAM_PREFIX}{kr_id}"


def kr_of_stream(stream_id: str) -> str | None:
    """The KR whose stream this is, or None for another aggregate's stream."""
    if not stream_id.startswith(KR_STREAM_PREFIX):
        return None
    return stream_id.removeprefix(KR_STREAM_PREFIX)


class KrCommand(Message):
    command_id: uuid.UUID
    kr_id: Identifier
    actor: Actor
    at: AwareDatetime


# Binds a KR to a sales metric over the owner's org subtree: its value updates itself.
MetricBinding = MetricScope


class DefineKeyResult(KrCommand):
    """Create a KR owned by a person in an org unit (manual, or bound to a sales metric)."""

    title: str = Field(min_length=1, max_length=300)
    owner_person_id: Identifier
    owner_unit_id: Identifier
    kind: KrKind
    unit: str = Field(min_length=1, max_length=40)
    start: Decimal
    target: Decimal
    binding: MetricBinding | None = None


class RequestTargetAdjustment(KrCommand):
    """Ask to move a KR's target, with a reason and evidence."""

    request_id: Identifier
    proposed_target: Decimal
    reason: str = Field(min_length=3, max_length=2000)
    evidence: tuple[str, ...] = Field(default=(), max_length=20)


class ApproveTargetAdjustment(KrCommand):
    """The owner's manager or HQ agrees to the requested target."""

    request_id: Identifier
    note: str = Field(default="", max_length=2000)


class RejectTargetAdjustment(KrCommand):
    """The owner's manager or HQ refuses the request, saying why."""

    request_id: Identifier
    reason: str = Field(min_length=3, max_length=2000)


class ApplyTargetAdjustment(KrCommand):
    """Put an approved target into effect."""

    request_id: Identifier


class CancelTargetAdjustment(KrCommand):
    """The requester withdraws a request that has not been decided or applied."""

    request_id: Identifier


class RecordCheckIn(KrCommand):
    """The three-field check-in: what happened, where the number stands, what blocks it."""

    summary: str = Field(min_length=1, max_length=2000)
    progress_value: Decimal
    blocker: str = Field(min_length=1, max_length=2000, description='text, or "none"')


class EscalateBlocker(KrCommand):
    """Ask another level (an org unit or a named person) for help with the open blocker."""

    to_unit_id: Identifier | None = None
    to_person_id: Identifier | None = None
    note: str = Field(default="", max_length=2000)


# ---- events ---------------------------------------------------------------------------------


class KrEvent(Message):
    type: str
    schema_version: Literal[1] = 1


class KeyResultDefined(KrEvent):
    """A KR now exists with this owner, kind, start and target."""

    type: Literal["okr.kr.defined"] = "okr.kr.defined"
    title: str
    owner_person_id: str
    owner_unit_id: str
    kind: KrKind
    unit: str
    start: Decimal
    target: Decimal
    binding: MetricBinding | None = None


class TargetAdjustmentRequested(KrEvent):
    """Someone asked for a different target."""

    type: Literal["okr.kr.target_adjustment_requested"] = "okr.kr.target_adjustment_requested"
    request_id: str
    current_target: Decimal
    proposed_target: Decimal
    reason: str
    evidence: tuple[str, ...]


class TargetAdjustmentApproved(KrEvent):
    """The request was approved (not yet in effect)."""

    type: Literal["okr.kr.target_adjustment_approved"] = "okr.kr.target_adjustment_approved"
    request_id: str
    note: str


class TargetAdjustmentRejected(KrEvent):
    """The request was refused."""

    type: Literal["okr.kr.target_adjustment_rejected"] = "okr.kr.target_adjustment_rejected"
    request_id: str
    reason: str


class TargetAdjustmentApplied(KrEvent):
    """The KR's target changed."""

    type: Literal["okr.kr.target_adjustment_applied"] = "okr.kr.target_adjustment_applied"
    request_id: str
    previous_target: Decimal
    new_target: Decimal


class TargetAdjustmentCancelled(KrEvent):
    """The requester withdrew the request."""

    type: Literal["okr.kr.target_adjustment_cancelled"] = "okr.kr.target_adjustment_cancelled"
    request_id: str


class CheckInRecorded(KrEvent):
    """The owner reported progress; `blocker` is None when they said "none"."""

    type: Literal["okr.kr.check_in_recorded"] = "okr.kr.check_in_recorded"
    summary: str
    progress_value: Decimal
    blocker: str | None


class BlockerEscalated(KrEvent):
    """The open blocker was raised to another level for support."""

    type: Literal["okr.kr.blocker_escalated"] = "okr.kr.blocker_escalated"
    blocker: str
    to_unit_id: str | None
    to_person_id: str | None
    note: str


KR_EVENTS: EventTypes[KrEvent] = EventTypes(
    KeyResultDefined,
    TargetAdjustmentRequested,
    TargetAdjustmentApproved,
    TargetAdjustmentRejected,
    TargetAdjustmentApplied,
    TargetAdjustmentCancelled,
    CheckInRecorded,
    BlockerEscalated,
)


kr_event_of = KR_EVENTS.decode


# ---- state ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingAdjustment:
    request_id: str
    proposed_target: Decimal
    requested_by: str
    approved: bool = False


@dataclass(frozen=True)
class KeyResultState:
    """What decide needs to know about one KR, folded from its events."""

    defined: bool = False
    owner_person_id: str = ""
    owner_unit_id: str = ""
    kind: KrKind = "increase"
    start: Decimal = Decimal(0)
    target: Decimal = Decimal(0)
    pending: PendingAdjustment | None = None
    closed_requests: frozenset[str] = frozenset()
    open_blocker: str | None = None
    blocker_escalated: bool = False


def evolve(state: KeyResultState, event: KrEvent, actor_id: str = "") -> KeyResultState:
    """Apply one recorded event; never raises (unknown events leave the state as it is)."""
    if isinstance(event, KeyResultDefined):
        return replace(
            state,
            defined=True,
            owner_person_id=event.owner_person_id,
            owner_unit_id=event.owner_unit_id,
            kind=event.kind,
            start=event.start,
            target=event.target,
        )
    if isinstance(event, TargetAdjustmentRequested):
        return replace(
            state, pending=PendingAdjustment(event.request_id, event.proposed_target, actor_id)
        )
    if isinstance(event, TargetAdjustmentApproved) and state.pending:
        return replace(state, pending=replace(state.pending, approved=True))
    if isinstance(event, TargetAdjustmentApplied):
        return replace(
            state,
            target=event.new_target,
            pending=None,
            closed_requests=state.closed_requests | {event.request_id},
        )
    if isinstance(event, CheckInRecorded):
        same = event.blocker is not None and event.blocker == state.open_blocker
        return replace(
            state, open_blocker=event.blocker, blocker_escalated=state.blocker_escalated and same
        )
    if isinstance(event, BlockerEscalated):
        return replace(state, blocker_escalated=True)
    if isinstance(event, TargetAdjustmentRejected | TargetAdjustmentCancelled):
        return replace(
            state, pending=None, closed_requests=state.closed_requests | {event.request_id}
        )
    return state


def fold(events: list[tuple[KrEvent, str]]) -> KeyResultState:
    """State from (event, actor person id) pairs in stream order."""
    return reduce(lambda s, pair: evolve(s, pair[0], pair[1]), events, KeyResultState())


def may_decide(actor: Actor, state: KeyResultState, org: OrgTree) -> str | None:
    """None if `actor` may approve/reject adjustments of this KR, else the reason why not."""
    requested_by = state.pending.requested_by if state.pending else None
    return decision_refusal(actor, state.owner_person_id, state.owner_unit_id, requested_by, org)


def decision_refusal(
    actor: Actor,
    owner_person_id: str,
    owner_unit_id: str,
    requested_by: str | None,
    org: OrgTree,
) -> str | None:
    """None if `actor` may decide on an adjustment request (by `requested_by`) of a KR owned by
    (`owner_person_id`, `owner_unit_id`); else why not. The board's inbox uses the same rule."""
    if requested_by is not None and actor.person_id == requested_by:
        return "nobody may decide on their own adjustment request"
    if actor.person_id == owner_person_id:
        return "the KR's owner may not decide on adjustments of their own KR"
    if actor.role == "hq_admin":
        return None
    if actor.role != "manager":
        return f"role {actor.role!r} may not decide on target adjustments"
    if owner_unit_id not in org.units:
        return f"unknown org unit {owner_unit_id!r}"
    above_owner = org.ancestors_and_self(owner_unit_id)[1:]
    if actor.unit_id not in above_owner:
        return "only a manager above the KR's owner (or HQ) may decide"
    return None


def decide(state: KeyResultState, command: KrCommand, org: OrgTree) -> tuple[KrEvent, ...]:
    """The events a command produces, or a DomainError saying why it is refused."""
    if isinstance(command, DefineKeyResult):
        return _define(state, command, org)
    if not state.defined:
        raise NotFound(f"key result {command.kr_id!r} does not exist")
    if isinstance(command, RequestTargetAdjustment):
        return _request(state, command, org)
    if isinstance(command, RecordCheckIn):
        return _check_in(state, command, org)
    if isinstance(command, EscalateBlocker):
        return _escalate(state, command, org)
    request_id = command.request_id  # type: ignore[attr-defined]
    pending = state.pending
    if pending is None or pending.request_id != request_id:
        if request_id in state.closed_requests:
            raise Conflict(f"adjustment request {request_id!r} is already closed")
        raise NotFound(f"no open adjustment request {request_id!r} on {command.kr_id!r}")
    if isinstance(command, ApproveTargetAdjustment | RejectTargetAdjustment):
        if pending.approved:
            raise Conflict(f"adjustment request {request_id!r} was already approved")
        refusal = may_decide(command.actor, state, org)
        if refusal:
            raise NotAllowed(refusal)
        if isinstance(command, ApproveTargetAdjustment):
            return (TargetAdjustmentApproved(request_id=request_id, note=command.note),)
        return (TargetAdjustmentRejected(request_id=request_id, reason=command.reason),)
    if isinstance(command, ApplyTargetAdjustment):
        if not _may_report(command.actor, state, org):
            raise NotAllowed("only the KR's owner, their managers or HQ may apply a new target")
        if not pending.approved:
            raise Conflict(f"adjustment request {request_id!r} is not approved yet")
        return (
            TargetAdjustmentApplied(
                request_id=request_id,
                previous_target=state.target,
                new_target=pending.proposed_target,
            ),
        )
    if isinstance(command, CancelTargetAdjustment):
        if command.actor.person_id != pending.requested_by:
            raise NotAllowed("only the requester may cancel an adjustment request")
        if pending.approved:
            raise Conflict(f"adjustment request {request_id!r} was approved; it can't be withdrawn")
        return (TargetAdjustmentCancelled(request_id=request_id),)
    raise Invalid(f"unknown command {type(command).__name__}")


def _define(state: KeyResultState, command: DefineKeyResult, org: OrgTree) -> tuple[KrEvent, ...]:
    if state.defined:
        raise Conflict(f"key result {command.kr_id!r} already exists")
    if command.owner_unit_id not in org.units:
        raise Invalid(f"owner_unit_id: unknown org unit {command.owner_unit_id!r}")
    if command.actor.role not in ("hq_admin", "manager"):
        raise NotAllowed(f"role {command.actor.role!r} may not define key results")
    if command.actor.role == "manager" and command.actor.unit_id not in org.ancestors_and_self(
        command.owner_unit_id
    ):
        raise NotAllowed("a manager defines key results for the units they manage")
    if command.kind in ("increase", "decrease") and command.start == command.target:
        raise Invalid("target: must differ from start for an increase/decrease KR")
    return (
        KeyResultDefined(
            title=command.title,
            owner_person_id=command.owner_person_id,
            owner_unit_id=command.owner_unit_id,
            kind=command.kind,
            unit=command.unit,
            start=command.start,
            target=command.target,
            binding=command.binding,
        ),
    )


def _request(
    state: KeyResultState, command: RequestTargetAdjustment, org: OrgTree
) -> tuple[KrEvent, ...]:
    if command.actor.role == "auditor":
        raise NotAllowed("auditors read; they do not request changes")
    if not _may_report(command.actor, state, org):
        raise NotAllowed("only the KR's owner, their managers or HQ may request a new target")
    if state.pending is not None:
        raise Conflict(f"adjustment request {state.pending.request_id!r} is still open")
    if command.request_id in state.closed_requests:
        raise Conflict(f"request id {command.request_id!r} was used before")
    if command.proposed_target == state.target:
        raise Invalid("proposed_target: equals the current target")
    return (
        TargetAdjustmentRequested(
            request_id=command.request_id,
            current_target=state.target,
            proposed_target=command.proposed_target,
            reason=command.reason,
            evidence=command.evidence,
        ),
    )


def _may_report(actor: Actor, state: KeyResultState, org: OrgTree) -> bool:
    """The owner, a manager above the owner, or HQ may check in on a KR."""
    if actor.person_id == state.owner_person_id or actor.role == "hq_admin":
        return True
    above_owner = org.ancestors_and_self(state.owner_unit_id)[1:]
    return actor.role == "manager" and actor.unit_id in above_owner


def _check_in(state: KeyResultState, command: RecordCheckIn, org: OrgTree) -> tuple[KrEvent, ...]:
    if not _may_report(command.actor, state, org):
        raise NotAllowed("only the KR's owner, their managers or HQ may check in")
    blocker = command.blocker.strip()
    no_blocker = blocker.lower() in ("none", "无", "没有")
    return (
        CheckInRecorded(
            summary=command.summary,
            progress_value=command.progress_value,
            blocker=None if no_blocker else blocker,
        ),
    )


def _escalate(state: KeyResultState, command: EscalateBlocker, org: OrgTree) -> tuple[KrEvent, ...]:
    if not _may_report(command.actor, state, org):
        raise NotAllowed("only the KR's owner, their managers or HQ may escalate its blocker")
    if state.open_blocker is None:
        raise Conflict("there is no open blocker to escalate; check in with one first")
    if state.blocker_escalated:
        raise Conflict("this blocker was already escalated")
    if (command.to_unit_id is None) == (command.to_person_id is None):
        raise Invalid("to_unit_id or to_person_id: name exactly one level or person")
    if command.to_unit_id is not None and command.to_unit_id not in org.units:
        raise Invalid(f"to_unit_id: unknown org unit {command.to_unit_id!r}")
    return (
        BlockerEscalated(
            blocker=state.open_blocker,
            to_unit_id=command.to_unit_id,
            to_person_id=command.to_person_id,
            note=command.note,
        ),
    )


@dataclass(frozen=True)
class TargetChange:
    """One target-adjustment request of a KR and what became of it, derived from the stream
    alone: who asked, from what to what, why, who decided, when, and how long each step took."""

    kr_id: str
    request_id: str
    requested_at: datetime
    requested_by: str
    current_target: Decimal
    proposed_target: Decimal
    reason: str
    evidence: tuple[str, ...]
    decision: Literal["approved", "rejected", "cancelled"] | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str | None = None
    applied_at: datetime | None = None
    applied_by: str | None = None
    new_target: Decimal | None = None

    @property
    def to_decision(self) -> timedelta | None:
        return None if self.decided_at is None else self.decided_at - self.requested_at

    @property
    def to_applied(self) -> timedelta | None:
        return None if self.applied_at is None else self.applied_at - self.requested_at


_DECISIONS: dict[str, Literal["approved", "rejected", "cancelled"]] = {
    "okr.kr.target_adjustment_approved": "approved",
    "okr.kr.target_adjustment_rejected": "rejected",
    "okr.kr.target_adjustment_cancelled": "cancelled",
}


def target_changes(kr_id: str, history: list[RecordedEvent]) -> list[TargetChange]:
    """Every target-adjustment request in a KR's stream, in the order asked."""
    changes: dict[str, TargetChange] = {}
    for event in history:
        payload = event.payload
        request_id = str(payload.get("request_id"))
        if event.type == "okr.kr.target_adjustment_requested":
            changes[request_id] = TargetChange(
                kr_id,
                request_id,
                event.occurred_at,
                event.actor,
                Decimal(payload["current_target"]),
                Decimal(payload["proposed_target"]),
                payload["reason"],
                tuple(payload.get("evidence", ())),
            )
        elif request_id not in changes:
            continue
        elif event.type in _DECISIONS:
            changes[request_id] = replace(
                changes[request_id],
                decision=_DECISIONS[event.type],
                decided_at=event.occurred_at,
                decided_by=event.actor,
                decision_note=payload.get("note") or payload.get("reason"),
            )
        elif event.type == "okr.kr.target_adjustment_applied":
            changes[request_id] = replace(
                changes[request_id],
                applied_at=event.occurred_at,
                applied_by=event.actor,
                new_target=Decimal(payload["new_target"]),
            )
    return list(changes.values())
