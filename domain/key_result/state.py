"""A key result as its events leave it: the one place a KR event's meaning is coded. The
decider, the audit snapshot (`as_of`) and the target-change history all read this fold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from domain.event_chain import RecordedEvent, Stamped
from domain.kernel import changed
from domain.key_result.events import (
    KR_EVENTS,
    BlockerEscalated,
    CheckInRecorded,
    KeyResultDefined,
    KrEvent,
    TargetAdjustmentApplied,
    TargetAdjustmentApproved,
    TargetAdjustmentCancelled,
    TargetAdjustmentRejected,
    TargetAdjustmentRequested,
    TargetRedefined,
)
from domain.key_result.metrics import KrKind, MetricScope

Decision = Literal["approved", "rejected", "cancelled", "redefined"]


@dataclass(frozen=True)
class PendingAdjustment:
    request_id: str
    proposed_target: Decimal
    requested_by: str
    approved: bool = False


@dataclass(frozen=True)
class TargetChange:
    """One target-adjustment request of a KR and what became of it: who asked, from what to
    what, why, who decided, when, and how long each step took. A redefinition by HQ
    (`kind` "redefinition") is asked, decided and applied in one moment and has no request id:
    it answers no request, so the response times leave it out."""

    kr_id: str
    request_id: str
    requested_at: datetime
    requested_by: str
    current_target: Decimal
    proposed_target: Decimal
    reason: str
    evidence: tuple[str, ...]
    decision: Decision | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str | None = None
    applied_at: datetime | None = None
    applied_by: str | None = None
    new_target: Decimal | None = None
    kind: Literal["request", "redefinition"] = "request"

    @property
    def to_decision(self) -> timedelta | None:
        return None if self.decided_at is None else self.decided_at - self.requested_at

    @property
    def to_applied(self) -> timedelta | None:
        return None if self.applied_at is None else self.applied_at - self.requested_at


@dataclass(frozen=True)
class LastCheckIn:
    at: datetime
    progress_value: Decimal
    summary: str


@dataclass(frozen=True)
class KeyResultState:
    """Everything a KR's stream says about it, folded from its events."""

    defined: bool = False
    title: str = ""
    owner_person_id: str = ""
    owner_unit_id: str = ""
    kind: KrKind = "increase"
    unit: str = ""
    start: Decimal = Decimal(0)
    target: Decimal = Decimal(0)
    binding: MetricScope | None = None
    pending: PendingAdjustment | None = None
    closed_requests: frozenset[str] = frozenset()
    requests: tuple[TargetChange, ...] = ()
    open_blocker: str | None = None
    blocker_escalated: bool = False
    last_check_in: LastCheckIn | None = None


def evolve(state: KeyResultState, stamped: Stamped[KrEvent]) -> KeyResultState:
    """Apply one recorded event; never raises (unknown events leave the state as it is)."""
    match stamped.event:
        case KeyResultDefined() as e:
            return changed(
                state,
                defined=True,
                title=e.title,
                owner_person_id=e.owner_person_id,
                owner_unit_id=e.owner_unit_id,
                kind=e.kind,
                unit=e.unit,
                start=e.start,
                target=e.target,
                binding=e.binding,
            )
        case TargetAdjustmentRequested() as e:
            asked = TargetChange(
                "",
                e.request_id,
                stamped.occurred_at,
                stamped.actor,
                e.current_target,
                e.proposed_target,
                e.reason,
                e.evidence,
            )
            return changed(
                state,
                pending=PendingAdjustment(e.request_id, e.proposed_target, stamped.actor),
                requests=(*state.requests, asked),
            )
        case TargetAdjustmentApproved() as e:
            pending = state.pending and changed(state.pending, approved=True)
            return _decided(changed(state, pending=pending), stamped, "approved", e.note or None)
        case TargetAdjustmentRejected() as e:
            return _closed(_decided(state, stamped, "rejected", e.reason), e.request_id)
        case TargetAdjustmentCancelled() as e:
            return _closed(_decided(state, stamped, "cancelled", None), e.request_id)
        case TargetAdjustmentApplied() as e:
            applied = _request_changed(
                state.requests,
                e.request_id,
                applied_at=stamped.occurred_at,
                applied_by=stamped.actor,
                new_target=e.new_target,
            )
            return _closed(changed(state, target=e.new_target, requests=applied), e.request_id)
        case TargetRedefined() as e:
            redefined = TargetChange(
                "",
                "",
                stamped.occurred_at,
                stamped.actor,
                e.previous_target,
                e.new_target,
                e.reason,
                (),
                decision="redefined",
                decided_at=stamped.occurred_at,
                decided_by=stamped.actor,
                applied_at=stamped.occurred_at,
                applied_by=stamped.actor,
                new_target=e.new_target,
                kind="redefinition",
            )
            return changed(state, target=e.new_target, requests=(*state.requests, redefined))
        case CheckInRecorded() as e:
            same = e.blocker is not None and e.blocker == state.open_blocker
            return changed(
                state,
                open_blocker=e.blocker,
                blocker_escalated=state.blocker_escalated and same,
                last_check_in=LastCheckIn(stamped.occurred_at, e.progress_value, e.summary),
            )
        case BlockerEscalated():
            return changed(state, blocker_escalated=True)
    return state


def _decided(
    state: KeyResultState, stamped: Stamped[KrEvent], decision: Decision, note: str | None
) -> KeyResultState:
    request_id: str = stamped.event.request_id  # type: ignore[attr-defined]
    requests = _request_changed(
        state.requests,
        request_id,
        decision=decision,
        decided_at=stamped.occurred_at,
        decided_by=stamped.actor,
        decision_note=note,
    )
    return changed(state, requests=requests)


def _closed(state: KeyResultState, request_id: str) -> KeyResultState:
    return changed(state, pending=None, closed_requests=state.closed_requests | {request_id})


def _request_changed(
    requests: tuple[TargetChange, ...], request_id: str, **changes: object
) -> tuple[TargetChange, ...]:
    """`requests` with the one of `request_id` changed (decisions are on recent requests:
    searched from the end); unchanged if there is none."""
    for index in range(len(requests) - 1, -1, -1):
        if requests[index].request_id == request_id:
            updated = changed(requests[index], **changes)
            return (*requests[:index], updated, *requests[index + 1 :])
    return requests


def fold(history: Iterable[Stamped[KrEvent]]) -> KeyResultState:
    """State from a KR's events in stream order."""
    state = KeyResultState()
    for stamped in history:
        state = evolve(state, stamped)
    return state


def state_of(history: Iterable[RecordedEvent]) -> KeyResultState:
    """State from a KR stream's recorded events."""
    return fold(KR_EVENTS.stamped(history))


def target_changes(kr_id: str, history: Iterable[RecordedEvent]) -> list[TargetChange]:
    """Every target-adjustment request and redefinition in a KR's stream, in the order made."""
    return [changed(change, kr_id=kr_id) for change in state_of(history).requests]
