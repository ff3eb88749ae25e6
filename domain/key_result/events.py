"""What happened to a key result, as recorded in its stream (`kr-<id>`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from domain.aggregate import StreamPrefix
from domain.event_chain import EventTypes
from domain.health import Health
from domain.kernel import Message
from domain.key_result.metrics import KrKind, MetricScope

# The event stream of a KR. (KR ids chosen as `kr-…` give `kr-kr-…`: kept, as stored streams
# are hash-chained under their ids.)
KR_STREAMS = StreamPrefix("kr-")
kr_stream = KR_STREAMS.stream
kr_of_stream = KR_STREAMS.id_of


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
    binding: MetricScope | None = None


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


class TargetRedefined(KrEvent):
    """HQ set the KR's target outright (a changed company plan), with the reason given."""

    type: Literal["okr.kr.target_redefined"] = "okr.kr.target_redefined"
    previous_target: Decimal
    new_target: Decimal
    reason: str


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


class HealthVerdictRecorded(KrEvent):
    """A calibration meeting judged the KR's health (kept beside the computed colours)."""

    type: Literal["okr.kr.health_verdict_recorded"] = "okr.kr.health_verdict_recorded"
    health: Health
    note: str
    meeting_id: str


class KeyResultCommented(KrEvent):
    """HQ or a manager above the owner commented on the KR (it changes nothing else)."""

    type: Literal["okr.kr.commented"] = "okr.kr.commented"
    comment: str


KR_EVENTS: EventTypes[KrEvent] = EventTypes(
    KeyResultDefined,
    TargetAdjustmentRequested,
    TargetAdjustmentApproved,
    TargetAdjustmentRejected,
    TargetAdjustmentApplied,
    TargetRedefined,
    TargetAdjustmentCancelled,
    CheckInRecorded,
    BlockerEscalated,
    HealthVerdictRecorded,
    KeyResultCommented,
)


kr_event_of = KR_EVENTS.decode
